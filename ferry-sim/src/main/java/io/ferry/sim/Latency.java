package io.ferry.sim;

import io.ferry.core.runtime.RandomSource;
import java.time.Duration;

/**
 * A one-way delay distribution for a simulated link. Samples come from the simulation's seeded
 * random source and use {@link StrictMath} only, so a seed gives the same delays on every JVM and
 * CPU.
 */
@FunctionalInterface
public interface Latency {

  /** One delay in nanoseconds, zero or more. */
  long sampleNanos(RandomSource random);

  /** Always {@code delay}. */
  static Latency fixed(Duration delay) {
    long nanos = nonNegative(delay);
    return random -> nanos;
  }

  /** Uniform in {@code [min, max]}. */
  static Latency uniform(Duration min, Duration max) {
    long lo = nonNegative(min);
    long hi = nonNegative(max);
    if (hi < lo) {
      throw new IllegalArgumentException("max " + max + " is below min " + min);
    }
    long span = hi - lo + 1;
    return random -> lo + Math.floorMod(random.nextLong(), span);
  }

  /**
   * Log-normal around {@code median}: most delays near it, a long tail of slow ones, as measured on
   * real networks. {@code sigma} is the standard deviation of the delay's logarithm (0.5 gives a
   * 99th percentile about 3.2 times the median). Capped at 100 times the median.
   */
  static Latency logNormal(Duration median, double sigma) {
    long m = nonNegative(median);
    if (!(sigma >= 0)) {
      throw new IllegalArgumentException("sigma must be zero or more: " + sigma);
    }
    return random -> {
      // Box-Muller; 1 - u keeps the logarithm's argument in (0, 1].
      double u = 1.0 - random.nextDouble();
      double v = random.nextDouble();
      double gaussian = StrictMath.sqrt(-2.0 * StrictMath.log(u)) * StrictMath.cos(2 * Math.PI * v);
      double factor = StrictMath.min(StrictMath.exp(sigma * gaussian), 100.0);
      return (long) (m * factor);
    };
  }

  private static long nonNegative(Duration d) {
    if (d.isNegative()) {
      throw new IllegalArgumentException("negative latency: " + d);
    }
    return d.toNanos();
  }
}
