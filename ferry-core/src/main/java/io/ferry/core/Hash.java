package io.ferry.core;

import java.lang.invoke.MethodHandles;
import java.lang.invoke.VarHandle;
import java.nio.ByteOrder;
import java.util.Arrays;
import java.util.Objects;

/**
 * A 32-byte hash: a state root, a node id in the trie, a chunk's content id, a snapshot hash.
 *
 * <p>Immutable and thread-safe. Ordered as unsigned bytes, most significant first. Text forms are
 * 64 lowercase hex digits ({@link #toString()}) and base58 (file names, as in Agave).
 */
public final class Hash implements Comparable<Hash> {
  /** Length of every hash, in bytes. */
  public static final int LENGTH = 32;

  /** Thirty-two zero bytes: by convention the root of an empty trie. */
  public static final Hash ZERO = new Hash(new byte[LENGTH]);

  private static final VarHandle BIG_ENDIAN_LONGS =
      MethodHandles.byteArrayViewVarHandle(long[].class, ByteOrder.BIG_ENDIAN);

  private final byte[] bytes;
  private final int hashCode;

  private Hash(byte[] bytes) {
    this.bytes = bytes;
    this.hashCode = Arrays.hashCode(bytes);
  }

  /**
   * A hash from exactly 32 bytes (copied).
   *
   * @throws FerryException {@link ErrorCode#INVALID_ENCODING} if the length is not 32
   */
  public static Hash of(byte[] bytes) {
    checkLength(bytes.length, "bytes");
    return new Hash(bytes.clone());
  }

  /**
   * A hash over exactly 32 bytes without copying them, for hot paths that just made the array. The
   * caller gives up the array: changing it afterwards would change the hash.
   */
  public static Hash wrap(byte[] bytes) {
    checkLength(bytes.length, "bytes");
    return new Hash(bytes);
  }

  /** Parses 64 hex digits (optionally {@code 0x}-prefixed). */
  public static Hash fromHex(String hex) {
    byte[] decoded = Hex.decode(hex);
    checkLength(decoded.length, "hex text");
    return new Hash(decoded);
  }

  /** Parses the base58 form. */
  public static Hash fromBase58(String text) {
    byte[] decoded = Base58.decode(text);
    checkLength(decoded.length, "base58 text");
    return new Hash(decoded);
  }

  private static void checkLength(int length, String what) {
    if (length != LENGTH) {
      throw new FerryException(
          ErrorCode.INVALID_ENCODING,
          "a hash is " + LENGTH + " bytes, but the " + what + " holds " + length);
    }
  }

  /** A copy of the 32 bytes. */
  public byte[] toBytes() {
    return bytes.clone();
  }

  /** Copies the 32 bytes into {@code dst} at {@code offset}. */
  public void copyTo(byte[] dst, int offset) {
    System.arraycopy(bytes, 0, dst, offset, LENGTH);
  }

  /**
   * The eight bytes from {@code offset} (0 to 24) as a big-endian long, without a copy: for Bloom
   * filters and partitions that read a hash as words, millions of times a second.
   *
   * @throws IndexOutOfBoundsException unless {@code 0 <= offset <= 24}
   */
  public long longAt(int offset) {
    Objects.checkFromIndexSize(offset, Long.BYTES, LENGTH);
    return (long) BIG_ENDIAN_LONGS.get(bytes, offset);
  }

  public String toHex() {
    return Hex.encode(bytes);
  }

  public String toBase58() {
    return Base58.encode(bytes);
  }

  public boolean isZero() {
    return equals(ZERO);
  }

  @Override
  public int compareTo(Hash other) {
    return Arrays.compareUnsigned(bytes, other.bytes);
  }

  @Override
  public boolean equals(Object o) {
    return o instanceof Hash h && hashCode == h.hashCode && Arrays.equals(bytes, h.bytes);
  }

  @Override
  public int hashCode() {
    return hashCode;
  }

  /** The 64-digit lowercase hex form. */
  @Override
  public String toString() {
    return toHex();
  }
}
