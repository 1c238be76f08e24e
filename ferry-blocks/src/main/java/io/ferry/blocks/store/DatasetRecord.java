package io.ferry.blocks.store;

import io.ferry.core.ErrorCode;
import io.ferry.core.FerryException;

/**
 * What the store keeps per tree in its {@code datasets} column, written in the same batch as every
 * change to the tree's leaves, so that it always agrees with them: how many leaves it holds, their
 * blocks' bytes, the bytes of their index entries (which the quota counts), when it was last used,
 * and whether a delete of it is under way (which the next open finishes).
 *
 * @param deleting a delete started and has not finished
 * @param leaves leaves held
 * @param dataBytes bytes of the held leaves' blocks, each leaf counted (blocks shared between
 *     leaves or trees are stored once)
 * @param leafBytes bytes of the held leaves' keys and values in the {@code leaves} column
 * @param lastAccess the store's logical clock at the last use it wrote down
 */
record DatasetRecord(
    boolean deleting, int leaves, long dataBytes, long leafBytes, long lastAccess) {
  private static final byte VERSION = 1;
  private static final int BYTES = 2 + 4 + 8 + 8 + 8;

  byte[] encode() {
    byte[] b = new byte[BYTES];
    b[0] = VERSION;
    b[1] = (byte) (deleting ? 1 : 0);
    Keys.putInt(b, 2, leaves);
    Keys.putLong(b, 6, dataBytes);
    Keys.putLong(b, 14, leafBytes);
    Keys.putLong(b, 22, lastAccess);
    return b;
  }

  /**
   * @throws FerryException {@link ErrorCode#CORRUPT_DATA} for bytes this class did not write
   */
  static DatasetRecord decode(byte[] b) {
    if (b.length != BYTES || b[0] != VERSION || (b[1] & ~1) != 0) {
      throw new FerryException(ErrorCode.CORRUPT_DATA, "a dataset record that does not decode");
    }
    DatasetRecord r =
        new DatasetRecord(
            b[1] == 1,
            Keys.getInt(b, 2),
            Keys.getLong(b, 6),
            Keys.getLong(b, 14),
            Keys.getLong(b, 22));
    if (r.leaves < 0 || r.dataBytes < 0 || r.leafBytes < 0) {
      throw new FerryException(ErrorCode.CORRUPT_DATA, "a dataset record out of bounds");
    }
    return r;
  }
}
