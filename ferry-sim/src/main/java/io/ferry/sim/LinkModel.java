package io.ferry.sim;

import java.time.Duration;

/**
 * How one direction of a simulated link behaves, as seen from above a reliable ordered stream.
 *
 * <p>Ferry's transport runs over TCP, so the packet faults of the path beneath a connection reach
 * the protocols as what TCP makes of them, and that is what this model produces:
 *
 * <ul>
 *   <li>a frame first waits for the frames before it, takes {@code size / bytesPerSecond} to
 *       serialize, then a {@link #latency} sample to travel;
 *   <li><b>loss</b> ({@link #lossProbability}): the frame is retransmitted after a retransmission
 *       timeout (at least {@link #MIN_RTO}, doubling for each further loss), and every later frame
 *       on the link waits behind it (head-of-line blocking); after {@link #MAX_RETRANSMISSIONS}
 *       losses in a row the connection is reset, as TCP gives up;
 *   <li><b>duplication</b> ({@link #duplicateProbability}): the copy uses the link's bandwidth and
 *       is discarded by the receiving stack; the protocol never sees it;
 *   <li><b>reordering</b> ({@link #reorderProbability}): a segment held back up to {@link
 *       #reorderDelay} delays its frame and, the stream being in order, every frame behind it;
 *   <li><b>reset</b> ({@link #resetProbability}): the connection breaks (a middlebox or NAT forgets
 *       it): the frame and everything in flight on it are lost, and both ends are closed.
 * </ul>
 *
 * <p>Frames are never dropped, duplicated or reordered inside a connection that stays open: a
 * protocol that relies on that is right to, since TCP guarantees it.
 *
 * @param latency the one-way delay distribution
 * @param bytesPerSecond the link's bandwidth; 0 for unlimited
 * @param lossProbability chance in {@code [0, 1]} that a frame's transmission is lost
 * @param duplicateProbability chance in {@code [0, 1]} that a frame is sent twice
 * @param reorderProbability chance in {@code [0, 1]} that a frame is held back
 * @param reorderDelay the largest extra delay of a held-back frame
 * @param resetProbability chance in {@code [0, 1]} that a frame's connection is reset
 */
public record LinkModel(
    Latency latency,
    long bytesPerSecond,
    double lossProbability,
    double duplicateProbability,
    double reorderProbability,
    Duration reorderDelay,
    double resetProbability) {

  /** Linux's smallest retransmission timeout. */
  public static final Duration MIN_RTO = Duration.ofMillis(200);

  /** Losses in a row after which the connection is reset (Linux gives up after 15; ours sooner). */
  public static final int MAX_RETRANSMISSIONS = 6;

  /** 10 ms each way, unlimited bandwidth, no faults. */
  public static final LinkModel DEFAULT = of(Latency.fixed(Duration.ofMillis(10)));

  public LinkModel {
    if (latency == null) {
      throw new IllegalArgumentException("latency is required");
    }
    if (bytesPerSecond < 0) {
      throw new IllegalArgumentException("bytesPerSecond must be zero (unlimited) or more");
    }
    checkProbability("lossProbability", lossProbability);
    checkProbability("duplicateProbability", duplicateProbability);
    checkProbability("reorderProbability", reorderProbability);
    checkProbability("resetProbability", resetProbability);
    if (reorderDelay.isNegative()) {
      throw new IllegalArgumentException("reorderDelay is negative: " + reorderDelay);
    }
  }

  /** A perfect link with {@code latency}: unlimited bandwidth, no faults. */
  public static LinkModel of(Latency latency) {
    return new LinkModel(latency, 0, 0, 0, 0, Duration.ZERO, 0);
  }

  public LinkModel withLatency(Latency l) {
    return new LinkModel(
        l,
        bytesPerSecond,
        lossProbability,
        duplicateProbability,
        reorderProbability,
        reorderDelay,
        resetProbability);
  }

  public LinkModel withBandwidth(long bps) {
    return new LinkModel(
        latency,
        bps,
        lossProbability,
        duplicateProbability,
        reorderProbability,
        reorderDelay,
        resetProbability);
  }

  public LinkModel withLoss(double p) {
    return new LinkModel(
        latency,
        bytesPerSecond,
        p,
        duplicateProbability,
        reorderProbability,
        reorderDelay,
        resetProbability);
  }

  public LinkModel withDuplication(double p) {
    return new LinkModel(
        latency,
        bytesPerSecond,
        lossProbability,
        p,
        reorderProbability,
        reorderDelay,
        resetProbability);
  }

  public LinkModel withReordering(double p, Duration maxDelay) {
    return new LinkModel(
        latency,
        bytesPerSecond,
        lossProbability,
        duplicateProbability,
        p,
        maxDelay,
        resetProbability);
  }

  public LinkModel withResets(double p) {
    return new LinkModel(
        latency,
        bytesPerSecond,
        lossProbability,
        duplicateProbability,
        reorderProbability,
        reorderDelay,
        p);
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
