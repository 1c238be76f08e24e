package io.ferry.gossip.plane;

import io.ferry.core.Limits;
import java.nio.charset.StandardCharsets;
import java.time.Duration;

/**
 * How a {@link GossipPlane} spreads values.
 *
 * @param network the network name: values verify, and peers exchange them, only within it
 * @param fanout peers in the active set, which each new value is pushed to
 * @param pushInterval how often queued new values are pushed (they are batched in between)
 * @param pullInterval how often a random peer is asked for what this node lacks
 * @param rotateInterval how often the active set is chosen again (and prunes forgotten)
 * @param ttl how long a value lives after its wallclock
 * @param refreshInterval how often a node signs its own values again, well within {@code ttl}
 * @param maxDrift how far ahead of this node's clock a value's wallclock may be
 * @param requestTimeout how long a pull waits for its answer
 */
public record GossipConfig(
    String network,
    int fanout,
    Duration pushInterval,
    Duration pullInterval,
    Duration rotateInterval,
    Duration ttl,
    Duration refreshInterval,
    Duration maxDrift,
    Duration requestTimeout) {

  public static final String DEFAULT_NETWORK = "ferry";
  public static final int DEFAULT_FANOUT = 6;
  public static final Duration DEFAULT_PUSH_INTERVAL = Duration.ofMillis(100);
  public static final Duration DEFAULT_PULL_INTERVAL = Duration.ofSeconds(2);
  public static final Duration DEFAULT_ROTATE_INTERVAL = Duration.ofSeconds(30);
  public static final Duration DEFAULT_TTL = Duration.ofMinutes(15);
  public static final Duration DEFAULT_REFRESH_INTERVAL = Duration.ofMinutes(5);
  public static final Duration DEFAULT_MAX_DRIFT = Duration.ofSeconds(30);
  public static final Duration DEFAULT_REQUEST_TIMEOUT = Duration.ofSeconds(5);

  public GossipConfig {
    int bytes = network.getBytes(StandardCharsets.UTF_8).length;
    if (bytes == 0 || bytes > Limits.MAX_NETWORK_NAME_BYTES) {
      throw new IllegalArgumentException(
          "a network name is 1 to " + Limits.MAX_NETWORK_NAME_BYTES + " bytes: '" + network + "'");
    }
    if (fanout < 1) {
      throw new IllegalArgumentException("fanout must be at least 1: " + fanout);
    }
    for (Duration d :
        new Duration[] {
          pushInterval, pullInterval, rotateInterval, ttl, refreshInterval, requestTimeout
        }) {
      if (!d.isPositive()) {
        throw new IllegalArgumentException("gossip intervals must be positive: " + d);
      }
    }
    if (refreshInterval.compareTo(ttl) >= 0) {
      throw new IllegalArgumentException(
          "own values must be refreshed ("
              + refreshInterval
              + ") before they expire ("
              + ttl
              + ")");
    }
    if (maxDrift.isNegative()) {
      throw new IllegalArgumentException("maxDrift is negative: " + maxDrift);
    }
  }

  /** The defaults, in {@code network}. */
  public static GossipConfig defaults(String network) {
    return new GossipConfig(
        network,
        DEFAULT_FANOUT,
        DEFAULT_PUSH_INTERVAL,
        DEFAULT_PULL_INTERVAL,
        DEFAULT_ROTATE_INTERVAL,
        DEFAULT_TTL,
        DEFAULT_REFRESH_INTERVAL,
        DEFAULT_MAX_DRIFT,
        DEFAULT_REQUEST_TIMEOUT);
  }

  public GossipConfig withFanout(int f) {
    return new GossipConfig(
        network,
        f,
        pushInterval,
        pullInterval,
        rotateInterval,
        ttl,
        refreshInterval,
        maxDrift,
        requestTimeout);
  }

  public GossipConfig withPullInterval(Duration d) {
    return new GossipConfig(
        network,
        fanout,
        pushInterval,
        d,
        rotateInterval,
        ttl,
        refreshInterval,
        maxDrift,
        requestTimeout);
  }

  public GossipConfig withLifetime(Duration newTtl, Duration refresh) {
    return new GossipConfig(
        network,
        fanout,
        pushInterval,
        pullInterval,
        rotateInterval,
        newTtl,
        refresh,
        maxDrift,
        requestTimeout);
  }
}
