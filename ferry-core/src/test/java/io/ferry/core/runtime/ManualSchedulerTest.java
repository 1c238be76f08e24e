package io.ferry.core.runtime;

import static io.ferry.core.FerryAssertions.assertFerryError;
import static org.assertj.core.api.Assertions.assertThat;

import io.ferry.core.ErrorCode;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import org.junit.jupiter.api.Test;

class ManualSchedulerTest {
  private final ManualScheduler scheduler = new ManualScheduler();
  private final ManualClock clock = scheduler.clock();
  private final List<String> ran = new ArrayList<>();

  private static Duration ms(long millis) {
    return Duration.ofMillis(millis);
  }

  private Runnable record(String name) {
    return () -> ran.add(name + "@" + clock.millis());
  }

  @Test
  void runsInDeadlineOrder() {
    scheduler.schedule(ms(30), record("c"));
    scheduler.schedule(ms(10), record("a"));
    scheduler.schedule(ms(20), record("b"));
    assertThat(scheduler.pending()).isEqualTo(3);
    assertThat(scheduler.nextDeadline()).isEqualTo(ms(10).toNanos());

    assertThat(scheduler.advance(ms(100))).isEqualTo(3);
    assertThat(ran).containsExactly("a@10", "b@20", "c@30");
    assertThat(clock.millis()).isEqualTo(100);
    assertThat(scheduler.pending()).isZero();
    assertThat(scheduler.nextDeadline()).isEqualTo(-1);
  }

  @Test
  void equalDeadlinesRunInSchedulingOrder() {
    for (int i = 0; i < 20; i++) {
      scheduler.schedule(ms(5), record("t" + i));
    }
    scheduler.execute(record("now1"));
    scheduler.execute(record("now2"));
    scheduler.advance(ms(5));
    List<String> expected = new ArrayList<>(List.of("now1@0", "now2@0"));
    for (int i = 0; i < 20; i++) {
      expected.add("t" + i + "@5");
    }
    assertThat(ran).containsExactlyElementsOf(expected);
  }

  @Test
  void nothingRunsBeforeItsDeadline() {
    scheduler.schedule(ms(10), record("a"));
    assertThat(scheduler.advance(ms(10).minusNanos(1))).isZero();
    assertThat(ran).isEmpty();
    assertThat(scheduler.runDue()).isZero();
    assertThat(ran).isEmpty();
    assertThat(scheduler.pending()).isEqualTo(1);
    assertThat(scheduler.advance(Duration.ofNanos(1))).isEqualTo(1);
    assertThat(ran).containsExactly("a@10");
  }

  @Test
  void clockReadsEachTasksDeadlineWhileItRuns() {
    List<Long> seen = new ArrayList<>();
    long[] delays = {7, 3, 3, 12, 1};
    for (long d : delays) {
      scheduler.schedule(Duration.ofNanos(d), () -> seen.add(clock.nanos()));
    }
    scheduler.advance(Duration.ofNanos(1000));
    assertThat(seen).containsExactly(1L, 3L, 3L, 7L, 12L);
    assertThat(clock.nanos()).isEqualTo(1000);
  }

  @Test
  void delaysAreMeasuredFromTheCurrentTime() {
    clock.advance(ms(100));
    scheduler.schedule(ms(10), record("a"));
    assertThat(scheduler.nextDeadline()).isEqualTo(ms(110).toNanos());
    scheduler.advance(ms(10));
    assertThat(ran).containsExactly("a@110");
  }

  @Test
  void negativeDelayMeansNow() {
    clock.advance(ms(50));
    scheduler.schedule(ms(-10), record("a"));
    assertThat(scheduler.nextDeadline()).isEqualTo(ms(50).toNanos());
    assertThat(scheduler.runDue()).isEqualTo(1);
    assertThat(ran).containsExactly("a@50");
  }

  @Test
  void cancelPreventsRunningAndSucceedsOnce() {
    Cancellable a = scheduler.schedule(ms(10), record("a"));
    Cancellable b = scheduler.schedule(ms(10), record("b"));
    assertThat(a.cancel()).isTrue();
    assertThat(a.cancel()).isFalse();
    assertThat(scheduler.pending()).isEqualTo(1);
    scheduler.advance(ms(10));
    assertThat(ran).containsExactly("b@10");
    assertThat(b.cancel()).as("cancel after it ran").isFalse();
  }

  @Test
  void aTaskCanCancelALaterOne() {
    Cancellable[] later = new Cancellable[1];
    scheduler.schedule(ms(1), () -> assertThat(later[0].cancel()).isTrue());
    later[0] = scheduler.schedule(ms(2), record("later"));
    assertThat(scheduler.advance(ms(5))).isEqualTo(1);
    assertThat(ran).isEmpty();
  }

  @Test
  void tasksScheduledByTasksRunInTheSameAdvanceIfDue() {
    scheduler.schedule(
        ms(10),
        () -> {
          ran.add("first@" + clock.millis());
          scheduler.schedule(ms(5), record("child"));
          scheduler.execute(record("immediate"));
          scheduler.schedule(ms(50), record("tooLate"));
        });
    assertThat(scheduler.advance(ms(20))).isEqualTo(3);
    assertThat(ran).containsExactly("first@10", "immediate@10", "child@15");
    assertThat(scheduler.pending()).isEqualTo(1);
    assertThat(scheduler.nextDeadline()).isEqualTo(ms(60).toNanos());
    assertThat(clock.millis()).isEqualTo(20);
  }

  @Test
  void runDueRunsWhatIsDueNowIncludingNewWork() {
    scheduler.execute(
        () -> {
          ran.add("a");
          scheduler.execute(() -> ran.add("b"));
          scheduler.schedule(ms(1), () -> ran.add("c"));
        });
    assertThat(scheduler.runDue()).isEqualTo(2);
    assertThat(ran).containsExactly("a", "b");
    assertThat(clock.nanos()).isZero();
    assertThat(scheduler.pending()).isEqualTo(1);
  }

  @Test
  void runUntilIdleMovesTimeToEachDeadline() {
    scheduler.schedule(ms(300), record("b"));
    scheduler.schedule(ms(100), record("a"));
    assertThat(scheduler.runUntilIdle(100)).isEqualTo(2);
    assertThat(ran).containsExactly("a@100", "b@300");
    assertThat(clock.millis()).isEqualTo(300);
    assertThat(scheduler.runUntilIdle(100)).isZero();
  }

  @Test
  void runUntilIdleIsBounded() {
    Runnable[] loop = new Runnable[1];
    int[] count = {0};
    loop[0] =
        () -> {
          count[0]++;
          scheduler.schedule(ms(1), loop[0]);
        };
    scheduler.execute(loop[0]);
    assertThat(scheduler.runUntilIdle(25)).isEqualTo(25);
    assertThat(count[0]).isEqualTo(25);
    assertThat(scheduler.pending()).isEqualTo(1);
    assertThat(clock.millis()).isEqualTo(24);
    assertThat(scheduler.runUntilIdle(0)).isZero();
    assertThat(count[0]).isEqualTo(25);
  }

  @Test
  void advanceBackwardsIsInvalidArgument() {
    scheduler.schedule(ms(1), record("a"));
    assertFerryError(() -> scheduler.advance(ms(-1)), ErrorCode.INVALID_ARGUMENT);
    assertThat(ran).isEmpty();
    assertThat(clock.nanos()).isZero();
  }

  @Test
  void sharesTheClockItIsGiven() {
    ManualClock shared = new ManualClock();
    ManualScheduler s = new ManualScheduler(shared);
    assertThat(s.clock()).isSameAs(shared);
    s.schedule(ms(10), () -> ran.add("x"));
    shared.advance(ms(10)); // moving the clock alone runs nothing...
    assertThat(ran).isEmpty();
    assertThat(s.runDue()).isEqualTo(1); // ...until the owner asks for due work
    assertThat(ran).containsExactly("x");
  }

  @Test
  void runAndWaitRunsAtOnceWithoutMovingTimeOrRunningWhatIsDue() {
    scheduler.schedule(Duration.ZERO, record("due"));
    scheduler.runAndWait(record("now"), Duration.ofSeconds(1));
    assertThat(ran).containsExactly("now@0");
    assertThat(scheduler.pending()).isEqualTo(1);
  }
}
