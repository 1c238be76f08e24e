package io.ferry.sim;

import static org.assertj.core.api.Assertions.assertThat;

import io.ferry.core.runtime.SeededRandomSource;
import java.time.Duration;
import java.util.Arrays;
import org.junit.jupiter.api.Test;

class LatencyTest {
  private static long[] samples(Latency latency, int n) {
    SeededRandomSource random = new SeededRandomSource(1);
    long[] out = new long[n];
    for (int i = 0; i < n; i++) {
      out[i] = latency.sampleNanos(random);
    }
    Arrays.sort(out);
    return out;
  }

  @Test
  void uniformStaysWithinItsBounds() {
    long[] s = samples(Latency.uniform(Duration.ofMillis(5), Duration.ofMillis(15)), 10_000);
    assertThat(s[0]).isGreaterThanOrEqualTo(5_000_000);
    assertThat(s[s.length - 1]).isLessThanOrEqualTo(15_000_000);
    assertThat(s[s.length / 2]).isBetween(9_500_000L, 10_500_000L);
  }

  @Test
  void logNormalCentresOnItsMedianWithALongTail() {
    long[] s = samples(Latency.logNormal(Duration.ofMillis(40), 0.5), 10_000);
    assertThat(s[s.length / 2]).isBetween(38_000_000L, 42_000_000L);
    long p99 = s[s.length * 99 / 100];
    assertThat(p99).isBetween(110_000_000L, 145_000_000L); // about 3.2 times the median
    assertThat(s[0]).isPositive();
  }

  @Test
  void aSeedGivesTheSameSamples() {
    Latency l = Latency.logNormal(Duration.ofMillis(40), 1.0);
    assertThat(samples(l, 100)).isEqualTo(samples(l, 100));
  }

  @Test
  void serializationTakesSizeOverBandwidth() {
    LinkModel m = LinkModel.DEFAULT.withBandwidth(1_000_000);
    assertThat(m.serializationNanos(1_000_000)).isEqualTo(1_000_000_000L);
    assertThat(m.serializationNanos(1)).isEqualTo(1_000L);
    assertThat(LinkModel.DEFAULT.serializationNanos(1 << 24)).isZero();
  }
}
