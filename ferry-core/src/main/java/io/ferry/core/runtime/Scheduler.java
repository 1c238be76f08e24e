package io.ferry.core.runtime;

import java.time.Duration;

/**
 * Runs tasks later: timeouts, retries, keepalives. Protocol state machines are given a Scheduler
 * and never sleep or start threads themselves, so the same code runs on real threads ({@link
 * ExecutorScheduler}) and in virtual time ({@link ManualScheduler}).
 *
 * <p>Implementations are thread-safe.
 */
public interface Scheduler {
  /** Runs {@code task} once, no sooner than {@code delay} from now on this scheduler's clock. */
  Cancellable schedule(Duration delay, Runnable task);

  /** Runs {@code task} as soon as possible, after tasks already due. */
  default Cancellable execute(Runnable task) {
    return schedule(Duration.ZERO, task);
  }

  /** The clock this scheduler's delays are measured on. */
  Clock clock();
}
