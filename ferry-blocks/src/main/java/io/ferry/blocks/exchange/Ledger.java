package io.ferry.blocks.exchange;

/**
 * What a download knows of one peer: blocks asked for and not yet answered, blocks and bytes it
 * delivered, its failures (timeouts, dont-haves for blocks it announced) and the time it takes to
 * deliver, as a moving average. {@link #cost} ranks peers for the next request: the time a new
 * request to it should take given what it already has in flight.
 *
 * <p>Not thread-safe: a download touches it on its scheduler only.
 */
public final class Ledger {
  /** Weight of the newest sample in the latency average. */
  private static final double ALPHA = 0.2;

  private int outstanding;
  private long delivered;
  private long bytes;
  private int failures;
  private double latencyMillis = -1;

  void asked() {
    outstanding++;
  }

  void answered() {
    outstanding = Math.max(0, outstanding - 1);
  }

  void delivered(int length, long millis) {
    delivered++;
    bytes += length;
    latencyMillis = latencyMillis < 0 ? millis : ALPHA * millis + (1 - ALPHA) * latencyMillis;
  }

  void failed() {
    failures++;
  }

  /**
   * Expected milliseconds until a new request is answered: its latency (1 ms until measured) times
   * one more than its requests in flight, raised for each failure.
   */
  double cost() {
    double latency = latencyMillis < 0 ? 1 : Math.max(latencyMillis, 0.1);
    return latency * (outstanding + 1) * (1 + failures);
  }

  public int outstanding() {
    return outstanding;
  }

  public long delivered() {
    return delivered;
  }

  public long bytes() {
    return bytes;
  }

  public int failures() {
    return failures;
  }

  /** The moving average of delivery time in milliseconds, or -1 before the first delivery. */
  public double latencyMillis() {
    return latencyMillis;
  }
}
