package io.ferry.core.runtime;

import static org.assertj.core.api.Assertions.assertThat;

import java.time.Duration;
import java.util.concurrent.CountDownLatch;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicBoolean;
import java.util.concurrent.atomic.AtomicReference;
import org.junit.jupiter.api.Test;

class ExecutorSchedulerTest {
  private static final long AWAIT_SECONDS = 10;

  @Test
  void runsATaskOnADaemonThread() throws Exception {
    try (ExecutorScheduler scheduler = new ExecutorScheduler("ferry-test", 1)) {
      CountDownLatch done = new CountDownLatch(1);
      AtomicReference<Thread> thread = new AtomicReference<>();
      scheduler.execute(
          () -> {
            thread.set(Thread.currentThread());
            done.countDown();
          });
      assertThat(done.await(AWAIT_SECONDS, TimeUnit.SECONDS)).isTrue();
      assertThat(thread.get().isDaemon()).isTrue();
      assertThat(thread.get().getName()).startsWith("ferry-test-");
      assertThat(scheduler.clock()).isSameAs(SystemClock.INSTANCE);
    }
  }

  @Test
  void waitsAtLeastTheDelay() throws Exception {
    try (ExecutorScheduler scheduler = new ExecutorScheduler("ferry-test", 1)) {
      CountDownLatch done = new CountDownLatch(1);
      long start = System.nanoTime();
      long[] ranAt = new long[1];
      scheduler.schedule(
          Duration.ofMillis(50),
          () -> {
            ranAt[0] = System.nanoTime();
            done.countDown();
          });
      assertThat(done.await(AWAIT_SECONDS, TimeUnit.SECONDS)).isTrue();
      assertThat(ranAt[0] - start).isGreaterThanOrEqualTo(Duration.ofMillis(50).toNanos());
    }
  }

  @Test
  void cancelPreventsRunning() throws Exception {
    try (ExecutorScheduler scheduler = new ExecutorScheduler("ferry-test", 1)) {
      // The only thread is held, so the task cannot run before it is cancelled.
      CountDownLatch gate = new CountDownLatch(1);
      scheduler.execute(() -> awaitQuietly(gate));
      AtomicBoolean cancelledRan = new AtomicBoolean();
      Cancellable handle = scheduler.execute(() -> cancelledRan.set(true));
      assertThat(handle.cancel()).isTrue();
      assertThat(handle.cancel()).isFalse();
      // One thread runs tasks in deadline order, ties in submission order: once the later marker
      // ran, the cancelled task would have run before it.
      CountDownLatch marker = new CountDownLatch(1);
      scheduler.execute(marker::countDown);
      gate.countDown();
      assertThat(marker.await(AWAIT_SECONDS, TimeUnit.SECONDS)).isTrue();
      assertThat(cancelledRan).isFalse();
    }
  }

  @Test
  void cancelAfterRunningReturnsFalse() throws Exception {
    try (ExecutorScheduler scheduler = new ExecutorScheduler("ferry-test", 1)) {
      CountDownLatch done = new CountDownLatch(1);
      Cancellable handle = scheduler.execute(done::countDown);
      assertThat(done.await(AWAIT_SECONDS, TimeUnit.SECONDS)).isTrue();
      // The task may still be finishing; wait for its future to complete, then cancel.
      CountDownLatch after = new CountDownLatch(1);
      scheduler.execute(after::countDown);
      assertThat(after.await(AWAIT_SECONDS, TimeUnit.SECONDS)).isTrue();
      assertThat(handle.cancel()).isFalse();
    }
  }

  @Test
  void aFailingTaskDoesNotStopLaterTasks() throws Exception {
    try (ExecutorScheduler scheduler = new ExecutorScheduler("ferry-test", 1)) {
      scheduler.execute(
          () -> {
            throw new IllegalStateException("boom (expected by the test)");
          });
      CountDownLatch done = new CountDownLatch(1);
      scheduler.schedule(Duration.ofMillis(1), done::countDown);
      assertThat(done.await(AWAIT_SECONDS, TimeUnit.SECONDS)).isTrue();
    }
  }

  @Test
  void closeDropsTasksNotYetRunAndEndsItsThread() throws Exception {
    AtomicBoolean ran = new AtomicBoolean();
    ExecutorScheduler scheduler = new ExecutorScheduler("ferry-test", 1);
    AtomicReference<Thread> worker = new AtomicReference<>();
    CountDownLatch started = new CountDownLatch(1);
    scheduler.execute(
        () -> {
          worker.set(Thread.currentThread());
          started.countDown();
        });
    assertThat(started.await(AWAIT_SECONDS, TimeUnit.SECONDS)).isTrue();
    scheduler.schedule(Duration.ofHours(1), () -> ran.set(true));
    scheduler.close();
    // Once its only thread has ended, nothing it held can run any more.
    worker.get().join(TimeUnit.SECONDS.toMillis(AWAIT_SECONDS));
    assertThat(worker.get().isAlive()).as("the scheduler's thread ends on close").isFalse();
    assertThat(ran).isFalse();
  }

  private static void awaitQuietly(CountDownLatch latch) {
    try {
      latch.await();
    } catch (InterruptedException e) {
      Thread.currentThread().interrupt();
    }
  }
}
