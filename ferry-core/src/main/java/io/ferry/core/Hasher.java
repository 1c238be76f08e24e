package io.ferry.core;

import java.nio.ByteBuffer;

/**
 * A 32-byte cryptographic hash function. Ferry's default, and the one MerkleDB compatibility
 * requires, is {@link Sha256Hasher#INSTANCE}.
 *
 * <p>Implementations are thread-safe.
 */
public interface Hasher {
  /** The hash of the given bytes. */
  Hash hash(byte[] data);

  /** The hash of {@code length} bytes of {@code data} starting at {@code offset}. */
  Hash hash(byte[] data, int offset, int length);

  /** The hash of the remaining bytes of the buffer; its position moves to its limit. */
  Hash hash(ByteBuffer data);

  /** The default hasher: SHA-256. */
  static Hasher sha256() {
    return Sha256Hasher.INSTANCE;
  }
}
