package io.ferry.core.runtime;

import static io.ferry.core.FerryAssertions.assertFerryError;
import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import io.ferry.core.ErrorCode;
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

  @Test
  void runAndWaitRunsOnTheSchedulersThreadAfterTheTaskInProgress() throws Exception {
    try (ExecutorScheduler scheduler = new ExecutorScheduler("ferry-test", 1)) {
      CountDownLatch started = new CountDownLatch(1);
      CountDownLatch gate = new CountDownLatch(1);
      AtomicBoolean earlierDone = new AtomicBoolean();
      scheduler.execute(
          () -> {
            started.countDown();
            awaitQuietly(gate);
            earlierDone.set(true);
          });
      assertThat(started.await(AWAIT_SECONDS, TimeUnit.SECONDS)).isTrue();
      AtomicReference<Thread> ranOn = new AtomicReference<>();
      AtomicBoolean sawEarlierDone = new AtomicBoolean();
      gate.countDown();
      scheduler.runAndWait(
          () -> {
            ranOn.set(Thread.currentThread());
            sawEarlierDone.set(earlierDone.get());
          },
          Duration.ofSeconds(AWAIT_SECONDS));
      assertThat(ranOn.get().getName()).startsWith("ferry-test-");
      assertThat(sawEarlierDone).as("the task ran after the one in progress").isTrue();
    }
  }

  @Test
  void runAndWaitFromOneOfItsTasksRunsAtOnce() throws Exception {
    try (ExecutorScheduler scheduler = new ExecutorScheduler("ferry-test", 1)) {
      CountDownLatch done = new CountDownLatch(1);
      AtomicBoolean inner = new AtomicBoolean();
      scheduler.execute(
          () -> {
            scheduler.runAndWait(() -> inner.set(true), Duration.ofSeconds(AWAIT_SECONDS));
            done.countDown();
          });
      // Queued behind itself it would time out instead: the latch would not open in time.
      assertThat(done.await(AWAIT_SECONDS / 2, TimeUnit.SECONDS)).isTrue();
      assertThat(inner).isTrue();
    }
  }

  @Test
  void runAndWaitTimesOutWhileTheThreadIsHeldAndPassesOnATasksException() throws Exception {
    try (ExecutorScheduler scheduler = new ExecutorScheduler("ferry-test", 1)) {
      CountDownLatch gate = new CountDownLatch(1);
      scheduler.execute(() -> awaitQuietly(gate));
      assertFerryError(
          () -> scheduler.runAndWait(() -> {}, Duration.ofMillis(20)), ErrorCode.TIMEOUT);
      gate.countDown();
      assertThatThrownBy(
              () ->
                  scheduler.runAndWait(
                      () -> {
                        throw new IllegalStateException("boom (expected by the test)");
                      },
                      Duration.ofSeconds(AWAIT_SECONDS)))
          .isInstanceOf(IllegalStateException.class)
          .hasMessageContaining("boom");
    }
  }

  private static void awaitQuietly(CountDownLatch latch) {
    try {
      latch.await();
    } catch (InterruptedException e) {
      Thread.currentThread().interrupt();
    }
  }
}
