package io.ferry.merkledb.store;

import io.ferry.core.ErrorCode;
import io.ferry.core.FerryException;
import io.ferry.core.Hash;
import io.ferry.merkledb.BranchFactor;
import io.ferry.merkledb.trie.Child;
import io.ferry.merkledb.trie.Node;
import io.ferry.merkledb.trie.NodeHasher;
import io.ferry.merkledb.trie.Path;

/**
 * The stored form of a hashed node: its id, its value digest, and each child's index, compressed
 * path, id and flags (holds a value; its subtree's height class). The node's own path is the
 * storage key, so it is not repeated here. A record that does not parse, or whose content does not
 * hash to its id, is {@link ErrorCode#CORRUPT_DATA}. Stateless.
 */
public final class NodeCodec {
  /** A child entry's flag: the child holds a value. */
  private static final int VALUE_FLAG = 1;

  /**
   * A child entry's flag bits for its subtree's height class plus one ({@link Child#height}): 0
   * unknown (every record of store format 1), 1 a leaf, 2 a branch over leaves, 3 taller.
   */
  private static final int HEIGHT_SHIFT = 1;

  private static final int HEIGHT_MASK = 3 << HEIGHT_SHIFT;

  private NodeCodec() {}

  public static byte[] encode(Node n) {
    if (n.id() == null) {
      throw new FerryException(ErrorCode.INTERNAL, "cannot store unhashed node " + n.key());
    }
    byte[] digest = n.valueDigest();
    int count = n.childCount();
    int size =
        Hash.LENGTH
            + 1
            + (digest == null ? 0 : NodeHasher.uvarintSize(digest.length) + digest.length)
            + NodeHasher.uvarintSize(count);
    for (int i = 0, w = count == 0 ? 0 : n.width(); i < w; i++) {
      Child c = n.child(i);
      if (c != null) {
        Path k = c.compressedKey();
        size +=
            NodeHasher.uvarintSize(i)
                + NodeHasher.uvarintSize(k.length())
                + (k.bitLength() + 7) / 8
                + Hash.LENGTH
                + 1;
      }
    }
    byte[] out = new byte[size];
    n.id().copyTo(out, 0);
    int p = Hash.LENGTH;
    out[p++] = (byte) (digest == null ? 0 : 1);
    if (digest != null) {
      p = NodeHasher.putUvarint(out, p, digest.length);
      System.arraycopy(digest, 0, out, p, digest.length);
      p += digest.length;
    }
    p = NodeHasher.putUvarint(out, p, count);
    for (int i = 0, w = count == 0 ? 0 : n.width(); i < w; i++) {
      Child c = n.child(i);
      if (c == null) {
        continue;
      }
      if (c.id() == null) {
        throw new FerryException(ErrorCode.INTERNAL, "cannot store node with unhashed child");
      }
      p = NodeHasher.putUvarint(out, p, i);
      p = NodeHasher.putUvarint(out, p, c.compressedKey().length());
      p = c.compressedKey().packInto(out, p);
      c.id().copyTo(out, p);
      p += Hash.LENGTH;
      out[p++] = (byte) ((c.hasValue() ? VALUE_FLAG : 0) | (c.height() + 1) << HEIGHT_SHIFT);
    }
    return out; // sized exactly above
  }

  public static Node decode(Path key, byte[] data, BranchFactor bf) {
    Reader r = new Reader(data, key);
    Hash id = Hash.of(r.bytes(Hash.LENGTH));
    Node n = new Node(key, bf.width());
    int flags = r.u8();
    if (flags == 1) {
      int len = r.uvarint(Hash.LENGTH);
      n.setValueDigest(r.bytes(len));
    } else if (flags != 0) {
      throw r.corrupt("bad flags " + flags);
    }
    int count = r.uvarint(bf.width());
    for (int k = 0; k < count; k++) {
      int index = r.uvarint(bf.width() - 1);
      if (n.child(index) != null) {
        throw r.corrupt("child " + index + " twice");
      }
      long bits = (long) r.uvarint(Integer.MAX_VALUE) * bf.tokenBits();
      byte[] packed = r.bytes((bits + 7) / 8);
      Path compressed;
      try {
        compressed = Path.ofPacked(packed, bits, bf);
      } catch (FerryException e) {
        throw r.corrupt(e.getMessage());
      }
      Hash childId = Hash.of(r.bytes(Hash.LENGTH));
      int childFlags = r.u8();
      if ((childFlags & ~(VALUE_FLAG | HEIGHT_MASK)) != 0) {
        throw r.corrupt("bad child flags " + childFlags);
      }
      n.setChild(
          index,
          new Child(
              compressed,
              childId,
              (childFlags & VALUE_FLAG) != 0,
              ((childFlags & HEIGHT_MASK) >> HEIGHT_SHIFT) - 1));
    }
    if (r.pos != data.length) {
      throw r.corrupt("trailing bytes");
    }
    // The stored id is the hash of the rest: a change anywhere in the record shows here.
    Hash actual = NodeHasher.hash(n);
    if (!actual.equals(id)) {
      throw r.corrupt("its content hashes to " + actual + ", not to its id " + id);
    }
    n.setId(id);
    return n;
  }

  /** A bounds-checked cursor over a record. */
  static final class Reader {
    private final byte[] data;
    private final Object what;
    int pos;

    Reader(byte[] data, Object what) {
      this.data = data;
      this.what = what;
    }

    int u8() {
      if (pos >= data.length) {
        throw corrupt("truncated");
      }
      return data[pos++] & 0xff;
    }

    byte[] bytes(long n) {
      if (n < 0 || n > data.length - pos) {
        throw corrupt("truncated");
      }
      byte[] out = java.util.Arrays.copyOfRange(data, pos, pos + (int) n);
      pos += (int) n;
      return out;
    }

    int uvarint(int max) {
      long v = 0;
      for (int shift = 0; shift < 35; shift += 7) {
        int b = u8();
        v |= (long) (b & 0x7F) << shift;
        if ((b & 0x80) == 0) {
          if (v > max) {
            throw corrupt("value " + v + " over " + max);
          }
          return (int) v;
        }
      }
      throw corrupt("varint too long");
    }

    FerryException corrupt(String why) {
      return new FerryException(
          ErrorCode.CORRUPT_DATA, "stored record for " + what + " is corrupt: " + why);
    }
  }
}
