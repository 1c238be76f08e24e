package io.ferry.core.runtime;

import java.time.Instant;

/** The real clock: {@link System#nanoTime()} and the system calendar. Stateless. */
public final class SystemClock implements Clock {
  public static final SystemClock INSTANCE = new SystemClock();

  private SystemClock() {}

  @Override
  public long nanos() {
    return System.nanoTime();
  }

  @Override
  public Instant instant() {
    return Instant.now();
  }
}
