package io.ferry.sync.proof;

import io.ferry.core.identity.NodeId;
import io.ferry.core.runtime.Clock;
import java.util.HashMap;
import java.util.Map;

/**
 * Admission of proof work: at most {@code perPeer} jobs accepted and not yet finished for one peer,
 * and {@code total} for all peers, so that neither one greedy peer nor many peers together can grow
 * the work queue without bound. Every successful {@link #tryAcquire} is matched by one {@link
 * #release}.
 *
 * <p>Work that a request's size does not show is charged after the fact ({@link #charge}): the
 * history records a change proof read. Each peer may have {@code historyPerSecond} read for it on
 * average, with bursts of {@link #BURST_SECONDS} seconds' worth; a peer over that is refused until
 * its debt has run down on the injected clock. Thread-safe.
 */
final class WorkLimiter {
  /** How many seconds' worth of history reads a peer may run up at once. */
  static final long BURST_SECONDS = 10;

  /** The outcome of asking for a slot. */
  enum Admission {
    ADMITTED,
    PEER_BUSY,
    SERVER_BUSY,
    /** The peer has had more history read for it lately than its budget allows. */
    BUDGET_SPENT
  }

  /** History records charged to a peer and not yet paid off, as of {@code atNanos}. */
  private record Debt(long records, long atNanos) {}

  private final int perPeer;
  private final int total;
  private final long historyPerSecond;
  private final Clock clock;
  private final Map<NodeId, Integer> byPeer = new HashMap<>(); // guarded by this
  private final Map<NodeId, Debt> debts = new HashMap<>(); // guarded by this; only peers in debt
  private int all; // guarded by this

  WorkLimiter(int perPeer, int total, long historyPerSecond, Clock clock) {
    this.perPeer = perPeer;
    this.total = total;
    this.historyPerSecond = historyPerSecond;
    this.clock = clock;
  }

  synchronized Admission tryAcquire(NodeId peer) {
    int mine = byPeer.getOrDefault(peer, 0);
    if (mine >= perPeer) {
      return Admission.PEER_BUSY;
    }
    if (all >= total) {
      return Admission.SERVER_BUSY;
    }
    if (debt(peer) > historyPerSecond * BURST_SECONDS) {
      return Admission.BUDGET_SPENT;
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

  /** Charges {@code peer} for {@code records} history records read on its behalf. */
  synchronized void charge(NodeId peer, long records) {
    if (records <= 0) {
      return;
    }
    debts.put(peer, new Debt(debt(peer) + records, clock.nanos()));
  }

  /** What {@code peer} owes now, after paying off {@code historyPerSecond} per second since. */
  synchronized long debt(NodeId peer) {
    Debt d = debts.get(peer);
    if (d == null) {
      return 0;
    }
    long now = clock.nanos();
    // In floating point: a long idle time times the rate would overflow a long.
    long paid = (long) Math.min((now - d.atNanos()) / 1e9 * historyPerSecond, Long.MAX_VALUE);
    long left = d.records() - paid;
    if (left <= 0) {
      debts.remove(peer);
      return 0;
    }
    if (paid > 0) {
      debts.put(peer, new Debt(left, now));
    }
    return left;
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
