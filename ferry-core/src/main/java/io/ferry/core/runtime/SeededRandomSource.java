package io.ferry.core.runtime;

import java.util.SplittableRandom;

/**
 * A deterministic random source: the same seed gives the same sequence on every JVM, because {@link
 * SplittableRandom}'s algorithm is specified. Not thread-safe: give each thread or simulated node
 * its own {@link #fork()}.
 */
public final class SeededRandomSource implements RandomSource {
  private final SplittableRandom random;

  public SeededRandomSource(long seed) {
    this(new SplittableRandom(seed));
  }

  private SeededRandomSource(SplittableRandom random) {
    this.random = random;
  }

  @Override
  public long nextLong() {
    return random.nextLong();
  }

  @Override
  public int nextInt(int bound) {
    return random.nextInt(bound);
  }

  @Override
  public double nextDouble() {
    return random.nextDouble();
  }

  @Override
  public void nextBytes(byte[] out) {
    random.nextBytes(out);
  }

  @Override
  public RandomSource fork() {
    return new SeededRandomSource(random.split());
  }
}
