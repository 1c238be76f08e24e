package io.ferry.sim;

/**
 * A simulation failed: protocol code threw, or the run exceeded its event limit. The message names
 * the seed and how to replay it.
 */
public final class SimulationException extends RuntimeException {
  private static final long serialVersionUID = 1L;

  private final long seed;

  SimulationException(long seed, String message, Throwable cause) {
    super(message + "; " + Simulation.replayHint(seed), cause);
    this.seed = seed;
  }

  public long seed() {
    return seed;
  }
}
