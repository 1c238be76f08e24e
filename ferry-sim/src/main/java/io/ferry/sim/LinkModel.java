package io.ferry.sim;

import java.time.Duration;

/**
 * How one direction of a simulated link behaves.
 *
 * <p>A frame first waits for the link to finish sending the frames before it, then takes {@code
 * size / bytesPerSecond} to serialize, then {@link #latency} to travel. Frames stay in order (FIFO)
 * unless {@link #reorderProbability} picks one for an extra delay of up to {@link #reorderDelay},
 * which lets frames sent after it overtake it. A frame is lost with {@link #lossProbability}; a
 * lost frame still uses the link's bandwidth.
 *
 * @param latency the one-way delay distribution
 * @param bytesPerSecond the link's bandwidth; 0 for unlimited
 * @param lossProbability chance in {@code [0, 1]} that a frame is dropped
 * @param reorderProbability chance in {@code [0, 1]} that a frame is held back
 * @param reorderDelay the largest extra delay of a held-back frame
 */
public record LinkModel(
    Latency latency,
    long bytesPerSecond,
    double lossProbability,
    double reorderProbability,
    Duration reorderDelay) {

  /** 10 ms each way, unlimited bandwidth, no loss, no reordering. */
  public static final LinkModel DEFAULT = of(Latency.fixed(Duration.ofMillis(10)));

  public LinkModel {
    if (latency == null) {
      throw new IllegalArgumentException("latency is required");
    }
    if (bytesPerSecond < 0) {
      throw new IllegalArgumentException("bytesPerSecond must be zero (unlimited) or more");
    }
    checkProbability("lossProbability", lossProbability);
    checkProbability("reorderProbability", reorderProbability);
    if (reorderDelay.isNegative()) {
      throw new IllegalArgumentException("reorderDelay is negative: " + reorderDelay);
    }
  }

  /** A perfect link with {@code latency}: unlimited bandwidth, no loss, no reordering. */
  public static LinkModel of(Latency latency) {
    return new LinkModel(latency, 0, 0, 0, Duration.ZERO);
  }

  public LinkModel withLatency(Latency l) {
    return new LinkModel(l, bytesPerSecond, lossProbability, reorderProbability, reorderDelay);
  }

  public LinkModel withBandwidth(long bps) {
    return new LinkModel(latency, bps, lossProbability, reorderProbability, reorderDelay);
  }

  public LinkModel withLoss(double p) {
    return new LinkModel(latency, bytesPerSecond, p, reorderProbability, reorderDelay);
  }

  public LinkModel withReordering(double p, Duration maxDelay) {
    return new LinkModel(latency, bytesPerSecond, lossProbability, p, maxDelay);
  }

  /** Nanoseconds to put {@code bytes} on the wire, rounded up. */
  long serializationNanos(long bytes) {
    return bytesPerSecond == 0 ? 0 : Math.ceilDiv(bytes * 1_000_000_000L, bytesPerSecond);
  }

  private static void checkProbability(String name, double p) {
    if (!(p >= 0 && p <= 1)) {
      throw new IllegalArgumentException(name + " must be in [0, 1]: " + p);
    }
  }
}
