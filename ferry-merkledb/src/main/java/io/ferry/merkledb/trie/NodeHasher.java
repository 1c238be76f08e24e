package io.ferry.merkledb.trie;

import io.ferry.core.Hash;
import io.ferry.core.Hasher;

/**
 * The node hash of AvalancheGo's merkledb (and Firewood's merkledb-compatible mode), so roots match
 * bit for bit: SHA-256 over uvarint(child count), then per child in index order uvarint(index) and
 * its 32-byte id, then 0x00 for no value or 0x01, uvarint(digest length) and the value digest, then
 * uvarint(path length in bits) and the packed path.
 *
 * <p>Stateless and thread-safe.
 */
public final class NodeHasher {
  private NodeHasher() {}

  /** The digest stored for a value: the value itself if shorter than 32 bytes, else its hash. */
  public static byte[] valueDigest(byte[] value) {
    return value.length < Hash.LENGTH ? value.clone() : Hasher.sha256().hash(value).toBytes();
  }

  /** Hashes a node whose children's ids are all known. */
  public static Hash hash(Node node) {
    byte[] digest = node.valueDigest();
    Path key = node.key();
    int count = node.childCount();
    byte[] buf =
        scratch(
            10
                + count * (Hash.LENGTH + 2)
                + 11
                + (digest == null ? 0 : digest.length)
                + 10
                + (key.bitLength() + 7) / 8);
    int p = putUvarint(buf, 0, count);
    for (int i = 0, width = count == 0 ? 0 : node.width(); i < width; i++) {
      Child c = node.child(i);
      if (c != null) {
        p = putUvarint(buf, p, i);
        c.id().copyTo(buf, p);
        p += Hash.LENGTH;
      }
    }
    return finish(buf, p, digest, key);
  }

  /**
   * Hashes a node given as parts.
   *
   * @param childIds ids by child index, null where there is no child
   * @param childCount number of non-null entries
   * @param valueDigest the value digest, or null for no value
   * @param key the node's full path
   */
  public static Hash hash(Hash[] childIds, int childCount, byte[] valueDigest, Path key) {
    int packedLength = (key.bitLength() + 7) / 8;
    byte[] buf =
        scratch(
            10
                + childCount * (Hash.LENGTH + 2)
                + 11
                + (valueDigest == null ? 0 : valueDigest.length)
                + 10
                + packedLength);
    int p = putUvarint(buf, 0, childCount);
    for (int i = 0; i < childIds.length; i++) {
      Hash id = childIds[i];
      if (id != null) {
        p = putUvarint(buf, p, i);
        id.copyTo(buf, p);
        p += Hash.LENGTH;
      }
    }
    return finish(buf, p, valueDigest, key);
  }

  /** Appends the value digest and the key, and hashes the buffer. */
  private static Hash finish(byte[] buf, int p, byte[] valueDigest, Path key) {
    if (valueDigest == null) {
      buf[p++] = 0;
    } else {
      buf[p++] = 1;
      p = putUvarint(buf, p, valueDigest.length);
      System.arraycopy(valueDigest, 0, buf, p, valueDigest.length);
      p += valueDigest.length;
    }
    p = putUvarint(buf, p, key.bitLength());
    p = key.packInto(buf, p);
    return Hasher.sha256().hash(buf, 0, p);
  }

  private static final ThreadLocal<byte[][]> SCRATCH = ThreadLocal.withInitial(() -> new byte[1][]);

  /** This thread's reusable buffer of at least {@code size} bytes. */
  private static byte[] scratch(int size) {
    byte[][] holder = SCRATCH.get();
    if (holder[0] == null || holder[0].length < size) {
      holder[0] = new byte[Math.max(size, 1024)];
    }
    return holder[0];
  }

  /** Writes {@code value} as an unsigned LEB128 varint; returns the position after it. */
  /** Bytes that {@link #putUvarint} writes for {@code value}. */
  public static int uvarintSize(long value) {
    int n = 1;
    while ((value & ~0x7FL) != 0) {
      value >>>= 7;
      n++;
    }
    return n;
  }

  public static int putUvarint(byte[] buf, int pos, long value) {
    while ((value & ~0x7FL) != 0) {
      buf[pos++] = (byte) ((value & 0x7F) | 0x80);
      value >>>= 7;
    }
    buf[pos++] = (byte) value;
    return pos;
  }
}
