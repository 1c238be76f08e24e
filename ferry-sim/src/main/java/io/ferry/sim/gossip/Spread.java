package io.ferry.sim.gossip;

import io.ferry.core.Bytes;
import io.ferry.core.identity.NodeId;
import java.util.HashMap;
import java.util.Map;

/**
 * How far one published value has spread: which honest nodes hold it now (in their current
 * incarnation: a crash empties a node's store), and the virtual time at which the holders first
 * made up {@link #SHARE} of the honest nodes that are up. A node that holds a newer value of the
 * same origin with the same payload (a refresh) holds it too.
 */
final class Spread {
  /** The share of live honest nodes a value must reach. */
  static final double SHARE = 0.99;

  final NodeId origin;
  final Bytes payload;
  final long publishedNanos;
  private final Map<String, Integer> holders = new HashMap<>(); // lookups only
  private long coveredNanos = -1;

  Spread(NodeId origin, Bytes payload, long publishedNanos) {
    this.origin = origin;
    this.payload = payload;
    this.publishedNanos = publishedNanos;
  }

  /** {@code node}'s incarnation {@code incarnation} holds the value from now on. */
  void hold(String node, int incarnation, long nowNanos, int liveHonest) {
    Integer had = holders.put(node, incarnation);
    if (had == null || had != incarnation) {
      check(nowNanos, liveHonest);
    }
  }

  /** {@code node} crashed: whatever it held is gone. */
  void lost(String node, long nowNanos, int liveHonest) {
    holders.remove(node);
    check(nowNanos, liveHonest);
  }

  private void check(long nowNanos, int liveHonest) {
    if (coveredNanos < 0 && liveHonest > 0 && holders.size() >= SHARE * liveHonest) {
      coveredNanos = nowNanos;
    }
  }

  /** Honest nodes up that hold it now. */
  int holders() {
    return holders.size();
  }

  /** How long it took to reach {@link #SHARE} of the live honest nodes, or -1 if it has not. */
  long coverageNanos() {
    return coveredNanos < 0 ? -1 : coveredNanos - publishedNanos;
  }
}
