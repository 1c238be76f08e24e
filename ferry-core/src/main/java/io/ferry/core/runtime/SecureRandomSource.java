package io.ferry.core.runtime;

import java.security.SecureRandom;

/** The real random source, backed by {@link SecureRandom}. Thread-safe. */
public final class SecureRandomSource implements RandomSource {
  private final SecureRandom random = new SecureRandom();

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
    return new SecureRandomSource();
  }
}
