package io.ferry.sim.gossip;

import io.ferry.core.runtime.Clock;
import java.time.Instant;

/**
 * One simulated machine's clock over the simulation's: its monotonic time counts from its own
 * origin (a real machine's {@code System.nanoTime()} counts from its boot, days before the run),
 * and its calendar is off by a small skew, as NTP leaves real clocks. Code that takes monotonic
 * time for the calendar, or needs clocks to agree to the millisecond, fails here as between real
 * machines. Thread-safe as the clock it reads.
 *
 * @param base the simulation's virtual clock
 * @param uptimeNanos what this machine's monotonic clock read when the simulation began
 * @param skewMillis how far this machine's calendar is ahead of the true one (negative: behind)
 */
record MachineClock(Clock base, long uptimeNanos, long skewMillis) implements Clock {
  @Override
  public long nanos() {
    return base.nanos() + uptimeNanos;
  }

  @Override
  public Instant instant() {
    return base.instant().plusMillis(skewMillis);
  }
}
