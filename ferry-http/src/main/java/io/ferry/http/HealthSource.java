package io.ferry.http;

import java.util.function.Supplier;

/**
 * Where {@code /health} gets its answer. Called on a Netty event loop for each request, so it must
 * be quick and must not block; an exception or null counts as {@link Health#UNKNOWN}.
 */
@FunctionalInterface
public interface HealthSource extends Supplier<Health> {
  /** A source that always answers {@link Health#UNKNOWN}. */
  HealthSource UNKNOWN = () -> Health.UNKNOWN;

  /** A source that always answers the given value. */
  static HealthSource constant(Health health) {
    return () -> health;
  }
}
