package io.ferry.sync.push;

import com.google.protobuf.ByteString;
import io.ferry.core.Limits;
import io.ferry.core.identity.NodeId;
import io.ferry.core.runtime.Clock;
import io.ferry.net.ProtocolId;
import io.ferry.net.Transport;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.concurrent.atomic.AtomicLong;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * The pushing side: holds the subscriptions this node's peers opened and, on every commit this node
 * makes or applies ({@link #onCommit}), sends each subscriber the commits after its known heads, as
 * many as its remaining budget takes, then counts the bytes and moves its known heads to the last
 * commit sent. A subscription is also served at once when it opens, so a subscriber a few commits
 * behind is brought forward by pushes. Commits are encoded once, whatever the number of
 * subscribers.
 *
 * <p>A subscriber whose known heads this node cannot continue from (it is too far behind, or ahead,
 * or elsewhere) gets nothing until it subscribes again with other heads: it polls meanwhile.
 *
 * <p>Thread-safe: calls are serialised; sends are asynchronous.
 */
public final class PushServer {
  private static final Logger log = LoggerFactory.getLogger(PushServer.class);

  /** Counters since start. */
  public record Stats(
      int open, long subscribes, long refused, long pushes, long commitsPushed, long bytesPushed) {}

  /**
   * Commits a subscriber may be behind and still be brought forward by pushes; further behind, it
   * is pushed nothing until it polls and subscribes again: a lagging subscriber sent every commit
   * it lacks, again at each subscribe, only falls further behind.
   */
  public static final int CATCH_UP_COMMITS = 8;

  private final Transport transport;
  private final Clock clock;
  private final PushConfig config;
  private final Subscriptions subscriptions;
  private final RecentCommits recent;
  private long subscribes;
  private long refused;
  private final AtomicLong pushes = new AtomicLong();
  private final AtomicLong commitsPushed = new AtomicLong();
  private final AtomicLong bytesPushed = new AtomicLong();

  public PushServer(Transport transport, Clock clock, PushConfig config) {
    this(transport, clock, config, new Subscriptions());
  }

  PushServer(Transport transport, Clock clock, PushConfig config, Subscriptions subscriptions) {
    this.transport = transport;
    this.clock = clock;
    this.config = config;
    this.subscriptions = subscriptions;
    this.recent = new RecentCommits(config.recentCommits(), config.recentBytes());
  }

  /**
   * Opens or updates {@code from}'s subscription, granting at most this node's longest window and
   * largest budget, and answers with what was granted, or with MaximumSubscriptionsExceeded.
   */
  public synchronized ByteString onSubscribe(NodeId from, Messages.SubscribeMsg m) {
    long window = Math.min(m.remainOpenSeconds(), config.maxGrantedWindow().toSeconds());
    long budget = Math.min(m.maxBytes(), config.maxGrantedBudget());
    Subscriptions.Outcome o =
        subscriptions.subscribe(
            from, clock.nanos(), window * 1_000_000_000L, budget, m.knownHeads());
    if (o == Subscriptions.Outcome.REFUSED_FULL) {
      refused++;
      log.debug("push: refused {}: {} subscriptions open", from, subscriptions.size());
      return Messages.refusedFull();
    }
    subscribes++;
    log.debug("push: {} subscribed ({}), {} s, {} bytes", from, o, window, budget);
    pushTo(from, subscriptions.get(from).orElseThrow());
    return Messages.granted(new Messages.Granted((int) window, budget));
  }

  /** Closes {@code from}'s subscription; nothing if it has none. */
  public synchronized void onUnsubscribe(NodeId from) {
    subscriptions.unsubscribe(from);
  }

  /** Drops the subscription of a peer that disconnected. */
  public synchronized void forget(NodeId peer) {
    subscriptions.unsubscribe(peer);
  }

  /**
   * A commit this node made or applied: kept for subscribers a little behind, and pushed to every
   * open subscription that it continues.
   */
  public synchronized void onCommit(Commit c) {
    recent.add(c);
    subscriptions.expire(clock.nanos());
    for (Map.Entry<NodeId, Subscription> e : subscriptions.snapshot().entrySet()) {
      pushTo(e.getKey(), e.getValue());
    }
  }

  private void pushTo(NodeId peer, Subscription s) {
    Optional<KnownHead> known = s.highest();
    if (known.isEmpty()) {
      return;
    }
    List<RecentCommits.Entry> after = recent.after(known.get());
    if (after.size() > CATCH_UP_COMMITS) {
      // Far behind: one change proof brings it forward for less than re-applying every commit,
      // and it subscribes again from there.
      return;
    }
    long remaining = s.remainingBytes();
    int i = 0;
    while (i < after.size()) {
      List<ByteString> batch = new ArrayList<>();
      int entryBytes = 0;
      while (i < after.size() && batch.size() < Limits.MAX_COMMITS_PER_PUSH) {
        int size = after.get(i).encoded().size();
        int message = Messages.pushSize(entryBytes + size);
        if (message > Limits.MAX_PUSH_MESSAGE_BYTES || message > remaining) {
          break;
        }
        batch.add(after.get(i).encoded());
        entryBytes += size;
        i++;
      }
      if (batch.isEmpty()) {
        // Spent budget, or a commit too large for any push: the subscriber polls for it.
        log.debug("push: nothing more fits for {} ({} bytes left)", peer, remaining);
        return;
      }
      ByteString message = Messages.push(batch);
      transport.send(peer, ProtocolId.PUSH_SYNC, message);
      remaining -= message.size();
      pushes.incrementAndGet();
      commitsPushed.addAndGet(batch.size());
      bytesPushed.addAndGet(message.size());
      subscriptions.pushed(peer, message.size(), after.get(i - 1).commit().after());
    }
  }

  public synchronized Stats stats() {
    return new Stats(
        subscriptions.size(),
        subscribes,
        refused,
        pushes.get(),
        commitsPushed.get(),
        bytesPushed.get());
  }

  /** The open subscriptions (for status and tests). */
  public synchronized Map<NodeId, Subscription> subscriptions() {
    return subscriptions.snapshot();
  }
}
