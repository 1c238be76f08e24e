package io.ferry.core.runtime;

import static org.assertj.core.api.Assertions.assertThat;

import java.time.Duration;
import java.util.ArrayList;
import java.util.Comparator;
import java.util.List;
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
}
