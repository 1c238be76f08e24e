package io.ferry.core;

import java.util.Arrays;
import java.util.Optional;

/**
 * An inclusive range of keys, {@code [start, end]}, where an absent bound means unbounded on that
 * side. This is the range a proof request names: no start is "from the first key", no end is "to
 * the last key".
 *
 * <p>Keys are at most {@link Limits#MAX_KEY_BYTES} long, so the key space is finite: every key but
 * the largest (0xff repeated {@code MAX_KEY_BYTES} times) has a {@link #successor}, and a range cut
 * after a key continues at it. This is the one successor Ferry uses for key ranges.
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

  /**
   * The keys of this range after {@code key}: from {@link #successor}({@code key}) (or this range's
   * start, if later) to this range's end; empty when none is left, because {@code key} is at or
   * past the end or is the largest key there is.
   */
  public Optional<KeyRange> after(Bytes key) {
    Optional<Bytes> next = successor(key);
    if (next.isEmpty() || endsBefore(next.get())) {
      return Optional.empty();
    }
    Optional<Bytes> from =
        start.isPresent() && start.get().compareTo(next.get()) > 0 ? start : next;
    return Optional.of(new KeyRange(from, end));
  }

  /**
   * The smallest key greater than {@code key}: {@code key} followed by a zero byte when it is
   * shorter than {@link Limits#MAX_KEY_BYTES}; otherwise {@code key} with its trailing 0xff bytes
   * dropped and its last remaining byte incremented; empty when {@code key} is all 0xff and of the
   * maximum length, the largest key there is.
   *
   * @throws FerryException {@link ErrorCode#LIMIT_EXCEEDED} if {@code key} is longer than a key may
   *     be
   */
  public static Optional<Bytes> successor(Bytes key) {
    return successor(key, Limits.MAX_KEY_BYTES);
  }

  /** {@link #successor(Bytes)} among the keys of at most {@code maxLength} bytes. */
  public static Optional<Bytes> successor(Bytes key, int maxLength) {
    byte[] k = checkLength(key, maxLength);
    if (k.length < maxLength) {
      return Optional.of(Bytes.wrap(Arrays.copyOf(k, k.length + 1)));
    }
    int n = k.length;
    while (n > 0 && k[n - 1] == (byte) 0xff) {
      n--;
    }
    if (n == 0) {
      return Optional.empty();
    }
    byte[] next = Arrays.copyOf(k, n);
    next[n - 1]++;
    return Optional.of(Bytes.wrap(next));
  }

  /**
   * The largest key smaller than {@code key} among the keys of at most {@code maxLength} bytes, the
   * inverse of {@link #successor(Bytes, int)}: {@code key} less its last byte when that byte is
   * zero; otherwise {@code key} with its last byte decremented and padded with 0xff bytes to {@code
   * maxLength}; empty for the empty key, the smallest.
   */
  public static Optional<Bytes> predecessor(Bytes key, int maxLength) {
    byte[] k = checkLength(key, maxLength);
    int n = k.length;
    if (n == 0) {
      return Optional.empty();
    }
    if (k[n - 1] == 0) {
      return Optional.of(Bytes.wrap(Arrays.copyOf(k, n - 1)));
    }
    byte[] previous = Arrays.copyOf(k, maxLength);
    previous[n - 1]--;
    Arrays.fill(previous, n, maxLength, (byte) 0xff);
    return Optional.of(Bytes.wrap(previous));
  }

  private static byte[] checkLength(Bytes key, int maxLength) {
    if (key.length() > maxLength) {
      throw new FerryException(
          ErrorCode.LIMIT_EXCEEDED,
          "a key of " + key.length() + " bytes is longer than the " + maxLength + " a key may be");
    }
    return key.unsafeArray();
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
