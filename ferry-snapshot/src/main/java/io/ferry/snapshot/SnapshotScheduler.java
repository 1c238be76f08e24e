package io.ferry.snapshot;

import io.ferry.core.ErrorCode;
import io.ferry.core.FerryException;
import io.ferry.merkledb.MerkleDB;
import io.ferry.merkledb.Revision;
import io.ferry.merkledb.StateSnapshot;
import java.nio.file.Path;
import java.util.List;
import java.util.Optional;
import java.util.concurrent.Executor;
import java.util.concurrent.RejectedExecutionException;
import java.util.concurrent.atomic.AtomicBoolean;
import java.util.function.Consumer;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * Makes archives as a store commits: a full archive every {@code fullInterval} commits, an
 * incremental one (against the newest full archive) every {@code incrementalInterval} commits in
 * between, then applies retention. A node calls {@link #onCommit} after each commit.
 *
 * <p>The revision is fixed when {@link #onCommit} runs (a {@link StateSnapshot} taken on the
 * caller's thread, which is cheap); the archive is written on the injected executor, so commits go
 * on meanwhile, and the archive is of the height the snapshot was taken at. One archive is written
 * at a time: a trigger that arrives while one is being written is skipped. An incremental whose
 * base is missing or older than the store's history becomes a full archive. Each archive made and
 * kept by retention goes to the {@code onArchive} callback, on the executor's thread (a node hands
 * it to {@link LatestSnapshots}, which advertises it).
 *
 * <p>Thread-safe. Tests pass an executor they run by hand, so they decide when work happens.
 */
public final class SnapshotScheduler {
  private static final Logger log = LoggerFactory.getLogger(SnapshotScheduler.class);

  /**
   * When archives are made.
   *
   * @param fullInterval commits between full archives (at heights that are multiples of it)
   * @param incrementalInterval commits between incremental archives; 0 for none
   */
  public record Policy(long fullInterval, long incrementalInterval) {
    public Policy {
      if (fullInterval < 1 || incrementalInterval < 0) {
        throw new FerryException(
            ErrorCode.INVALID_ARGUMENT,
            "the full interval must be positive and the incremental one not negative");
      }
    }
  }

  private final MerkleDB db;
  private final Path dir;
  private final SnapshotWriter writer;
  private final SnapshotRetention retention;
  private final Policy policy;
  private final Executor executor;
  private final Consumer<SnapshotArchive> onArchive;
  private final AtomicBoolean running = new AtomicBoolean();
  private volatile SnapshotArchive last;

  public SnapshotScheduler(
      MerkleDB db,
      Path dir,
      SnapshotWriter writer,
      SnapshotRetention retention,
      Policy policy,
      Executor executor) {
    this(db, dir, writer, retention, policy, executor, archive -> {});
  }

  /**
   * A scheduler that hands each archive it makes to {@code onArchive}, after retention and unless
   * retention deleted it at once (a policy that keeps no incrementals).
   */
  public SnapshotScheduler(
      MerkleDB db,
      Path dir,
      SnapshotWriter writer,
      SnapshotRetention retention,
      Policy policy,
      Executor executor,
      Consumer<SnapshotArchive> onArchive) {
    this.db = db;
    this.dir = dir;
    this.writer = writer;
    this.retention = retention;
    this.policy = policy;
    this.executor = executor;
    this.onArchive = onArchive;
  }

  /**
   * Called after each commit with the revision it made. Starts an archive of the head when the
   * height is due; returns true if one was started.
   */
  public boolean onCommit(Revision committed) {
    long h = committed.height();
    boolean full = h % policy.fullInterval() == 0;
    boolean incremental =
        !full && policy.incrementalInterval() > 0 && h % policy.incrementalInterval() == 0;
    if (!full && !incremental) {
      return false;
    }
    if (!running.compareAndSet(false, true)) {
      log.info("snapshot at height {} skipped: the previous one is still being written", h);
      return false;
    }
    StateSnapshot snap;
    try {
      snap = db.snapshot();
    } catch (RuntimeException e) {
      running.set(false);
      throw e;
    }
    try {
      executor.execute(() -> run(snap, full));
      return true;
    } catch (RejectedExecutionException e) {
      snap.close();
      running.set(false);
      log.warn("snapshot at height {} skipped: the executor refused it", h);
      return false;
    }
  }

  private void run(StateSnapshot snap, boolean full) {
    try (snap) {
      SnapshotArchive archive = full ? writer.writeFull(snap, dir) : incrementalOrFull(snap);
      last = archive;
      List<ArchiveFile> deleted = retention.apply(dir);
      if (deleted.stream().noneMatch(d -> d.name().equals(archive.name()))) {
        onArchive.accept(archive);
      }
    } catch (RuntimeException e) {
      log.error("snapshot at height {} failed: {}", snap.revision().height(), e.toString(), e);
    } finally {
      running.set(false);
    }
  }

  private SnapshotArchive incrementalOrFull(StateSnapshot snap) {
    Revision target = snap.revision();
    Optional<ArchiveFile> base =
        SnapshotArchives.list(dir).stream()
            .filter(a -> a.kind() == SnapshotKind.FULL && a.height() < target.height())
            .findFirst();
    if (base.isEmpty()) {
      log.info("no full archive below height {} yet: writing a full one", target.height());
      return writer.writeFull(snap, dir);
    }
    try {
      return writer.writeIncremental(db, target, base.get().path(), dir);
    } catch (FerryException e) {
      if (e.code() != ErrorCode.INSUFFICIENT_HISTORY && e.code() != ErrorCode.INVALID_ARGUMENT) {
        throw e;
      }
      log.warn(
          "incremental at height {} not possible ({}): writing a full one",
          target.height(),
          e.getMessage());
      return writer.writeFull(snap, dir);
    }
  }

  /** True while an archive is being written. */
  public boolean isRunning() {
    return running.get();
  }

  /** The last archive this scheduler wrote, if any. */
  public Optional<SnapshotArchive> lastArchive() {
    return Optional.ofNullable(last);
  }
}
