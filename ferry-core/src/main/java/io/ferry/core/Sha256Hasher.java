package io.ferry.core;

import java.nio.ByteBuffer;
import java.security.MessageDigest;
import java.security.NoSuchAlgorithmException;

/**
 * SHA-256 through the JDK's provider (which uses the CPU's SHA extensions where present). One
 * {@link MessageDigest} per thread, because digests are not thread-safe and creating one costs more
 * than hashing a trie node.
 */
public final class Sha256Hasher implements Hasher {
  public static final Sha256Hasher INSTANCE = new Sha256Hasher();

  private static final ThreadLocal<MessageDigest> DIGEST =
      ThreadLocal.withInitial(Sha256Hasher::newDigest);

  private Sha256Hasher() {}

  /** A fresh SHA-256 digest, for callers that hash incrementally. */
  public static MessageDigest newDigest() {
    try {
      return MessageDigest.getInstance("SHA-256");
    } catch (NoSuchAlgorithmException e) {
      throw new FerryException(ErrorCode.INTERNAL, "the JDK has no SHA-256", e);
    }
  }

  /** This thread's reusable digest, reset. Do not hold it across calls to other hashing code. */
  public static MessageDigest threadDigest() {
    MessageDigest digest = DIGEST.get();
    digest.reset();
    return digest;
  }

  @Override
  public Hash hash(byte[] data) {
    return hash(data, 0, data.length);
  }

  @Override
  public Hash hash(byte[] data, int offset, int length) {
    MessageDigest digest = threadDigest();
    digest.update(data, offset, length);
    return Hash.wrap(digest.digest());
  }

  @Override
  public Hash hash(ByteBuffer data) {
    MessageDigest digest = threadDigest();
    digest.update(data);
    return Hash.wrap(digest.digest());
  }
}
