package io.ferry.blocks.store;

import io.ferry.blocks.cid.Cid;
import io.ferry.blocks.cid.Multicodec;
import io.ferry.blocks.dataset.BlockProof;
import io.ferry.core.ErrorCode;
import io.ferry.core.FerryException;
import io.ferry.core.Hash;
import java.util.Arrays;

/** The byte layouts of the store's keys and of a leaf's value. Stateless. */
final class Keys {
  private Keys() {}

  /** Bytes of a raw block's CID: every leaf's block is one, so a leaf's value starts with one. */
  static final int RAW_CID_BYTES = Cid.of(Multicodec.RAW, Hash.ZERO).toBytes().length;

  /** {@code tree ‖ index} as 4 bytes big-endian: leaves of one tree sort together, by index. */
  static byte[] leaf(byte[] tree, int index) {
    byte[] key = Arrays.copyOf(tree, tree.length + 4);
    putInt(key, tree.length, index);
    return key;
  }

  /** The index at the end of a leaf key. */
  static int leafIndex(byte[] key) {
    return getInt(key, key.length - 4);
  }

  /** A leaf's value: its block's raw CID, then its proof's protobuf encoding. */
  static byte[] leafValue(Cid block, BlockProof proof) {
    byte[] cid = block.toBytes();
    byte[] p = proof.toProto().toByteArray();
    byte[] value = Arrays.copyOf(cid, cid.length + p.length);
    System.arraycopy(p, 0, value, cid.length, p.length);
    return value;
  }

  /** The block CID at the start of a leaf's value. */
  static byte[] leafBlock(byte[] value) {
    if (value.length < RAW_CID_BYTES) {
      throw new FerryException(ErrorCode.CORRUPT_DATA, "a stored leaf of " + value.length + " B");
    }
    return Arrays.copyOf(value, RAW_CID_BYTES);
  }

  /** A staged block of an import: {@code import id ‖ index}, 8 and 4 bytes big-endian. */
  static byte[] staged(long id, int index) {
    byte[] key = new byte[12];
    putLong(key, 0, id);
    putInt(key, 8, index);
    return key;
  }

  /** The first key after every key that starts with {@code prefix}, or null if there is none. */
  static byte[] after(byte[] prefix) {
    byte[] end = prefix.clone();
    for (int i = end.length - 1; i >= 0; i--) {
      if (end[i] != (byte) 0xff) {
        end[i]++;
        return Arrays.copyOf(end, i + 1);
      }
    }
    return null;
  }

  static void putInt(byte[] b, int at, int v) {
    b[at] = (byte) (v >>> 24);
    b[at + 1] = (byte) (v >>> 16);
    b[at + 2] = (byte) (v >>> 8);
    b[at + 3] = (byte) v;
  }

  static int getInt(byte[] b, int at) {
    return (b[at] & 0xff) << 24
        | (b[at + 1] & 0xff) << 16
        | (b[at + 2] & 0xff) << 8
        | b[at + 3] & 0xff;
  }

  static void putLong(byte[] b, int at, long v) {
    putInt(b, at, (int) (v >>> 32));
    putInt(b, at + 4, (int) v);
  }

  static long getLong(byte[] b, int at) {
    return (long) getInt(b, at) << 32 | getInt(b, at + 4) & 0xffffffffL;
  }
}
