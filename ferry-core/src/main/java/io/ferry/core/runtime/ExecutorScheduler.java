package io.ferry.core.runtime;

import io.ferry.core.ErrorCode;
import io.ferry.core.FerryException;
import java.time.Duration;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.ExecutionException;
import java.util.concurrent.ScheduledExecutorService;
import java.util.concurrent.ScheduledFuture;
import java.util.concurrent.ScheduledThreadPoolExecutor;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.TimeoutException;
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

  // The scheduler whose task the current thread runs, so runAndWait from a task runs inline.
  private static final ThreadLocal<ExecutorScheduler> RUNNING = new ThreadLocal<>();

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

  private void runLogged(Runnable task) {
    RUNNING.set(this);
    try {
      task.run();
    } catch (RuntimeException e) {
      log.error("scheduled task failed", e);
    } finally {
      RUNNING.remove();
    }
  }

  @Override
  public void runAndWait(Runnable task, Duration timeout) {
    if (RUNNING.get() == this) {
      task.run(); // called from one of our tasks: queueing it would wait for ourselves
      return;
    }
    CompletableFuture<Void> ran = new CompletableFuture<>();
    execute(
        () -> {
          try {
            task.run();
            ran.complete(null);
          } catch (RuntimeException | Error e) {
            ran.completeExceptionally(e);
          }
        });
    try {
      ran.get(timeout.toNanos(), TimeUnit.NANOSECONDS);
    } catch (TimeoutException e) {
      throw new FerryException(
          ErrorCode.TIMEOUT, "the scheduler's thread did not run the task within " + timeout);
    } catch (InterruptedException e) {
      Thread.currentThread().interrupt();
      throw new FerryException(ErrorCode.ILLEGAL_STATE, "interrupted while waiting for a task");
    } catch (ExecutionException e) {
      if (e.getCause() instanceof RuntimeException r) {
        throw r;
      }
      throw (Error) e.getCause();
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
