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

  /**
   * Runs {@code task} where it cannot overlap this scheduler's tasks and returns once it has run: a
   * way to stop a part whose state lives on the scheduler before what it uses is closed. A threaded
   * scheduler runs it on its thread and waits (at once when the caller is that thread); a
   * virtual-time scheduler, whose tasks run only on its owner's thread, which is then the caller,
   * runs it at once (waiting for it to come up would wait forever).
   *
   * @param timeout how long to wait for the scheduler's thread
   * @throws io.ferry.core.FerryException {@link io.ferry.core.ErrorCode#TIMEOUT} when the task did
   *     not run within {@code timeout}; a task's own exception is thrown as it is
   */
  void runAndWait(Runnable task, Duration timeout);

  /** The clock this scheduler's delays are measured on. */
  Clock clock();
}
