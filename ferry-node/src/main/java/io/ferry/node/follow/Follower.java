package io.ferry.node.follow;

import io.ferry.core.ErrorCode;
import io.ferry.core.FerryException;
import io.ferry.core.Hash;
import io.ferry.core.runtime.Scheduler;
import io.ferry.merkledb.MerkleDB;
import io.ferry.merkledb.Revision;
import io.ferry.sync.proof.ProofSync;
import io.ferry.sync.proof.client.SyncStats;
import io.ferry.sync.push.Applied;
import io.ferry.sync.push.Commit;
import io.ferry.sync.push.CommitReplay;
import java.time.Duration;
import java.util.ArrayDeque;
import java.util.Iterator;
import java.util.Optional;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.CompletionException;
import java.util.function.BooleanSupplier;
import java.util.function.Consumer;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * Keeps a node's store at the newest trusted head: the node's policy over {@link ProofSync}, which
 * chooses how to reach a head (a full sync, a change-proof catch-up, or a full sync when no peer
 * keeps the history for a catch-up). The follower decides which head and when: it takes the newest
 * head it learns, paces the moves of a running full sync's target (see {@link #RETARGET_INTERVAL}),
 * retries after a failure, and reports its {@link Phase}.
 *
 * <p>The store never goes back: a head the store has already {@link #passed} (below its height, or
 * at it with another root: a head replayed after a restart, say) is ignored, and a full sync that
 * would replace the store with a lower height fails instead (the proof sync refuses it).
 *
 * <p>All state lives on the scheduler's thread, which must be the proof sync's; {@link #onHead} may
 * be called from any thread.
 */
public final class Follower implements AutoCloseable {
  private static final Logger log = LoggerFactory.getLogger(Follower.class);
  private static final Duration RETRY = Duration.ofSeconds(2);
  private static final Duration STOP_WAIT = Duration.ofSeconds(120);

  /** Heads remembered for catching up to an older one when peers lack the newest. */
  static final int RECENT_HEADS = 32;

  /**
   * The least time between two moves of a running full sync's target. Each move brings every
   * completed range forward with a change proof, whose check rebuilds that staged range: moving at
   * every commit of a fast producer would spend the sync on those rebuilds and never finish. So
   * after a move the follower waits until the ranges done before it are at the new target again
   * (the re-check, taking time R), then at least {@code max(RETARGET_INTERVAL, RETARGET_COST_FACTOR
   * x R)} before the next move: re-checks take at most about a fifth of the sync. Heads skipped
   * meanwhile are caught up by change proofs once the sync ends.
   */
  static final Duration RETARGET_INTERVAL = Duration.ofSeconds(3);

  static final int RETARGET_COST_FACTOR = 4;
  private static final Duration RETARGET_RECHECK = Duration.ofMillis(250);

  /**
   * How long a subscribed follower behind a head it learned waits for the push of it before it
   * polls: heads travel by gossip as fast as pushes, and a poll started on the head would race the
   * push it does not need. Only a wait in which nothing arrived ends in a poll.
   */
  static final Duration PUSH_GRACE = Duration.ofMillis(500);

  /** What the follower is doing. */
  public enum Phase {
    /** No trusted head known yet. */
    WAITING,
    /** A full proof sync to the newest head. */
    SYNCING,
    /** Applying change proofs to reach the newest head. */
    CATCHING_UP,
    /** At the newest head known. */
    FOLLOWING
  }

  /** The live store, which a full sync of a stale store replaces. */
  public interface Store extends ProofSync.LiveStore {}

  private final Store store;
  private final ProofSync proofSync;
  private final Scheduler scheduler;
  private final Consumer<Revision> reached;
  private final Consumer<Revision> polled;
  private final BooleanSupplier subscribed;

  private Phase phase = Phase.WAITING;
  private volatile Phase published = Phase.WAITING;
  private Revision newest;
  // The last heads learned, oldest first: when no peer holds the newest yet, an older one they do
  // hold is still progress (heads travel a hop ahead of the state they name).
  private final ArrayDeque<Revision> recentHeads = new ArrayDeque<>();
  private volatile Revision at;
  // A proof sync is running (from the call, before it says which way it goes).
  private boolean running;
  private Revision syncTarget;
  // Target moves of the running full sync (see RETARGET_INTERVAL).
  private long retargetedNanos;
  private long nextRetargetNanos;
  private double coveredAtRetarget;
  private boolean recovering;
  private boolean retargetTimer;
  private boolean closed;
  // Held while something else fills the empty store (a snapshot bootstrap): heads are remembered
  // but no proof sync starts, so nothing competes with it.
  private volatile boolean held;
  // Waiting PUSH_GRACE for a push (see there); pollDue once a wait brought nothing, or a push was
  // missed or false.
  private boolean graceTimer;
  private boolean pollDue;

  /**
   * A follower that only polls.
   *
   * @param proofSync brings the store to a head; closed with the follower
   * @param reached told of each revision the store reaches at a head (snapshots hang off this)
   */
  public Follower(
      Store store, ProofSync proofSync, Scheduler scheduler, Consumer<Revision> reached) {
    this(store, proofSync, scheduler, reached, r -> {}, () -> false);
  }

  /**
   * A follower that also takes pushed commits ({@link #applyPushed}).
   *
   * @param polled told of each revision a poll (a proof sync) brought the store to, so the push
   *     source can be told where to continue from
   * @param subscribed whether a push subscription is open now: a follower behind a head then waits
   *     {@link #PUSH_GRACE} for its push before polling
   */
  public Follower(
      Store store,
      ProofSync proofSync,
      Scheduler scheduler,
      Consumer<Revision> reached,
      Consumer<Revision> polled,
      BooleanSupplier subscribed) {
    this.store = store;
    this.proofSync = proofSync;
    this.scheduler = scheduler;
    this.reached = reached;
    this.polled = polled;
    this.subscribed = subscribed;
  }

  /**
   * Whether the store is already past the head ({@code height}, {@code root}): below the store's
   * height, or at it with another root. An empty store has passed nothing. Any thread.
   */
  public boolean passed(long height, Hash root) {
    MerkleDB db = store.current();
    if (isEmpty(db)) {
      return false;
    }
    return height < db.height() || (height == db.height() && !root.equals(db.root()));
  }

  private static boolean isEmpty(MerkleDB db) {
    return db.height() == 0 && db.root().isZero();
  }

  /**
   * Keeps the follower from syncing until {@link #release}: heads are still learned. Call before
   * the first head arrives, while another way fills the empty store.
   */
  public void hold() {
    held = true;
  }

  /**
   * Lets the follower move again, from whatever store it now has: a head the store has passed
   * meanwhile (a snapshot restored above it) is forgotten, and a newer one is caught up to.
   */
  public void release() {
    scheduler.execute(
        () -> {
          held = false;
          if (newest != null && passed(newest.height(), newest.root())) {
            log.debug(
                "follower: the store at {} has passed {}", store.current().revision(), newest);
            newest = null;
            recentHeads.clear();
          }
          advance();
        });
  }

  /** A newer trusted head was learned; the follower moves toward it. */
  public void onHead(Revision head) {
    scheduler.execute(() -> learned(head));
  }

  private void learned(Revision head) {
    if (closed || (newest != null && head.height() <= newest.height())) {
      return;
    }
    if (passed(head.height(), head.root())) {
      log.debug("follower: ignoring {}: the store is at {}", head, store.current().revision());
      return;
    }
    remember(head);
    advance();
  }

  private void remember(Revision head) {
    newest = head;
    recentHeads.addLast(head);
    if (recentHeads.size() > RECENT_HEADS) {
      recentHeads.removeFirst();
    }
  }

  /**
   * A trusted head the push source sent while the store is still applying earlier pushes: the
   * follower polls to it at once (one change proof for every commit up to it) rather than wait for
   * a push it will not be handed.
   */
  public void pollTo(Revision head) {
    scheduler.execute(() -> pollFor(head));
  }

  /** Polls at once, to {@code head} or to the newer one already known. */
  private void pollFor(Revision head) {
    pollDue = true;
    if (newest != null && newest.height() >= head.height()) {
      advance();
    } else {
      learned(head);
    }
  }

  /**
   * A commit a peer pushed, whose head the caller has judged trusted: re-applied when it continues
   * the store and no proof sync is running, kept only if it makes the signed root. Otherwise its
   * head is learned like any other, and the follower polls to it: at once after a missed or false
   * push, when a proof sync is running by moving its target. Completes on the scheduler's thread.
   */
  public CompletableFuture<Applied> applyPushed(Commit c) {
    CompletableFuture<Applied> out = new CompletableFuture<>();
    scheduler.execute(
        () -> {
          try {
            out.complete(applyNow(c));
          } catch (RuntimeException e) {
            out.completeExceptionally(e);
          }
        });
    return out;
  }

  private Applied applyNow(Commit c) {
    Revision head = new Revision(c.height(), c.head().root());
    if (closed) {
      return Applied.NOT_NOW;
    }
    if (held || running) {
      learned(head);
      return Applied.NOT_NOW;
    }
    Applied a;
    try {
      a = CommitReplay.replay(store.current(), c);
    } catch (FerryException e) {
      log.warn("follower: pushed height {} not applied: {}", c.height(), e.getMessage());
      a = Applied.NOT_NOW;
    }
    switch (a) {
      case APPLIED -> {
        Revision rev = store.current().revision();
        at = rev;
        if (newest == null || rev.height() >= newest.height()) {
          remember(rev);
        }
        reached.accept(rev);
        setPhase(Phase.FOLLOWING);
        advance();
      }
      case GAP, WRONG_ROOT, NOT_NOW -> pollFor(head);
      case ALREADY_HAD -> {}
    }
    return a;
  }

  public Phase phase() {
    return published;
  }

  /** The head the store is at, once it has reached one. */
  public Optional<Revision> at() {
    return Optional.ofNullable(at);
  }

  /** The running or last full sync's figures. */
  public Optional<SyncStats> syncStats() {
    return proofSync.syncStats();
  }

  private void setPhase(Phase p) {
    if (phase != p) {
      log.info("follower: {} -> {}", phase, p);
    }
    phase = p;
    published = p;
  }

  private void advance() {
    if (closed || held || newest == null) {
      return;
    }
    switch (phase) {
      case SYNCING -> retarget();
      // The catch-up ends at its own head and the follower moves on from there; a full sync it
      // falls back to heads for the newest.
      case CATCHING_UP -> proofSync.moveTarget(newest);
      case WAITING, FOLLOWING -> {
        if (running) {
          return; // the proof sync says which way it goes, then advance() runs again
        }
        if (store.current().root().equals(newest.root())) {
          at = newest;
          setPhase(Phase.FOLLOWING);
        } else if (!waitForPush()) {
          bringToNewest();
        }
      }
    }
  }

  private void bringToNewest() {
    pollDue = false;
    bringTo(newest);
  }

  /**
   * Whether to wait for the push of the newest head rather than poll for it now: while subscribed,
   * with a store to apply pushes to, until a wait of {@link #PUSH_GRACE} passes in which the store
   * did not move, or a push was missed.
   */
  private boolean waitForPush() {
    MerkleDB db = store.current();
    if (pollDue || !subscribed.getAsBoolean() || isEmpty(db)) {
      return false;
    }
    if (!graceTimer) {
      graceTimer = true;
      long heightBefore = db.height();
      scheduler.schedule(
          PUSH_GRACE,
          () -> {
            graceTimer = false;
            if (store.current().height() == heightBefore) {
              pollDue = true;
            }
            advance();
          });
    }
    return true;
  }

  private void bringTo(Revision target) {
    running = true;
    proofSync
        .bringTo(target, this::started)
        .whenComplete((rev, error) -> scheduler.execute(() -> ended(target, rev, error)));
  }

  /** The proof sync started a catch-up or a full sync (after a catch-up fell back, say). */
  private void started(ProofSync.Mode mode, Revision target) {
    if (closed) {
      return;
    }
    if (mode == ProofSync.Mode.FULL_SYNC) {
      setPhase(Phase.SYNCING);
      recovering = false;
      nextRetargetNanos = scheduler.clock().nanos() + RETARGET_INTERVAL.toNanos();
      syncTarget = target;
    } else {
      setPhase(Phase.CATCHING_UP);
    }
    if (!newest.equals(target)) {
      advance();
    }
  }

  /** Moves the running sync to the newest head when the pacing of RETARGET_INTERVAL allows. */
  private void retarget() {
    if (closed || phase != Phase.SYNCING || proofSync.mode() != ProofSync.Mode.FULL_SYNC) {
      return;
    }
    double covered = proofSync.syncStats().map(SyncStats::covered).orElse(0.0);
    long now = scheduler.clock().nanos();
    if (recovering) {
      if (covered < coveredAtRetarget - 1e-9) {
        retargetLater(RETARGET_RECHECK.toNanos());
        return;
      }
      recovering = false;
      long recheck = now - retargetedNanos;
      nextRetargetNanos =
          now + Math.max(RETARGET_INTERVAL.toNanos(), RETARGET_COST_FACTOR * recheck);
    }
    if (newest.equals(syncTarget)) {
      return;
    }
    if (now < nextRetargetNanos) {
      retargetLater(nextRetargetNanos - now);
      return;
    }
    retargetedNanos = now;
    coveredAtRetarget = covered;
    recovering = true;
    syncTarget = newest;
    proofSync.moveTarget(newest);
    retargetLater(RETARGET_RECHECK.toNanos());
  }

  private void retargetLater(long nanos) {
    if (!retargetTimer) {
      retargetTimer = true;
      scheduler.schedule(
          Duration.ofNanos(nanos),
          () -> {
            retargetTimer = false;
            retarget();
          });
    }
  }

  private void ended(Revision target, Revision rev, Throwable error) {
    running = false;
    if (closed) {
      return;
    }
    if (error == null) {
      at = rev;
      reached.accept(rev);
      polled.accept(rev);
      setPhase(Phase.FOLLOWING);
      advance();
      return;
    }
    Throwable cause = unwrap(error);
    switch (phase) {
      case SYNCING -> {
        log.warn("follower: proof sync failed, retrying: {}", cause.getMessage());
        setPhase(Phase.WAITING);
      }
      case CATCHING_UP -> {
        Optional<Revision> older = peersBehind(cause) ? olderThan(target) : Optional.empty();
        if (older.isPresent()) {
          log.debug(
              "follower: no peer holds height {} yet; catching up to {} first",
              target.height(),
              older.get().height());
          setPhase(Phase.FOLLOWING);
          bringTo(older.get());
          return;
        }
        log.warn(
            "follower: catch-up to height {} failed, retrying: {}",
            target.height(),
            cause.getMessage());
        setPhase(Phase.FOLLOWING);
      }
      case WAITING, FOLLOWING ->
          log.warn(
              "follower: proof sync to height {} did not start, retrying: {}",
              target.height(),
              cause.getMessage());
    }
    scheduler.schedule(RETRY, this::advance);
  }

  /** Whether {@code error} says no peer holds the head yet (they lag it): an older one may do. */
  private static boolean peersBehind(Throwable error) {
    return error instanceof FerryException fe && fe.code() == ErrorCode.UNAVAILABLE;
  }

  /** The newest remembered head below {@code target} that would still move the store forward. */
  private Optional<Revision> olderThan(Revision target) {
    Iterator<Revision> it = recentHeads.descendingIterator();
    while (it.hasNext()) {
      Revision h = it.next();
      if (h.height() < target.height()) {
        boolean forward = !passed(h.height(), h.root()) && h.height() != store.current().height();
        return forward ? Optional.of(h) : Optional.empty();
      }
    }
    return Optional.empty();
  }

  private static Throwable unwrap(Throwable t) {
    return t instanceof CompletionException && t.getCause() != null ? t.getCause() : t;
  }

  /**
   * Stops syncing; stored progress stays for the next start. Returns once the scheduler's task in
   * progress (a bulk load, say) has finished, so the stores can close after it.
   */
  @Override
  public void close() {
    try {
      // The scheduler may be in a bulk load, which takes seconds per million keys.
      scheduler.runAndWait(
          () -> {
            closed = true;
            proofSync.close();
          },
          STOP_WAIT);
    } catch (FerryException e) {
      throw new FerryException(ErrorCode.INTERNAL, "follower did not stop: " + e.getMessage());
    }
  }
}
