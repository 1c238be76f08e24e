package io.ferry.gossip;

import io.ferry.core.identity.NodeId;
import io.ferry.core.runtime.Clock;
import java.util.LinkedHashMap;
import java.util.Map;

/**
 * A token bucket per peer: each peer may send {@code perSecond} messages a second on average and
 * {@code burst} at once; {@link #tryTake} says whether one more fits. Time comes from the given
 * {@link Clock}, so the simulator runs it in virtual time.
 *
 * <p>At most {@code maxPeers} buckets are kept, the least recently used dropped first: a dropped
 * peer starts again with a full bucket, which costs at most one burst, and a stream of new peer ids
 * cannot grow the map. A bucket outlives its peer's connection, so reconnecting does not refill it.
 * Not thread-safe: the owner calls it from one thread (its scheduler).
 */
public final class PeerRateLimit {
  private final Clock clock;
  private final double perNano;
  private final int burst;
  private final Map<NodeId, Bucket> buckets;

  private static final class Bucket {
    double tokens;
    long at;

    Bucket(double tokens, long at) {
      this.tokens = tokens;
      this.at = at;
    }
  }

  public PeerRateLimit(Clock clock, int perSecond, int burst, int maxPeers) {
    if (perSecond <= 0 || burst < 1 || maxPeers < 1) {
      throw new IllegalArgumentException(
          "rate, burst and peers must be positive: " + perSecond + ", " + burst + ", " + maxPeers);
    }
    this.clock = clock;
    this.perNano = perSecond / 1e9;
    this.burst = burst;
    this.buckets =
        new LinkedHashMap<>(16, 0.75f, true) {
          @Override
          protected boolean removeEldestEntry(Map.Entry<NodeId, Bucket> eldest) {
            return size() > maxPeers;
          }
        };
  }

  /** Takes one token from {@code peer}'s bucket: false when it is empty and the message must go. */
  public boolean tryTake(NodeId peer) {
    long now = clock.nanos();
    Bucket b = buckets.computeIfAbsent(peer, p -> new Bucket(burst, now));
    b.tokens = Math.min(burst, b.tokens + (now - b.at) * perNano);
    b.at = now;
    if (b.tokens < 1) {
      return false;
    }
    b.tokens -= 1;
    return true;
  }

  /** Peers with a bucket now; at most the {@code maxPeers} given. */
  public int tracked() {
    return buckets.size();
  }
}
