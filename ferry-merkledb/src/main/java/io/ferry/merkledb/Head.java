package io.ferry.merkledb;

import io.ferry.core.ErrorCode;
import io.ferry.core.FerryException;
import io.ferry.core.Hash;
import io.ferry.merkledb.trie.Path;
import java.nio.ByteBuffer;

/**
 * The committed head: its revision and the path of its root node (null when empty). Stored as one
 * record, written in the same atomic batch as the commit it describes.
 */
record Head(Revision revision, Path rootPath) {
  static Head empty() {
    return new Head(new Revision(0, Hash.ZERO), null);
  }

  byte[] encode() {
    byte[] packed = rootPath == null ? new byte[0] : rootPath.packed();
    ByteBuffer b = ByteBuffer.allocate(8 + 32 + 1 + 4 + packed.length);
    b.putLong(revision.height());
    revision.root().copyTo(b.array(), 8);
    b.position(40);
    b.put((byte) (rootPath == null ? 0 : 1));
    b.putInt(rootPath == null ? 0 : rootPath.length());
    b.put(packed);
    return b.array();
  }

  static Head decode(byte[] data, BranchFactor bf) {
    try {
      ByteBuffer b = ByteBuffer.wrap(data);
      long height = b.getLong();
      byte[] root = new byte[32];
      b.get(root);
      boolean hasRoot = b.get() == 1;
      int tokens = b.getInt();
      byte[] packed = new byte[b.remaining()];
      b.get(packed);
      Path path = hasRoot ? Path.ofPacked(packed, (long) tokens * bf.tokenBits(), bf) : null;
      return new Head(new Revision(height, Hash.of(root)), path);
    } catch (RuntimeException e) {
      throw new FerryException(ErrorCode.CORRUPT_DATA, "the stored head record is corrupt", e);
    }
  }
}
