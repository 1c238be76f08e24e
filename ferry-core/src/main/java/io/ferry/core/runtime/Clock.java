package io.ferry.core.runtime;

import java.time.Instant;

/**
 * Time as protocol code sees it. Protocol logic never reads the wall clock directly: it is given a
 * Clock, which is {@link SystemClock} in a real node and a {@link ManualClock} (virtual time) in
 * tests and the simulator.
 *
 * <p>Implementations are thread-safe.
 */
public interface Clock {
  /** Monotonic nanoseconds for measuring intervals; only differences are meaningful. */
  long nanos();

  /** The current calendar time, for timestamps that leave the process (logs, gossip values). */
  Instant instant();

  /** Monotonic milliseconds, derived from {@link #nanos()}. */
  default long millis() {
    return nanos() / 1_000_000L;
  }
}
