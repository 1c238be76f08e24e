package io.ferry.sync.push;

import com.google.protobuf.ByteString;
import io.ferry.core.FerryException;
import io.ferry.core.Limits;
import io.ferry.core.identity.NodeId;
import io.ferry.core.runtime.Cancellable;
import io.ferry.core.runtime.RandomSource;
import io.ferry.core.runtime.Scheduler;
import io.ferry.gossip.head.HeadTrust;
import io.ferry.net.ProtocolId;
import io.ferry.net.Transport;
import io.ferry.net.peers.Offence;
import java.time.Duration;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Optional;
import java.util.SequencedMap;
import java.util.concurrent.CompletionStage;
import java.util.function.Supplier;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * The subscribing side: keeps one subscription open at a peer (the trusted producer when it is
 * connected, else a peer drawn at random, which relays what it applies), renews it before its
 * window closes or half its budget is spent, and hands each pushed commit whose head the trusted
 * producer signed to the {@link Sink}, in order. A pusher whose batch does not make the signed
 * root, or whose head is forged, is reported to the transport and left alone for a while; so is one
 * that refuses (MaximumSubscriptionsExceeded). A push from anyone but the current source is
 * dropped.
 *
 * <p>Everything it decides runs on its scheduler's thread; the public methods may be called from
 * any thread.
 */
public final class PushClient implements AutoCloseable {
  private static final Logger log = LoggerFactory.getLogger(PushClient.class);

  /** Where pushed commits go: the store's owner, which re-applies them in the order given. */
  public interface Sink {
    /** Applies {@code commit}, pushed by {@code from}; completes with what became of it. */
    CompletionStage<Applied> apply(NodeId from, Commit commit);

    /**
     * The newest commit of a push not handed over because {@link #QUEUED_BEFORE_POLLING} are still
     * being applied: the store falls behind the pushes, and one poll to this head catches it up for
     * less than applying every commit in turn.
     */
    default void behind(NodeId from, Commit commit) {}
  }

  /**
   * Pushed commits handed to the sink and not yet applied, beyond which the commits of a further
   * push are not handed over but polled for ({@link Sink#behind}): a follower slower than its
   * producer skips commits rather than queue them. (One push is handed over whole: a catch-up on
   * subscribe is what the subscriber asked for.)
   */
  public static final int QUEUED_BEFORE_POLLING = 4;

  /** Counters since start. */
  public record Stats(
      Optional<NodeId> source,
      long subscribes,
      long pushes,
      long bytes,
      long applied,
      long gaps,
      long wrongRoots,
      long dropped,
      long behind) {}

  private final PushConfig config;
  private final Transport transport;
  private final Scheduler scheduler;
  private final RandomSource random;
  private final Optional<NodeId> preferred;
  private final HeadTrust trust;
  private final Supplier<List<KnownHead>> heads;
  private final Sink sink;

  /**
   * Polls in a row, with no push from the source between them, after which the source is taken to
   * be of no use and another is chosen: a node that follows no one, a relay that is fed no pushes
   * itself, or two followers that chose each other (a cycle no push ever enters). Pushes that
   * arrive but leave a gap (lost ones) do not count against it.
   */
  static final int USELESS_AFTER_POLLS = 3;

  // All below on the scheduler's thread.
  private NodeId source;
  private int pollsInARow;
  private volatile boolean delivering;
  private boolean subscribing;
  private boolean resubscribe;
  private Messages.Granted granted;
  // Bytes pushed since the last subscribe was sent: the pusher counts the catch-up push it sends
  // on a subscribe, which arrives before the answer, against the budget it grants.
  private long received;
  // Whether a commit was applied since the last subscribe was sent: a renewal says new heads.
  private boolean progressed;
  // Commits handed to the sink whose outcome has not come back.
  private int inSink;
  // The newest head handed to the sink while some are still in it: a subscribe names it, so the
  // source does not push again what is only waiting to be applied.
  private KnownHead handed;
  private Cancellable renewal;
  private Cancellable retry;
  private final SequencedMap<NodeId, Long> pausedUntil = new LinkedHashMap<>();
  private boolean closed;
  private volatile Stats stats = new Stats(Optional.empty(), 0, 0, 0, 0, 0, 0, 0, 0);
  private long subscribes;
  private long pushes;
  private long bytes;
  private long applied;
  private long gaps;
  private long wrongRoots;
  private long dropped;
  private long behind;

  /**
   * @param preferred the producer, subscribed to whenever it is connected
   * @param trust whose heads are applied; a head it does not trust is skipped
   * @param heads the heads the store holds now, newest last (such as its revisions): the newest
   *     {@link Limits#MAX_HEADS_PER_SAMPLE} are sent with each subscribe
   */
  public PushClient(
      PushConfig config,
      Transport transport,
      Scheduler scheduler,
      RandomSource random,
      Optional<NodeId> preferred,
      HeadTrust trust,
      Supplier<List<KnownHead>> heads,
      Sink sink) {
    this.config = config;
    this.transport = transport;
    this.scheduler = scheduler;
    this.random = random;
    this.preferred = preferred;
    this.trust = trust;
    this.heads = heads;
    this.sink = sink;
  }

  /** Subscribes to a connected peer, if there is one; later connections are told by the handler. */
  public void start() {
    scheduler.execute(this::choose);
  }

  /** The current counters. */
  public Stats stats() {
    return stats;
  }

  void onConnected(NodeId peer) {
    scheduler.execute(
        () -> {
          if (closed) {
            return;
          }
          boolean better =
              source != null
                  && preferred.isPresent()
                  && peer.equals(preferred.get())
                  && !source.equals(peer)
                  && !paused(peer);
          if (source == null || better) {
            if (better) {
              leave("the producer connected");
            }
            choose();
          }
        });
  }

  void onDisconnected(NodeId peer) {
    scheduler.execute(
        () -> {
          if (!closed && peer.equals(source)) {
            drop();
            choose();
          }
        });
  }

  /**
   * Whether pushes are coming: a source is subscribed to, and it has not been found of no use (see
   * {@link #USELESS_AFTER_POLLS}). A follower waits for a push only while this holds. Any thread.
   */
  public boolean delivering() {
    return delivering;
  }

  /**
   * The store moved some other way than by a push (a poll caught it up): the source is told the new
   * heads, so that its pushes continue from there. After {@link #USELESS_AFTER_POLLS} polls with no
   * push applied between them, the source (unless it is the producer) is left for another.
   */
  public void headsMoved() {
    scheduler.execute(
        () -> {
          if (closed || source == null) {
            return;
          }
          if (granted != null) {
            pollsInARow++;
          }
          publish();
          if (pollsInARow >= USELESS_AFTER_POLLS
              && preferred.map(p -> !p.equals(source)).orElse(true)) {
            NodeId useless = source;
            pausedUntil.put(useless, scheduler.clock().nanos() + config.refusedPause().toNanos());
            leave(USELESS_AFTER_POLLS + " polls and no push");
            choose();
            return;
          }
          if (subscribing) {
            resubscribe = true;
          } else {
            subscribe(source);
          }
        });
  }

  void onPush(NodeId from, Messages.PushMsg m) {
    scheduler.execute(() -> handlePush(from, m));
  }

  private void handlePush(NodeId from, Messages.PushMsg m) {
    if (closed || !from.equals(source)) {
      dropped++; // an old source's last push, after a switch
      publish();
      return;
    }
    pushes++;
    pollsInARow = 0;
    bytes += m.bytes();
    received += m.bytes();
    // Earlier pushes still being applied: the store is behind, and this push is polled for.
    boolean skip = inSink >= QUEUED_BEFORE_POLLING;
    Commit skipped = null;
    for (Commit c : m.commits()) {
      switch (trust.judge(c.head())) {
        case FORGED -> {
          punish(from, "pushed a head whose signature does not verify");
          return;
        }
        case FOREIGN -> {
          dropped++;
          continue;
        }
        case ACCEPT -> {}
      }
      if (skip) {
        behind++;
        skipped = c;
        continue;
      }
      inSink++;
      handed = c.after();
      sink.apply(from, c).whenComplete((a, e) -> scheduler.execute(() -> onApplied(from, c, a, e)));
    }
    if (skipped != null) {
      sink.behind(from, skipped);
    }
    renewIfSpent();
    publish();
  }

  private void onApplied(NodeId from, Commit c, Applied a, Throwable e) {
    if (--inSink == 0) {
      handed = null;
    }
    if (e != null) {
      log.warn("push: applying height {} from {} failed: {}", c.height(), from, e.toString());
      renewIfSpent();
      return;
    }
    switch (a) {
      case APPLIED -> {
        applied++;
        progressed = true;
      }
      case GAP -> gaps++;
      case WRONG_ROOT -> {
        wrongRoots++;
        punish(
            from, "pushed a batch at height " + c.height() + " that does not make the signed root");
      }
      case ALREADY_HAD, NOT_NOW -> {}
    }
    renewIfSpent();
    publish();
  }

  private void punish(NodeId from, String why) {
    log.warn("push: {} {}", from, why);
    transport.peerManager().report(from, Offence.INVALID_PROOF, "push: " + why);
    pausedUntil.put(from, scheduler.clock().nanos() + config.refusedPause().toNanos());
    if (from.equals(source)) {
      leave(why);
      choose();
    }
  }

  /** Chooses a source among the connected peers not paused and subscribes to it. */
  private void choose() {
    if (closed || source != null) {
      return;
    }
    long now = scheduler.clock().nanos();
    pausedUntil.values().removeIf(until -> until - now <= 0);
    List<NodeId> candidates = new ArrayList<>();
    for (NodeId p : transport.peers()) {
      if (!pausedUntil.containsKey(p)) {
        candidates.add(p);
      }
    }
    if (candidates.isEmpty()) {
      if (!pausedUntil.isEmpty()) {
        retryLater(Duration.ofNanos(pausedUntil.firstEntry().getValue() - now));
      }
      return;
    }
    NodeId pick =
        preferred
            .filter(candidates::contains)
            .orElseGet(() -> candidates.get(random.nextInt(candidates.size())));
    subscribe(pick);
  }

  /**
   * Renews the budget once half of it has been pushed, before it runs out: only when every pushed
   * commit has come back from the sink, so that the heads the renewal says include them and the
   * pusher does not send them again; and only when the store moved since the last subscribe, so
   * that a sink that keeps none (it is busy catching up another way) cannot make it renew for ever.
   */
  private void renewIfSpent() {
    if (!closed
        && source != null
        && !subscribing
        && granted != null
        && inSink == 0
        && progressed
        && received * 2 >= granted.maxBytes()) {
      subscribe(source);
    }
  }

  private void subscribe(NodeId peer) {
    if (!peer.equals(source)) {
      pollsInARow = 0;
    }
    source = peer;
    subscribing = true;
    resubscribe = false;
    received = 0;
    progressed = false;
    List<KnownHead> known = heads.get();
    if (handed != null
        && inSink > 0
        && known.stream().allMatch(k -> k.height() < handed.height())) {
      known = new ArrayList<>(known);
      known.add(handed);
    }
    if (known.size() > Limits.MAX_HEADS_PER_SAMPLE) {
      // A subscribe carries at most this many (more is refused, and costs score): the newest,
      // since pushes start after the highest.
      known = known.subList(known.size() - Limits.MAX_HEADS_PER_SAMPLE, known.size());
    }
    ByteString request =
        Messages.subscribe((int) config.window().toSeconds(), config.budget(), known);
    subscribes++;
    transport
        .request(peer, ProtocolId.PUSH_SYNC, request, config.requestTimeout())
        .whenComplete((answer, e) -> scheduler.execute(() -> answered(peer, answer, e)));
  }

  private void answered(NodeId peer, ByteString answer, Throwable e) {
    if (closed || !peer.equals(source)) {
      return;
    }
    subscribing = false;
    Optional<Messages.Granted> g;
    try {
      if (e != null) {
        throw e instanceof FerryException fe
            ? fe
            : new FerryException(io.ferry.core.ErrorCode.UNAVAILABLE, e.toString());
      }
      g = Messages.decodeAnswer(answer);
    } catch (FerryException fail) {
      log.debug("push: subscribing to {} failed: {}", peer, fail.getMessage());
      drop();
      retryLater(config.retry());
      return;
    }
    if (g.isEmpty()) {
      log.info("push: {} holds its most subscriptions; trying another peer", peer);
      pausedUntil.put(peer, scheduler.clock().nanos() + config.refusedPause().toNanos());
      drop();
      choose();
      return;
    }
    granted = g.get();
    cancelRenewal();
    // Renew at two thirds of the window, so a slow answer never lets it close.
    renewal =
        scheduler.schedule(
            Duration.ofMillis(granted.remainOpenSeconds() * 2000L / 3),
            () -> {
              if (!closed && peer.equals(source) && !subscribing) {
                subscribe(peer);
              }
            });
    if (resubscribe) {
      subscribe(peer);
    } else {
      renewIfSpent(); // the catch-up push may have spent half of it already
    }
    publish();
  }

  private void retryLater(Duration delay) {
    if (retry != null) {
      retry.cancel();
    }
    retry =
        scheduler.schedule(
            delay,
            () -> {
              retry = null;
              choose();
            });
  }

  /** Stops using the current source, telling it. */
  private void leave(String why) {
    if (source != null) {
      log.debug("push: leaving {}: {}", source, why);
      transport.send(source, ProtocolId.PUSH_SYNC, Messages.unsubscribe());
      drop();
    }
  }

  private void drop() {
    source = null;
    subscribing = false;
    granted = null;
    cancelRenewal();
    publish();
  }

  private void cancelRenewal() {
    if (renewal != null) {
      renewal.cancel();
      renewal = null;
    }
  }

  private boolean paused(NodeId peer) {
    Long until = pausedUntil.get(peer);
    return until != null && until - scheduler.clock().nanos() > 0;
  }

  private void publish() {
    delivering = source != null && pollsInARow < USELESS_AFTER_POLLS;
    stats =
        new Stats(
            Optional.ofNullable(source),
            subscribes,
            pushes,
            bytes,
            applied,
            gaps,
            wrongRoots,
            dropped,
            behind);
  }

  /** Unsubscribes from the source, if any, and stops. */
  @Override
  public void close() {
    scheduler.execute(
        () -> {
          leave("closing");
          closed = true;
          if (retry != null) {
            retry.cancel();
          }
        });
  }
}
