package io.ferry.merkledb.store;

import java.util.ArrayList;
import java.util.List;

/** Changes that a store applies all together or not at all. Not thread-safe. */
public final class WriteBatch {
  /** One change; {@code value == null} deletes, and {@code rangeEnd != null} deletes a range. */
  public record Op(Column column, byte[] key, byte[] value, byte[] rangeEnd) {}

  private final List<Op> ops = new ArrayList<>();

  public WriteBatch put(Column column, byte[] key, byte[] value) {
    ops.add(new Op(column, key, value, null));
    return this;
  }

  public WriteBatch delete(Column column, byte[] key) {
    ops.add(new Op(column, key, null, null));
    return this;
  }

  /** Deletes every key with {@code from <= key < to}. */
  public WriteBatch deleteRange(Column column, byte[] from, byte[] to) {
    ops.add(new Op(column, from, null, to));
    return this;
  }

  public List<Op> ops() {
    return ops;
  }

  public int size() {
    return ops.size();
  }
}
