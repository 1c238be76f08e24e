package io.ferry.net.peers;

import io.ferry.core.runtime.RandomSource;
import java.time.Duration;

/**
 * Exponential backoff with jitter for redials and retries: attempt n waits a uniform time in [c/2,
 * c] where c = min(max, base * 2^n), so many nodes that lost the same peer do not redial in
 * lockstep. The jitter comes from the injected {@link RandomSource}, so the simulator replays it.
 *
 * @param base the first attempt's ceiling
 * @param max the ceiling no attempt exceeds
 */
public record Backoff(Duration base, Duration max) {
  public static final Backoff DEFAULT = new Backoff(Duration.ofMillis(250), Duration.ofSeconds(30));

  public Backoff {
    if (base.isNegative() || base.isZero() || max.compareTo(base) < 0) {
      throw new IllegalArgumentException("need 0 < base <= max");
    }
  }

  /** The delay before attempt {@code attempt} (0 for the first retry). */
  public Duration delay(int attempt, RandomSource random) {
    long ceiling = base.toNanos();
    for (int i = 0; i < attempt && ceiling < max.toNanos(); i++) {
      ceiling *= 2;
    }
    ceiling = Math.min(ceiling, max.toNanos());
    // Half fixed, half random: never a zero wait, still spread out.
    long half = ceiling / 2;
    return Duration.ofNanos(half + (long) (random.nextDouble() * (ceiling - half)));
  }
}
