package io.ferry.net.peers;

import static org.assertj.core.api.Assertions.assertThat;

import io.ferry.core.runtime.SeededRandomSource;
import java.time.Duration;
import net.jqwik.api.ForAll;
import net.jqwik.api.Property;
import net.jqwik.api.constraints.IntRange;

class BackoffTest {
  private final Backoff backoff = new Backoff(Duration.ofMillis(100), Duration.ofSeconds(5));

  @Property
  void delayIsWithinHalfToFullCeiling(
      @ForAll @IntRange(min = 0, max = 60) int attempt, @ForAll long seed) {
    Duration d = backoff.delay(attempt, new SeededRandomSource(seed));
    long ceiling = Math.min(100L << Math.min(attempt, 20), 5000);
    assertThat(d.toMillis()).isBetween(ceiling / 2, ceiling);
  }

  @Property
  void sameSeedSameDelays(@ForAll long seed) {
    SeededRandomSource a = new SeededRandomSource(seed);
    SeededRandomSource b = new SeededRandomSource(seed);
    for (int i = 0; i < 10; i++) {
      assertThat(backoff.delay(i, a)).isEqualTo(backoff.delay(i, b));
    }
  }
}
