package io.ferry.core.runtime;

/**
 * Randomness as protocol code sees it: peer choice, jitter, request ids. Real nodes use {@link
 * SecureRandomSource}; tests and the simulator use a {@link SeededRandomSource} so a seed replays.
 *
 * <p>Not for key material: keys come from {@link java.security.SecureRandom} directly.
 */
public interface RandomSource {
  long nextLong();

  /** A uniform value in {@code [0, bound)}; bound must be positive. */
  int nextInt(int bound);

  /** A uniform value in {@code [0, 1)}. */
  double nextDouble();

  void nextBytes(byte[] out);

  /** An independent stream derived from this one (deterministically, for seeded sources). */
  RandomSource fork();
}
