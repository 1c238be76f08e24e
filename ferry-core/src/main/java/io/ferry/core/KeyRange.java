package io.ferry.core;

import java.util.Optional;

/**
 * An inclusive range of keys, {@code [start, end]}, where an absent bound means unbounded on that
 * side. This is the range a proof request names: no start is "from the first key", no end is "to
 * the last key".
 *
 * <p>Immutable and thread-safe.
 *
 * @param start the smallest key in the range, or empty for no lower bound
 * @param end the largest key in the range, or empty for no upper bound
 */
public record KeyRange(Optional<Bytes> start, Optional<Bytes> end) {
  /** Every key. */
  public static final KeyRange ALL = new KeyRange(Optional.empty(), Optional.empty());

  /**
   * @throws FerryException {@link ErrorCode#INVALID_ARGUMENT} if both bounds are present and start
   *     is after end
   */
  public KeyRange {
    if (start.isPresent() && end.isPresent() && start.get().compareTo(end.get()) > 0) {
      throw new FerryException(
          ErrorCode.INVALID_ARGUMENT,
          "key range start " + start.get() + " is after its end " + end.get());
    }
  }

  /** {@code [start, end]}, with null meaning unbounded. */
  public static KeyRange of(Bytes start, Bytes end) {
    return new KeyRange(Optional.ofNullable(start), Optional.ofNullable(end));
  }

  /** {@code [start, +inf)}. */
  public static KeyRange from(Bytes start) {
    return of(start, null);
  }

  /** {@code (-inf, end]}. */
  public static KeyRange upTo(Bytes end) {
    return of(null, end);
  }

  public boolean contains(Bytes key) {
    return start.map(s -> key.compareTo(s) >= 0).orElse(true)
        && end.map(e -> key.compareTo(e) <= 0).orElse(true);
  }

  /** True if no key is both at or after {@code key} and in this range. */
  public boolean endsBefore(Bytes key) {
    return end.isPresent() && end.get().compareTo(key) < 0;
  }

  public boolean isUnbounded() {
    return start.isEmpty() && end.isEmpty();
  }

  @Override
  public String toString() {
    return "["
        + start.map(Bytes::toHex).orElse("-inf")
        + ", "
        + end.map(Bytes::toHex).orElse("+inf")
        + "]";
  }
}
