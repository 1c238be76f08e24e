package io.ferry.node;

import io.ferry.core.ErrorCode;
import io.ferry.core.FerryException;
import io.ferry.merkledb.MerkleDB;
import io.ferry.node.config.NodeConfig;
import io.ferry.node.follow.Follower;
import io.ferry.snapshot.LatestSnapshots;
import io.ferry.snapshot.SnapshotConfig;
import io.ferry.snapshot.SnapshotRetention;
import io.ferry.snapshot.SnapshotScheduler;
import io.ferry.snapshot.SnapshotWriter;
import java.nio.file.Path;
import java.util.Optional;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.TimeUnit;
import java.util.function.Consumer;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * A node's current MerkleDB, the snapshot scheduler over it, and the snapshots the node advertises
 * ({@link LatestSnapshots}: started from the archive directory, fed by each scheduler). A follower
 * that must rebuild a stale store {@link #reset}s it: the old store is closed and deleted, a new
 * empty one opened, and whoever serves the store (the proof server) is told to switch.
 *
 * <p>Thread-safe: {@link #current} is a volatile read; {@link #reset} and {@link #close} are
 * serialised.
 */
final class LiveStore implements Follower.Store, AutoCloseable {
  private static final Logger log = LoggerFactory.getLogger(LiveStore.class);
  private static final long ARCHIVE_WAIT_SECONDS = 120;

  private final NodeConfig config;
  private final NodeEnvironment env;
  private final ExecutorService archiver;
  // One for the node, not per store: it describes the archive directory, which a reset keeps.
  private final Optional<LatestSnapshots> latest;
  private volatile MerkleDB db;
  private volatile Optional<SnapshotScheduler> snapshots;
  private Consumer<MerkleDB> onSwitch = db -> {};
  private boolean closed;

  LiveStore(NodeConfig config, NodeEnvironment env, MerkleDB db) {
    this.config = config;
    this.env = env;
    // One worker: archives are written one at a time, and waitForArchive relies on it.
    this.archiver = env.workers("ferry-snapshot", 1);
    this.db = db;
    this.latest =
        config.snapshots().enabled()
            ? Optional.of(LatestSnapshots.fromDirectory(env.snapshotDir(config)))
            : Optional.empty();
    this.snapshots = schedulerFor(db);
  }

  private Optional<SnapshotScheduler> schedulerFor(MerkleDB store) {
    NodeConfig.Snapshots s = config.snapshots();
    if (!s.enabled()) {
      return Optional.empty();
    }
    return Optional.of(
        new SnapshotScheduler(
            store,
            env.snapshotDir(config),
            new SnapshotWriter(new SnapshotConfig(s.chunkSize(), s.zstdLevel())),
            new SnapshotRetention(s.keepFull(), s.keepIncremental()),
            new SnapshotScheduler.Policy(s.fullInterval(), s.incrementalInterval()),
            archiver,
            archive -> latest.orElseThrow().push(archive.name())));
  }

  /** Told of each new store after a reset. */
  synchronized void onSwitch(Consumer<MerkleDB> listener) {
    this.onSwitch = listener;
  }

  @Override
  public MerkleDB current() {
    return db;
  }

  /** The snapshots the node advertises, when archives are on. */
  Optional<LatestSnapshots> latestSnapshots() {
    return latest;
  }

  /** The scheduler that makes archives of the current store, when archives are on. */
  Optional<SnapshotScheduler> snapshots() {
    return snapshots;
  }

  @Override
  public synchronized MerkleDB reset() {
    if (closed) {
      throw new FerryException(ErrorCode.ILLEGAL_STATE, "the node is stopping");
    }
    MerkleDB old = db;
    log.info("rebuilding the store in {} (was at height {})", config.stateDir(), old.height());
    waitForArchive();
    old.close();
    env.deleteStore(config.stateDir());
    MerkleDB fresh = env.openStore(config.stateDir(), old.branchFactor().width());
    db = fresh;
    snapshots = schedulerFor(fresh);
    onSwitch.accept(fresh);
    return fresh;
  }

  /**
   * Replaces the empty store with the one a snapshot bootstrap restored in {@code restored}: the
   * empty store is closed and deleted, the restored directory moved into its place and opened, and
   * whoever serves the store is told to switch.
   *
   * @throws FerryException {@link ErrorCode#ILLEGAL_STATE} if the store is no longer empty (it must
   *     not be thrown away) or the node is stopping
   */
  synchronized MerkleDB adopt(Path restored) {
    if (closed) {
      throw new FerryException(ErrorCode.ILLEGAL_STATE, "the node is stopping");
    }
    MerkleDB old = db;
    if (old.height() != 0 || !old.root().isZero()) {
      throw new FerryException(
          ErrorCode.ILLEGAL_STATE,
          "the store is at height " + old.height() + " now; the restored snapshot is not used");
    }
    waitForArchive();
    old.close();
    env.deleteStore(config.stateDir());
    try {
      env.moveStore(restored, config.stateDir());
    } catch (FerryException e) {
      // Without a store the node cannot go on; an empty one lets it proof-sync instead.
      db = env.openStore(config.stateDir(), old.branchFactor().width());
      snapshots = schedulerFor(db);
      onSwitch.accept(db);
      throw new FerryException(
          ErrorCode.IO_ERROR, "cannot move the restored store into place: " + e.getMessage(), e);
    }
    MerkleDB fresh = env.openStore(config.stateDir(), null);
    db = fresh;
    snapshots = schedulerFor(fresh);
    onSwitch.accept(fresh);
    log.info("the store is the restored snapshot at height {}", fresh.height());
    return fresh;
  }

  /**
   * Lets an archive being written finish, since it reads the old store through a snapshot: the
   * archiver has one thread, so a task queued now runs only after it.
   */
  private void waitForArchive() {
    try {
      archiver.submit(() -> {}).get(ARCHIVE_WAIT_SECONDS, TimeUnit.SECONDS);
    } catch (InterruptedException e) {
      Thread.currentThread().interrupt();
      throw new FerryException(ErrorCode.ILLEGAL_STATE, "interrupted while an archive is written");
    } catch (java.util.concurrent.ExecutionException | java.util.concurrent.TimeoutException e) {
      throw new FerryException(
          ErrorCode.ILLEGAL_STATE, "an archive of the old store is still being written: " + e);
    }
  }

  /** Waits for an archive being written, then closes the store. */
  @Override
  public synchronized void close() {
    if (closed) {
      return;
    }
    closed = true;
    archiver.shutdown();
    try {
      if (!archiver.awaitTermination(ARCHIVE_WAIT_SECONDS, TimeUnit.SECONDS)) {
        log.warn("an archive is still being written; its temporary file stays behind");
        archiver.shutdownNow();
      }
    } catch (InterruptedException e) {
      archiver.shutdownNow();
      Thread.currentThread().interrupt();
    }
    db.close();
  }
}
