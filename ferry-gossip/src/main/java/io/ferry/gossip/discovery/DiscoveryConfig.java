package io.ferry.gossip.discovery;

import io.ferry.net.peers.Backoff;
import java.time.Duration;

/**
 * How {@link Discovery} chooses and keeps peers.
 *
 * @param maxOutbound peers discovery keeps this node connected to (its own choice; static peers and
 *     peers that dialled this node come on top)
 * @param backoff the wait before a contact that failed is dialled again, growing with its failures;
 *     also the entrypoints' redial
 * @param maxFailures failures in a row (dials that failed, connections that dropped) after which a
 *     contact is forgotten until its origin signs its contact info again
 * @param maintainInterval how often the chosen set is checked and topped up (also at once on a new
 *     contact or a lost peer)
 * @param rotateInterval how often one chosen peer is swapped for a random other, so a node's peers
 *     do not freeze into the first it found
 */
public record DiscoveryConfig(
    int maxOutbound,
    Backoff backoff,
    int maxFailures,
    Duration maintainInterval,
    Duration rotateInterval) {

  public static final int DEFAULT_MAX_OUTBOUND = 8;
  public static final Backoff DEFAULT_BACKOFF =
      new Backoff(Duration.ofSeconds(1), Duration.ofMinutes(2));
  public static final int DEFAULT_MAX_FAILURES = 3;
  public static final Duration DEFAULT_MAINTAIN_INTERVAL = Duration.ofSeconds(1);
  public static final Duration DEFAULT_ROTATE_INTERVAL = Duration.ofMinutes(10);

  public static final DiscoveryConfig DEFAULT =
      new DiscoveryConfig(
          DEFAULT_MAX_OUTBOUND,
          DEFAULT_BACKOFF,
          DEFAULT_MAX_FAILURES,
          DEFAULT_MAINTAIN_INTERVAL,
          DEFAULT_ROTATE_INTERVAL);

  public DiscoveryConfig {
    if (maxOutbound < 1) {
      throw new IllegalArgumentException("maxOutbound must be at least 1: " + maxOutbound);
    }
    if (maxFailures < 1) {
      throw new IllegalArgumentException("maxFailures must be at least 1: " + maxFailures);
    }
    if (!maintainInterval.isPositive() || !rotateInterval.isPositive()) {
      throw new IllegalArgumentException("discovery intervals must be positive");
    }
  }

  public DiscoveryConfig withMaxOutbound(int n) {
    return new DiscoveryConfig(n, backoff, maxFailures, maintainInterval, rotateInterval);
  }

  public DiscoveryConfig withRotateInterval(Duration d) {
    return new DiscoveryConfig(maxOutbound, backoff, maxFailures, maintainInterval, d);
  }
}
