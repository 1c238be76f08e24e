package io.ferry.core.runtime;

import io.ferry.core.ErrorCode;
import io.ferry.core.FerryException;
import java.time.Duration;
import java.time.Instant;

/**
 * A clock that moves only when told to: virtual time for tests and the simulator. Starts at nanos 0
 * and a fixed epoch instant, so two runs see the same times.
 *
 * <p>Thread-safe, though virtual-time code normally drives it from one thread.
 */
public final class ManualClock implements Clock {
  /** The calendar instant that virtual time zero corresponds to. */
  public static final Instant EPOCH = Instant.parse("2025-01-01T00:00:00Z");

  private volatile long nanos;

  @Override
  public long nanos() {
    return nanos;
  }

  @Override
  public Instant instant() {
    return EPOCH.plusNanos(nanos);
  }

  /** Moves time forward; time never goes back. */
  public synchronized void advance(Duration by) {
    if (by.isNegative()) {
      throw new FerryException(ErrorCode.INVALID_ARGUMENT, "time cannot go backwards: " + by);
    }
    nanos += by.toNanos();
  }

  /** Sets time to {@code target} nanos if that is not in the past. */
  public synchronized void advanceTo(long targetNanos) {
    if (targetNanos < nanos) {
      throw new FerryException(
          ErrorCode.INVALID_ARGUMENT, "time cannot go backwards: " + targetNanos + " < " + nanos);
    }
    nanos = targetNanos;
  }
}
