package io.ferry.sync.push;

import io.ferry.core.Limits;
import io.ferry.core.identity.NodeId;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.SequencedMap;

/**
 * The subscriptions a node holds open for its peers (Aranya's {@code open_subscriptions}): at most
 * {@link Limits#MAX_OPEN_SUBSCRIPTIONS}, one per peer. A second subscribe from a peer updates its
 * window, budget and known heads; an unsubscribe with none open does nothing; a subscription is
 * dropped when its peer disconnects and once the clock passes its close time. Iterated in the order
 * the subscriptions were opened, so pushes go out in a deterministic order.
 *
 * <p>Not thread-safe: its owner ({@link PushServer}) serialises calls.
 */
public final class Subscriptions {
  /** What a subscribe did. */
  public enum Outcome {
    OPENED,
    UPDATED,
    /** {@code MaximumSubscriptionsExceeded}: the table is full and the peer holds none. */
    REFUSED_FULL
  }

  private final int capacity;
  private final SequencedMap<NodeId, Subscription> open = new LinkedHashMap<>();

  public Subscriptions() {
    this(Limits.MAX_OPEN_SUBSCRIPTIONS);
  }

  Subscriptions(int capacity) {
    this.capacity = capacity;
  }

  /**
   * Opens or updates {@code peer}'s subscription to close {@code remainOpenNanos} from {@code
   * nowNanos} with a budget of {@code maxBytes}. Subscriptions closed by now are dropped first, so
   * an expired one never keeps a live peer out.
   */
  public Outcome subscribe(
      NodeId peer, long nowNanos, long remainOpenNanos, long maxBytes, List<KnownHead> heads) {
    expire(nowNanos);
    Subscription s = new Subscription(nowNanos + remainOpenNanos, maxBytes, heads);
    if (open.containsKey(peer)) {
      open.put(peer, s);
      return Outcome.UPDATED;
    }
    if (open.size() >= capacity) {
      return Outcome.REFUSED_FULL;
    }
    open.put(peer, s);
    return Outcome.OPENED;
  }

  /** Closes {@code peer}'s subscription; nothing when it has none. Returns whether it had one. */
  public boolean unsubscribe(NodeId peer) {
    return open.remove(peer) != null;
  }

  /** Drops every subscription closed by {@code nowNanos}; returns how many. */
  public int expire(long nowNanos) {
    int before = open.size();
    open.values().removeIf(s -> s.expired(nowNanos));
    return before - open.size();
  }

  /**
   * Records a push of {@code bytes} to {@code peer}, after which it holds {@code newHead}. Nothing
   * when it has no subscription.
   */
  public void pushed(NodeId peer, long bytes, KnownHead newHead) {
    Subscription s = open.get(peer);
    if (s != null) {
      open.put(
          peer,
          new Subscription(
              s.closeTimeNanos(), Math.max(0, s.remainingBytes() - bytes), List.of(newHead)));
    }
  }

  /** The open subscriptions by peer, in the order they were opened; a copy. */
  public SequencedMap<NodeId, Subscription> snapshot() {
    return new LinkedHashMap<>(open);
  }

  public java.util.Optional<Subscription> get(NodeId peer) {
    return java.util.Optional.ofNullable(open.get(peer));
  }

  public int size() {
    return open.size();
  }
}
