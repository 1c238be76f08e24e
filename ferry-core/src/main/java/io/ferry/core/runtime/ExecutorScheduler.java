package io.ferry.core.runtime;

import java.time.Duration;
import java.util.concurrent.ScheduledExecutorService;
import java.util.concurrent.ScheduledFuture;
import java.util.concurrent.ScheduledThreadPoolExecutor;
import java.util.concurrent.TimeUnit;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * The real scheduler: a {@link ScheduledExecutorService} on daemon threads with the system clock. A
 * task that throws is logged and does not stop later tasks.
 *
 * <p>Thread-safe. Close it to stop its threads; tasks not yet run are dropped.
 */
public final class ExecutorScheduler implements Scheduler, AutoCloseable {
  private static final Logger log = LoggerFactory.getLogger(ExecutorScheduler.class);

  private final ScheduledThreadPoolExecutor executor;

  public ExecutorScheduler(String name, int threads) {
    this.executor =
        new ScheduledThreadPoolExecutor(
            threads, Thread.ofPlatform().name(name + "-thread-", 1).daemon().factory());
    executor.setRemoveOnCancelPolicy(true);
  }

  @Override
  public Cancellable schedule(Duration delay, Runnable task) {
    ScheduledFuture<?> future =
        executor.schedule(() -> runLogged(task), delay.toNanos(), TimeUnit.NANOSECONDS);
    return () -> future.cancel(false);
  }

  private static void runLogged(Runnable task) {
    try {
      task.run();
    } catch (RuntimeException e) {
      log.error("scheduled task failed", e);
    }
  }

  @Override
  public Clock clock() {
    return SystemClock.INSTANCE;
  }

  @Override
  public void close() {
    executor.shutdownNow();
  }
}
