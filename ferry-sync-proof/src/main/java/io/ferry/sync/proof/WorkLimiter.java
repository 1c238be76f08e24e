package io.ferry.sync.proof;

import io.ferry.core.identity.NodeId;
import java.util.HashMap;
import java.util.Map;

/**
 * Admission of proof work: at most {@code perPeer} jobs accepted and not yet finished for one peer,
 * and {@code total} for all peers, so that neither one greedy peer nor many peers together can grow
 * the work queue without bound. Every successful {@link #tryAcquire} is matched by one {@link
 * #release}. Thread-safe.
 */
final class WorkLimiter {
  /** The outcome of asking for a slot. */
  enum Admission {
    ADMITTED,
    PEER_BUSY,
    SERVER_BUSY
  }

  private final int perPeer;
  private final int total;
  private final Map<NodeId, Integer> byPeer = new HashMap<>(); // guarded by this
  private int all; // guarded by this

  WorkLimiter(int perPeer, int total) {
    this.perPeer = perPeer;
    this.total = total;
  }

  synchronized Admission tryAcquire(NodeId peer) {
    int mine = byPeer.getOrDefault(peer, 0);
    if (mine >= perPeer) {
      return Admission.PEER_BUSY;
    }
    if (all >= total) {
      return Admission.SERVER_BUSY;
    }
    byPeer.put(peer, mine + 1);
    all++;
    return Admission.ADMITTED;
  }

  synchronized void release(NodeId peer) {
    Integer mine = byPeer.get(peer);
    if (mine == null) {
      throw new IllegalStateException("release without acquire for " + peer);
    }
    if (mine == 1) {
      byPeer.remove(peer);
    } else {
      byPeer.put(peer, mine - 1);
    }
    all--;
  }

  /** Jobs held for {@code peer} now. */
  synchronized int held(NodeId peer) {
    return byPeer.getOrDefault(peer, 0);
  }

  /** Jobs held for all peers now. */
  synchronized int held() {
    return all;
  }
}
