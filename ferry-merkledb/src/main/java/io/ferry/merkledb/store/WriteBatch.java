package io.ferry.merkledb.store;

import java.util.ArrayList;
import java.util.List;

/** Changes that a store applies all together or not at all, in order. Not thread-safe. */
public final class WriteBatch {
  /** One change. */
  public sealed interface Op {
    Column column();
  }

  /** Sets {@code key} to {@code value}. */
  public record Put(Column column, byte[] key, byte[] value) implements Op {}

  /** Deletes {@code key}. */
  public record Delete(Column column, byte[] key) implements Op {}

  /**
   * Deletes every key with {@code from <= key < to}, or with {@code from <= key} when {@code to} is
   * null.
   */
  public record DeleteRange(Column column, byte[] from, byte[] to) implements Op {}

  private final List<Op> ops = new ArrayList<>();
  private boolean deletesToTheEnd;

  public WriteBatch put(Column column, byte[] key, byte[] value) {
    ops.add(new Put(column, key, value));
    return this;
  }

  public WriteBatch delete(Column column, byte[] key) {
    ops.add(new Delete(column, key));
    return this;
  }

  /** Deletes every key with {@code from <= key < to}. */
  public WriteBatch deleteRange(Column column, byte[] from, byte[] to) {
    if (to == null) {
      throw new IllegalArgumentException("a range delete needs an end; deleteFrom has none");
    }
    ops.add(new DeleteRange(column, from, to));
    return this;
  }

  /**
   * Deletes every key with {@code from <= key}, up to the last one in the column, including those
   * put earlier in this batch.
   */
  public WriteBatch deleteFrom(Column column, byte[] from) {
    ops.add(new DeleteRange(column, from, null));
    deletesToTheEnd = true;
    return this;
  }

  /** Whether the batch holds a {@link #deleteFrom}, which a store applies alone. */
  public boolean deletesToTheEnd() {
    return deletesToTheEnd;
  }

  public List<Op> ops() {
    return ops;
  }

  public int size() {
    return ops.size();
  }
}
