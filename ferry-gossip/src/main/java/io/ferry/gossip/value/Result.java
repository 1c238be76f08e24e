package io.ferry.gossip.value;

/**
 * A decoded payload, or the reason it breaks a rule. Sealed, so a caller handles both.
 *
 * @param <T> the payload type
 */
public sealed interface Result<T> {
  record Ok<T>(T value) implements Result<T> {}

  record Refused<T>(String reason) implements Result<T> {}

  static <T> Result<T> ok(T value) {
    return new Ok<>(value);
  }

  static <T> Result<T> refused(String reason) {
    return new Refused<>(reason);
  }
}
