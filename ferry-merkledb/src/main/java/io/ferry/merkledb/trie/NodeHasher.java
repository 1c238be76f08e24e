package io.ferry.merkledb.trie;

import io.ferry.core.Hash;
import io.ferry.core.Hasher;
import io.ferry.core.Sha256Hasher;
import java.security.MessageDigest;

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
    int width = node.width();
    Hash[] ids = new Hash[width];
    for (int i = 0; i < width; i++) {
      Child c = node.child(i);
      if (c != null) {
        ids[i] = c.id();
      }
    }
    return hash(ids, node.childCount(), node.valueDigest(), node.key());
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
    byte[] buf = new byte[10 + childCount * (Hash.LENGTH + 2)];
    int p = putUvarint(buf, 0, childCount);
    for (int i = 0; i < childIds.length; i++) {
      Hash id = childIds[i];
      if (id != null) {
        p = putUvarint(buf, p, i);
        id.copyTo(buf, p);
        p += Hash.LENGTH;
      }
    }
    MessageDigest digest = Sha256Hasher.threadDigest();
    digest.update(buf, 0, p);
    byte[] tail = new byte[valueDigest == null ? 1 : 1 + 10 + valueDigest.length];
    int q;
    if (valueDigest == null) {
      tail[0] = 0;
      q = 1;
    } else {
      tail[0] = 1;
      q = putUvarint(tail, 1, valueDigest.length);
      System.arraycopy(valueDigest, 0, tail, q, valueDigest.length);
      q += valueDigest.length;
    }
    digest.update(tail, 0, q);
    byte[] len = new byte[10];
    int l = putUvarint(len, 0, key.bitLength());
    digest.update(len, 0, l);
    digest.update(key.packed());
    return Hash.of(digest.digest());
  }

  /** Writes {@code value} as an unsigned LEB128 varint; returns the position after it. */
  static int putUvarint(byte[] buf, int pos, long value) {
    while ((value & ~0x7FL) != 0) {
      buf[pos++] = (byte) ((value & 0x7F) | 0x80);
      value >>>= 7;
    }
    buf[pos++] = (byte) value;
    return pos;
  }
}
