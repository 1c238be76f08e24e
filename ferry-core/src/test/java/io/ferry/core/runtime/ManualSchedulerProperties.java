package io.ferry.core.runtime;

import static org.assertj.core.api.Assertions.assertThat;

import java.time.Duration;
import java.util.ArrayList;
import java.util.Comparator;
import java.util.List;
import java.util.Random;
import java.util.stream.IntStream;
import net.jqwik.api.ForAll;
import net.jqwik.api.Property;
import net.jqwik.api.constraints.IntRange;
import net.jqwik.api.constraints.Size;

class ManualSchedulerProperties {
  /** Run order is a stable sort by deadline, however time is advanced in between. */
  @Property
  void runOrderIsAStableSortByDeadline(
      @ForAll @Size(max = 30) List<@IntRange(min = 0, max = 20) Integer> delays,
      @ForAll @Size(min = 1, max = 10) List<@IntRange(min = 0, max = 7) Integer> steps) {
    ManualScheduler scheduler = new ManualScheduler();
    List<Integer> order = new ArrayList<>();
    List<Long> times = new ArrayList<>();
    for (int i = 0; i < delays.size(); i++) {
      int index = i;
      scheduler.schedule(
          Duration.ofNanos(delays.get(i)),
          () -> {
            order.add(index);
            times.add(scheduler.clock().nanos());
          });
    }
    int stepIndex = 0;
    while (scheduler.pending() > 0) {
      long before = scheduler.clock().nanos();
      int step = steps.get(stepIndex++ % steps.size());
      int ran = scheduler.advance(Duration.ofNanos(step));
      assertThat(scheduler.clock().nanos()).isEqualTo(before + step);
      assertThat(ran).isLessThanOrEqualTo(delays.size());
      if (steps.stream().allMatch(s -> s == 0)) {
        scheduler.runUntilIdle(Integer.MAX_VALUE);
      }
    }
    List<Integer> expected =
        IntStream.range(0, delays.size())
            .boxed()
            .sorted(Comparator.comparing(delays::get))
            .toList();
    assertThat(order).isEqualTo(expected);
    for (int k = 0; k < order.size(); k++) {
      assertThat(times.get(k)).isEqualTo((long) delays.get(order.get(k)));
    }
  }

  /**
   * Cancelled tasks never run, and the rest run as if they had never been there: in order of
   * deadline then scheduling, with {@code pending} and {@code nextDeadline} counting only them,
   * also when so many are cancelled that the scheduler sweeps them out of its queue (it keeps them
   * until then).
   */
  @Property(tries = 200)
  void cancelledTasksLeaveNoTrace(
      @ForAll @IntRange(min = 0, max = 3000) int tasks,
      @ForAll @IntRange(min = 0, max = 100) int cancelPercent,
      @ForAll long seed) {
    Random random = new Random(seed);
    ManualScheduler scheduler = new ManualScheduler();
    List<Long> deadlines = new ArrayList<>();
    List<Integer> order = new ArrayList<>();
    List<Integer> live = new ArrayList<>();
    for (int i = 0; i < tasks; i++) {
      int index = i;
      long delay = random.nextInt(500);
      deadlines.add(scheduler.clock().nanos() + delay);
      Cancellable handle = scheduler.schedule(Duration.ofNanos(delay), () -> order.add(index));
      if (random.nextInt(100) < cancelPercent) {
        assertThat(handle.cancel()).isTrue();
        assertThat(handle.cancel()).isFalse();
      } else {
        live.add(i);
      }
      if (random.nextInt(200) == 0) {
        scheduler.advance(Duration.ofNanos(random.nextInt(3))); // some run between cancels
      }
    }
    List<Integer> waiting = live.stream().filter(i -> !order.contains(i)).toList();
    assertThat(scheduler.pending()).isEqualTo(waiting.size());
    assertThat(scheduler.nextDeadline())
        .isEqualTo(waiting.stream().mapToLong(deadlines::get).min().orElse(-1));

    scheduler.advance(Duration.ofNanos(1000));
    List<Integer> expected =
        live.stream()
            .sorted(Comparator.comparing((Integer i) -> deadlines.get(i)).thenComparing(i -> i))
            .toList();
    assertThat(order).isEqualTo(expected);
    assertThat(scheduler.pending()).isZero();
    assertThat(scheduler.nextDeadline()).isEqualTo(-1);
  }
}
