package io.ferry.sync.proof;

import io.ferry.core.ErrorCode;
import io.ferry.core.FerryException;
import io.ferry.core.Hash;
import io.ferry.core.identity.NodeId;
import io.ferry.core.runtime.RandomSource;
import io.ferry.core.runtime.Scheduler;
import io.ferry.merkledb.DigestedKeyValue;
import io.ferry.merkledb.KeyValue;
import io.ferry.merkledb.MerkleDB;
import io.ferry.merkledb.Revision;
import io.ferry.net.Transport;
import io.ferry.sync.proof.client.ChangeCatchUp;
import io.ferry.sync.proof.client.SyncConfig;
import io.ferry.sync.proof.client.SyncManager;
import io.ferry.sync.proof.client.SyncStats;
import io.ferry.sync.proof.client.SyncStore;
import io.ferry.sync.proof.client.SyncStores;
import java.util.HashMap;
import java.util.Iterator;
import java.util.Map;
import java.util.Optional;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.CompletionException;
import java.util.concurrent.Executor;
import java.util.function.Predicate;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * Brings a live store to a trusted revision (root and height) with proof sync, and chooses how: the
 * client side of this module behind one door, used by the node's follower and by {@code ferry
 * sync}. They decide where to go and when; this class decides the way.
 *
 * <ul>
 *   <li>A store that is empty, or whose staging store holds a sync in progress, gets a <b>full
 *       sync</b> ({@link SyncManager}): range proofs from every server, verified and staged, then
 *       one bulk load at the target's height. Its target moves with {@link #moveTarget}.
 *   <li>A store at an older root <b>catches up</b> with change proofs ({@link ChangeCatchUp}),
 *       committed as one revision at the target's height.
 *   <li>When no server keeps the history from the store's root ({@link
 *       ErrorCode#INSUFFICIENT_HISTORY}), the catch-up <b>falls back</b> to a full sync that stages
 *       the store's contents first, so it fetches only the difference.
 * </ul>
 *
 * <p>The store never goes back: a full sync whose target is below the store's height fails with
 * {@link ErrorCode#ILLEGAL_STATE} before the store is touched. Other failures are the parts':
 * {@link ErrorCode#UNAVAILABLE} from a catch-up means no server can give the change now (try again
 * later).
 *
 * <p>One sync at a time. All state lives on the scheduler's thread (deterministic under the
 * simulator); the public methods may be called from any thread. It owns neither the transport nor
 * the staging store nor the verifier: close them after it.
 */
public final class ProofSync implements AutoCloseable {
  private static final Logger log = LoggerFactory.getLogger(ProofSync.class);

  /** How a sync is reaching its target. */
  public enum Mode {
    /** No sync running. */
    IDLE,
    /** Change proofs from the store's root. */
    CATCH_UP,
    /** Range proofs into the staging store, then a bulk load. */
    FULL_SYNC
  }

  /** The live store a sync brings forward; a full sync of a store that is not empty replaces it. */
  public interface LiveStore {
    MerkleDB current();

    /** Empties the store (closing and deleting it) and returns the new, empty one. */
    MerkleDB reset();
  }

  /** Told, on the scheduler's thread, each time a sync starts a way toward its target. */
  @FunctionalInterface
  public interface Listener {
    void started(Mode mode, Revision target);
  }

  private final SyncConfig config;
  private final Transport transport;
  private final Scheduler scheduler;
  private final RandomSource random;
  private final SyncStore staging;
  private final Executor verifier;
  private final LiveStore store;
  private final Predicate<NodeId> servers;
  private final ChangeCatchUp changes;

  // Scheduler's thread only, apart from the volatile mirrors read by the getters.
  private Run run;
  private volatile Mode mode = Mode.IDLE;
  private volatile Revision target;
  private volatile SyncManager fullSync;
  private volatile SyncStats lastStats;
  private volatile boolean closed;

  /**
   * @param config the sync's settings; its branch factor is replaced by the store's
   * @param staging where a full sync keeps verified data and its progress (it resumes from it)
   * @param verifier where range proofs are verified (a pool; the simulator passes a direct one)
   * @param servers which connected peers to ask
   */
  public ProofSync(
      SyncConfig config,
      Transport transport,
      Scheduler scheduler,
      RandomSource random,
      SyncStore staging,
      Executor verifier,
      LiveStore store,
      Predicate<NodeId> servers) {
    this.config = config.withBranchFactor(store.current().branchFactor());
    this.transport = transport;
    this.scheduler = scheduler;
    this.random = random;
    this.staging = staging;
    this.verifier = verifier;
    this.store = store;
    this.servers = servers;
    this.changes = new ChangeCatchUp(this.config, transport, scheduler, random, servers);
  }

  /** {@link #bringTo(Revision, Listener)} without a listener. */
  public CompletableFuture<Revision> bringTo(Revision target) {
    return bringTo(target, (m, t) -> {});
  }

  /**
   * Brings the store to {@code target}. Completes with the revision the store then holds: the
   * target, or a later one it was moved to; at once with the store's revision when it is at the
   * target's root already. Fails with {@link ErrorCode#ILLEGAL_STATE} when a sync is running or
   * this is closed.
   *
   * @param listener told when the catch-up or the full sync starts, and again when a catch-up falls
   *     back to a full sync
   */
  public CompletableFuture<Revision> bringTo(Revision target, Listener listener) {
    CompletableFuture<Revision> done = new CompletableFuture<>();
    scheduler.execute(
        () -> {
          if (closed) {
            done.completeExceptionally(new FerryException(ErrorCode.ILLEGAL_STATE, "closed"));
          } else if (run != null) {
            done.completeExceptionally(
                new FerryException(
                    ErrorCode.ILLEGAL_STATE, "a sync to " + this.target + " is running"));
          } else {
            run = new Run(target, listener, done);
            run.begin();
          }
        });
    return done;
  }

  /**
   * Moves the running sync's target. A full sync heads for it at once (ranges already done are
   * brought forward with change proofs); a catch-up ends at its own target, from which the caller
   * moves on, but a full sync it falls back to heads for the newest target given. Nothing when no
   * sync runs.
   */
  public void moveTarget(Revision to) {
    scheduler.execute(
        () -> {
          if (run != null && !closed) {
            run.moveTo(to);
          }
        });
  }

  public Mode mode() {
    return mode;
  }

  /** The running sync's target. */
  public Optional<Revision> target() {
    return mode == Mode.IDLE ? Optional.empty() : Optional.ofNullable(target);
  }

  /** The running or last full sync's figures. */
  public Optional<SyncStats> syncStats() {
    SyncManager s = fullSync;
    return s != null ? Optional.of(s.stats()) : Optional.ofNullable(lastStats);
  }

  /** Totals over every catch-up so far. */
  public ChangeCatchUp.Stats catchUpStats() {
    return changes.stats();
  }

  /**
   * Stops the running sync, whose future then fails; staged progress stays for the next start.
   * Close it before its scheduler.
   */
  @Override
  public void close() {
    closed = true;
    changes.close();
    // On the scheduler's thread, so that a full sync whose start is under way is stopped too.
    scheduler.execute(
        () -> {
          if (run != null && run.sync != null) {
            run.sync.close();
          }
        });
  }

  /** One call of {@link #bringTo}; all of it on the scheduler's thread. */
  private final class Run {
    private final Listener listener;
    private final CompletableFuture<Revision> done;
    private Revision to;
    // The height of every root the full sync was sent to.
    private final Map<Hash, Long> heights = new HashMap<>();
    private SyncManager sync;

    Run(Revision to, Listener listener, CompletableFuture<Revision> done) {
      this.to = to;
      this.listener = listener;
      this.done = done;
      target = to;
    }

    void begin() {
      try {
        MerkleDB db = store.current();
        if (db.root().equals(to.root())) {
          end(db.revision(), null);
        } else if (db.root().isZero() || staging.target().isPresent()) {
          startFullSync();
        } else {
          startCatchUp();
        }
      } catch (RuntimeException e) {
        end(null, e);
      }
    }

    void moveTo(Revision next) {
      to = next;
      target = next;
      if (sync != null && !sync.done().isDone()) {
        log.info("proof sync target moves to height {} root {}", next.height(), next.root());
        heights.put(next.root(), next.height());
        sync.updateTarget(next.root());
      }
    }

    private void startCatchUp() {
      enter(Mode.CATCH_UP);
      Revision goal = to;
      changes
          .catchUp(store.current(), goal.root(), goal.height())
          .whenComplete((rev, error) -> scheduler.execute(() -> catchUpEnded(rev, error)));
    }

    private void catchUpEnded(Revision rev, Throwable error) {
      Throwable cause = unwrap(error);
      if (cause instanceof FerryException fe
          && fe.code() == ErrorCode.INSUFFICIENT_HISTORY
          && !closed) {
        log.info("no peer can give change proofs from here ({}); full sync", cause.getMessage());
        try {
          startFullSync();
        } catch (RuntimeException e) {
          end(null, e);
        }
        return;
      }
      end(rev, cause);
    }

    private void startFullSync() {
      enter(Mode.FULL_SYNC);
      MerkleDB db = store.current();
      if (!db.root().isZero() && staging.target().isEmpty()) {
        // A store too far behind for change proofs: stage it, so the sync fetches only the
        // difference.
        log.info("staging the store at {} to catch up by a full sync", db.root());
        SyncStores.seedFrom(db, staging);
      }
      log.info("proof sync to height {} root {}", to.height(), to.root());
      heights.put(to.root(), to.height());
      sync =
          new SyncManager(
              config,
              transport,
              scheduler,
              random,
              staging,
              new SyncManager.Loader() {
                @Override
                public Hash load(Iterator<KeyValue> sorted) {
                  return emptyStore().bulkLoad(sorted, height()).root();
                }

                @Override
                public Hash loadDigested(Iterator<DigestedKeyValue> sorted) {
                  // The verifier hashed every value: the build takes its digests.
                  return emptyStore().bulkLoadDigested(sorted, height()).root();
                }
              },
              servers,
              verifier);
      fullSync = sync;
      sync.start(to.root())
          .whenComplete((root, error) -> scheduler.execute(() -> fullSyncEnded(root, error)));
    }

    /** The height to build the store at; on the scheduler's thread, inside the sync. */
    private long height() {
      // The sync may have finished at a target other than the last one given: build at its height.
      return heights.get(sync.target().orElseThrow());
    }

    /** The live store, emptied for the build; on the scheduler's thread, inside the sync. */
    private MerkleDB emptyStore() {
      long height = height();
      MerkleDB db = store.current();
      if (!isEmpty(db)) {
        if (height < db.height()) {
          throw new FerryException(
              ErrorCode.ILLEGAL_STATE,
              "a sync to height "
                  + height
                  + " would take the store back from height "
                  + db.height());
        }
        db = store.reset();
      }
      return db;
    }

    private void fullSyncEnded(Hash root, Throwable error) {
      lastStats = sync.stats();
      fullSync = null;
      if (error != null) {
        end(null, unwrap(error));
        return;
      }
      Revision r = store.current().revision();
      log.info("synced to height {} root {}", r.height(), root);
      end(r, null);
    }

    private void enter(Mode m) {
      mode = m;
      listener.started(m, to);
    }

    private void end(Revision reached, Throwable error) {
      run = null;
      mode = Mode.IDLE;
      if (error != null) {
        done.completeExceptionally(error);
      } else {
        done.complete(reached);
      }
    }
  }

  private static boolean isEmpty(MerkleDB db) {
    return db.height() == 0 && db.root().isZero();
  }

  private static Throwable unwrap(Throwable t) {
    return t instanceof CompletionException && t.getCause() != null ? t.getCause() : t;
  }
}
