package io.ferry.merkledb;

import io.ferry.core.Bytes;
import io.ferry.core.ErrorCode;
import io.ferry.core.FerryException;
import java.io.ByteArrayOutputStream;
import java.nio.ByteBuffer;
import java.util.Optional;

/**
 * One key's change in one commit, as the history keeps it: its value before and after. Stored under
 * the commit's height followed by the key, so a height range is one scan and pruning is one range
 * delete.
 */
record HistoryRecord(Optional<Bytes> before, Optional<Bytes> after) {
  static byte[] storageKey(long height, Bytes key) {
    return ByteBuffer.allocate(8 + key.length()).putLong(height).put(key.unsafeArray()).array();
  }

  static byte[] heightPrefix(long height) {
    return ByteBuffer.allocate(8).putLong(height).array();
  }

  static long heightOf(byte[] storageKey) {
    return ByteBuffer.wrap(storageKey).getLong();
  }

  static Bytes keyOf(byte[] storageKey) {
    return Bytes.wrap(java.util.Arrays.copyOfRange(storageKey, 8, storageKey.length));
  }

  byte[] encode() {
    ByteArrayOutputStream out = new ByteArrayOutputStream();
    write(out, before);
    write(out, after);
    return out.toByteArray();
  }

  private static void write(ByteArrayOutputStream out, Optional<Bytes> v) {
    if (v.isEmpty()) {
      out.write(0);
      return;
    }
    out.write(1);
    byte[] len = ByteBuffer.allocate(4).putInt(v.get().length()).array();
    out.writeBytes(len);
    out.writeBytes(v.get().unsafeArray());
  }

  static HistoryRecord decode(byte[] data) {
    try {
      ByteBuffer b = ByteBuffer.wrap(data);
      HistoryRecord r = new HistoryRecord(read(b), read(b));
      if (b.hasRemaining()) {
        throw new IllegalArgumentException("trailing bytes");
      }
      return r;
    } catch (RuntimeException e) {
      throw new FerryException(ErrorCode.CORRUPT_DATA, "a stored history record is corrupt", e);
    }
  }

  private static Optional<Bytes> read(ByteBuffer b) {
    if (b.get() == 0) {
      return Optional.empty();
    }
    byte[] v = new byte[b.getInt()];
    b.get(v);
    return Optional.of(Bytes.wrap(v));
  }
}
