package io.ferry.merkledb;

import io.ferry.core.Bytes;
import io.ferry.core.ErrorCode;
import io.ferry.core.FerryException;
import io.ferry.core.Limits;
import java.util.Collections;
import java.util.List;
import java.util.NavigableMap;
import java.util.Optional;
import java.util.TreeMap;

/**
 * Puts and deletes to apply together, in key order; a later operation on a key replaces an earlier
 * one. Keys and values are checked against {@link Limits} as they are added. Not thread-safe.
 */
public final class Batch {
  private final TreeMap<Bytes, Optional<Bytes>> ops = new TreeMap<>();

  public static Batch of(List<KeyValue> kvs) {
    Batch b = new Batch();
    kvs.forEach(kv -> b.put(kv.key(), kv.value()));
    return b;
  }

  public static Batch ofChanges(List<KeyChange> changes) {
    Batch b = new Batch();
    changes.forEach(c -> b.set(c.key(), c.value()));
    return b;
  }

  public Batch put(Bytes key, Bytes value) {
    return set(key, Optional.of(value));
  }

  public Batch delete(Bytes key) {
    return set(key, Optional.empty());
  }

  /** Sets {@code key} to {@code value}, or deletes it if {@code value} is empty. */
  public Batch set(Bytes key, Optional<Bytes> value) {
    checkLimits(key, value);
    ops.put(key, value);
    return this;
  }

  /**
   * Checks a key and value against {@link Limits}.
   *
   * @throws FerryException {@link ErrorCode#LIMIT_EXCEEDED} naming the limit
   */
  public static void checkLimits(Bytes key, Optional<Bytes> value) {
    if (key.length() > Limits.MAX_KEY_BYTES) {
      throw new FerryException(
          ErrorCode.LIMIT_EXCEEDED,
          "key of " + key.length() + " bytes is over the limit of " + Limits.MAX_KEY_BYTES);
    }
    if (value.isPresent() && value.get().length() > Limits.MAX_VALUE_BYTES) {
      throw new FerryException(
          ErrorCode.LIMIT_EXCEEDED,
          "value of "
              + value.get().length()
              + " bytes for key "
              + key
              + " is over the limit of "
              + Limits.MAX_VALUE_BYTES);
    }
  }

  /** The operations by key; an empty value is a delete. */
  public NavigableMap<Bytes, Optional<Bytes>> operations() {
    return Collections.unmodifiableNavigableMap(ops);
  }

  public int size() {
    return ops.size();
  }

  public boolean isEmpty() {
    return ops.isEmpty();
  }
}
