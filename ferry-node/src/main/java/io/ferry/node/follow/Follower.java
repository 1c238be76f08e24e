package io.ferry.node.follow;

import io.ferry.core.ErrorCode;
import io.ferry.core.FerryException;
import io.ferry.core.Hash;
import io.ferry.core.runtime.Scheduler;
import io.ferry.merkledb.MerkleDB;
import io.ferry.merkledb.Revision;
import io.ferry.sync.proof.client.SyncManager;
import io.ferry.sync.proof.client.SyncStats;
import io.ferry.sync.proof.client.SyncStore;
import io.ferry.sync.proof.client.SyncStores;
import java.time.Duration;
import java.util.HashMap;
import java.util.Map;
import java.util.Optional;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.CompletionException;
import java.util.function.Consumer;
import java.util.function.Function;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * Brings a node's store to the newest trusted head and keeps it there. A store that is empty (or
 * has a proof sync in progress) gets a full proof sync from all peers, whose target moves with each
 * newer head; a store that already holds a head follows with change proofs; when no peer can give a
 * change proof from the store's root (their history is too short), it falls back to a full sync.
 *
 * <p>The store never goes back: a head the store has already {@link #passed} (below its height, or
 * at it with another root: a head replayed after a restart, say) is ignored, and a full sync that
 * would replace the store with a lower height fails instead.
 *
 * <p>All state lives on the scheduler's thread; {@link #onHead} may be called from any thread.
 */
public final class Follower implements AutoCloseable {
  private static final Logger log = LoggerFactory.getLogger(Follower.class);
  private static final Duration RETRY = Duration.ofSeconds(2);
  private static final Duration STOP_WAIT = Duration.ofSeconds(120);

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

  /** Applies change proofs to the live store, from its root to {@code head}. */
  public interface CatchUp {
    CompletableFuture<Revision> catchUp(Revision head);

    /** True when {@code error} means no peer can give a change proof: a full sync is needed. */
    boolean needsFullSync(Throwable error);
  }

  /** The live store, which a full sync of a stale store replaces. */
  public interface Store {
    MerkleDB current();

    /** Empties the store (closing and deleting it) and returns the new, empty one. */
    MerkleDB reset();
  }

  private final Store store;
  private final SyncStore staging;
  private final Function<SyncManager.Loader, SyncManager> newSync;
  private final CatchUp catchUp;
  private final Scheduler scheduler;
  private final Consumer<Revision> reached;

  private Phase phase = Phase.WAITING;
  private volatile Phase published = Phase.WAITING;
  private Revision newest;
  private volatile Revision at;
  private Revision syncTarget;
  // Target moves of the running sync (see RETARGET_INTERVAL).
  private long retargetedNanos;
  private long nextRetargetNanos;
  private double coveredAtRetarget;
  private boolean recovering;
  private boolean retargetTimer;
  // The height of every root the running sync was sent to (scheduler's thread only).
  private final Map<Hash, Long> targetHeights = new HashMap<>();
  private SyncManager sync;
  private volatile SyncStats lastStats;
  private boolean closed;

  /**
   * @param staging where a full sync keeps verified data and its progress (it resumes from it)
   * @param newSync makes a sync manager over {@code staging} that builds the store with the loader
   * @param reached told of each revision the store reaches at a head (snapshots hang off this)
   */
  public Follower(
      Store store,
      SyncStore staging,
      Function<SyncManager.Loader, SyncManager> newSync,
      CatchUp catchUp,
      Scheduler scheduler,
      Consumer<Revision> reached) {
    this.store = store;
    this.staging = staging;
    this.newSync = newSync;
    this.catchUp = catchUp;
    this.scheduler = scheduler;
    this.reached = reached;
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

  /** A newer trusted head was learned; the follower moves toward it. */
  public void onHead(Revision head) {
    scheduler.execute(
        () -> {
          if (closed || (newest != null && head.height() <= newest.height())) {
            return;
          }
          if (passed(head.height(), head.root())) {
            log.debug(
                "follower: ignoring {}: the store is at {}", head, store.current().revision());
            return;
          }
          newest = head;
          advance();
        });
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
    SyncManager s = sync;
    return s != null ? Optional.of(s.stats()) : Optional.ofNullable(lastStats);
  }

  private void setPhase(Phase p) {
    if (phase != p) {
      log.info("follower: {} -> {}", phase, p);
    }
    phase = p;
    published = p;
  }

  private void advance() {
    if (closed || newest == null) {
      return;
    }
    switch (phase) {
      case SYNCING -> retarget();
      case CATCHING_UP -> {} // picks up the newest head when the current catch-up ends
      case WAITING, FOLLOWING -> {
        MerkleDB db = store.current();
        if (db.root().equals(newest.root())) {
          at = newest;
          setPhase(Phase.FOLLOWING);
        } else if (db.root().isZero() || staging.target().isPresent()) {
          startFullSync();
        } else {
          startCatchUp();
        }
      }
    }
  }

  /** Moves the running sync to the newest head when the pacing of RETARGET_INTERVAL allows. */
  private void retarget() {
    if (closed || phase != Phase.SYNCING || sync == null || sync.done().isDone()) {
      return;
    }
    long now = scheduler.clock().nanos();
    if (recovering) {
      if (sync.stats().covered() < coveredAtRetarget - 1e-9) {
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
    coveredAtRetarget = sync.stats().covered();
    recovering = true;
    syncTarget = newest;
    log.info("follower: sync target moves to height {} root {}", newest.height(), newest.root());
    targetHeights.put(newest.root(), newest.height());
    sync.updateTarget(newest.root());
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

  private void startFullSync() {
    setPhase(Phase.SYNCING);
    recovering = false;
    nextRetargetNanos = scheduler.clock().nanos() + RETARGET_INTERVAL.toNanos();
    syncTarget = newest;
    MerkleDB db = store.current();
    if (!db.root().isZero() && staging.target().isEmpty()) {
      // A store too far behind for change proofs: stage it, so the sync fetches only the
      // difference.
      log.info("follower: staging the store at {} to catch up by a full sync", db.root());
      SyncStores.seedFrom(db, staging);
    }
    log.info("follower: proof sync to height {} root {}", syncTarget.height(), syncTarget.root());
    targetHeights.clear();
    targetHeights.put(syncTarget.root(), syncTarget.height());
    SyncManager.Loader loader =
        sorted -> {
          // The loader runs on the scheduler's thread inside the sync, which may have finished
          // at a target the follower has since moved from: build at that target's height.
          Hash at = sync.target().orElseThrow();
          long height = targetHeights.get(at);
          MerkleDB target = store.current();
          if (!isEmpty(target)) {
            if (height < target.height()) {
              throw new FerryException(
                  ErrorCode.ILLEGAL_STATE,
                  "a sync to height "
                      + height
                      + " would take the store back from height "
                      + target.height());
            }
            target = store.reset();
          }
          return target.bulkLoad(sorted, height).root();
        };
    sync = newSync.apply(loader);
    sync.start(syncTarget.root())
        .whenComplete((root, error) -> scheduler.execute(() -> syncEnded(root, error)));
  }

  private void syncEnded(Hash root, Throwable error) {
    if (sync == null) {
      return; // closed
    }
    lastStats = sync.stats();
    sync = null;
    if (closed) {
      return;
    }
    if (error != null) {
      log.warn("follower: proof sync failed, retrying: {}", unwrap(error).getMessage());
      setPhase(Phase.WAITING);
      scheduler.schedule(RETRY, this::advance);
      return;
    }
    Revision r = store.current().revision();
    log.info("follower: synced to height {} root {}", r.height(), root);
    at = r;
    reached.accept(r);
    setPhase(Phase.FOLLOWING);
    advance();
  }

  private void startCatchUp() {
    setPhase(Phase.CATCHING_UP);
    Revision target = newest;
    catchUp
        .catchUp(target)
        .whenComplete((rev, error) -> scheduler.execute(() -> catchUpEnded(target, rev, error)));
  }

  private void catchUpEnded(Revision target, Revision rev, Throwable error) {
    if (closed) {
      return;
    }
    if (error == null) {
      at = target;
      reached.accept(rev);
      setPhase(Phase.FOLLOWING);
      advance();
      return;
    }
    Throwable cause = unwrap(error);
    if (catchUp.needsFullSync(cause)) {
      log.info(
          "follower: no peer can give change proofs from here ({}); full sync", cause.getMessage());
      setPhase(Phase.WAITING);
      startFullSync();
    } else {
      log.warn(
          "follower: catch-up to height {} failed, retrying: {}",
          target.height(),
          cause.getMessage());
      setPhase(Phase.FOLLOWING);
      scheduler.schedule(RETRY, this::advance);
    }
  }

  private static Throwable unwrap(Throwable t) {
    return t instanceof CompletionException && t.getCause() != null ? t.getCause() : t;
  }

  /** Stops syncing; stored progress stays for the next start. */
  @Override
  public void close() {
    CompletableFuture<Void> stopped = new CompletableFuture<>();
    scheduler.execute(
        () -> {
          closed = true;
          if (sync != null) {
            sync.close();
          }
          stopped.complete(null);
        });
    try {
      // The scheduler may be in a bulk load, which takes seconds per million keys.
      stopped.get(STOP_WAIT.toSeconds(), java.util.concurrent.TimeUnit.SECONDS);
    } catch (Exception e) {
      throw new FerryException(ErrorCode.INTERNAL, "follower did not stop: " + e);
    }
  }
}
