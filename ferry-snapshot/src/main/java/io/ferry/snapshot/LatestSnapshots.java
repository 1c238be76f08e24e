package io.ferry.snapshot;

import io.ferry.core.archive.ArchiveName;
import io.ferry.core.archive.NewestArchives;
import io.ferry.core.archive.SnapshotHashes;
import io.ferry.core.archive.SnapshotHashes.Slot;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.Optional;
import java.util.function.Consumer;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * The snapshots a node advertises: its newest full archive and the newest incremental on it, as
 * Agave's {@code SnapshotGossipManager} holds them. The snapshot scheduler {@link #push}es each
 * archive it makes; each push that changes the view hands the new {@link SnapshotHashes} to the
 * listeners, which publish it (the gossip plane signs and spreads it).
 *
 * <p>The rules, Agave's with one check added:
 *
 * <ul>
 *   <li>a full archive replaces the full one and clears the incremental;
 *   <li>an incremental replaces the incremental if its base is the current full archive, and is
 *       ignored (logged) if it is not: a peer could not apply it to the full one it downloads;
 *   <li>an archive not newer ({@link ArchiveName#NEWEST_FIRST}) than the one it would replace is
 *       ignored. Agave's packager hands archives over in height order, so there it never happens;
 *       here the check keeps the view from going back when archives arrive otherwise (seeding from
 *       the directory, another writer's archive).
 * </ul>
 *
 * So the view is the newest full archive pushed and the newest incremental on it pushed since: as
 * long as each incremental comes after its full archive (as the scheduler makes them), that is what
 * {@link NewestArchives} picks among the archives pushed, the ones the HTTP server redirects {@code
 * /snapshot.tar.zst} and {@code /incremental-snapshot.tar.zst} to while their files are in the
 * directory. Only one incremental is kept, as Agave does, though {@link SnapshotHashes} has room
 * for more.
 *
 * <p>Thread-safe. Listeners run on the pushing thread (a node's archive writer), under the holder's
 * lock, so they see the views in the order they were made; they must be quick and must not push.
 */
public final class LatestSnapshots {
  private static final Logger log = LoggerFactory.getLogger(LatestSnapshots.class);

  private final List<Consumer<SnapshotHashes>> listeners = new ArrayList<>();
  private ArchiveName full; // null until the first full archive
  private ArchiveName incremental; // null when none builds on the full one

  /** A holder with nothing to advertise yet. */
  public LatestSnapshots() {}

  /**
   * A holder that starts from the archives already in {@code dir} (as {@link SnapshotArchives}
   * lists them): the newest full archive and the newest incremental on it. Empty when the directory
   * holds no full archive or does not exist.
   */
  public static LatestSnapshots fromDirectory(Path dir) {
    LatestSnapshots latest = new LatestSnapshots();
    List<ArchiveFile> archives = SnapshotArchives.list(dir); // one listing for both choices
    NewestArchives.full(archives, ArchiveFile::name).ifPresent(f -> latest.push(f.name()));
    NewestArchives.incremental(archives, ArchiveFile::name).ifPresent(i -> latest.push(i.name()));
    latest.current().ifPresent(v -> log.info("advertising the archives in {}: {}", dir, v));
    return latest;
  }

  /**
   * Takes a new archive by the rules above and, if the view changed, tells every listener.
   *
   * @return true if the view changed
   */
  public synchronized boolean push(ArchiveName archive) {
    if (archive.isFull()) {
      if (full != null && !newer(archive, full)) {
        log.info("not advertising {}: {} is newer", archive, full);
        return false;
      }
      full = archive;
      incremental = null;
    } else {
      if (full == null || archive.baseHeight() != full.height()) {
        log.info(
            "not advertising {}: its base is not the newest full archive ({})",
            archive,
            full == null ? "none yet" : full);
        return false;
      }
      if (incremental != null && !newer(archive, incremental)) {
        log.info("not advertising {}: {} is newer", archive, incremental);
        return false;
      }
      incremental = archive;
    }
    SnapshotHashes view = view();
    for (Consumer<SnapshotHashes> l : listeners) {
      tell(l, view);
    }
    return true;
  }

  /** The view now: empty until a full archive is pushed. */
  public synchronized Optional<SnapshotHashes> current() {
    return full == null ? Optional.empty() : Optional.of(view());
  }

  /**
   * Adds a listener and, if there is a view already, calls it with that view at once, so a listener
   * added after the holder was seeded still publishes what the node has.
   */
  public synchronized void addListener(Consumer<SnapshotHashes> listener) {
    listeners.add(listener);
    if (full != null) {
      tell(listener, view());
    }
  }

  private SnapshotHashes view() {
    Slot f = Slot.of(full);
    return incremental == null ? SnapshotHashes.of(f) : SnapshotHashes.of(f, Slot.of(incremental));
  }

  private static boolean newer(ArchiveName a, ArchiveName than) {
    return ArchiveName.NEWEST_FIRST.compare(a, than) < 0;
  }

  private static void tell(Consumer<SnapshotHashes> listener, SnapshotHashes view) {
    try {
      listener.accept(view);
    } catch (RuntimeException e) {
      // The archive is made and the view taken; a listener's failure must not undo either.
      log.warn("a snapshot-hashes listener failed on {}: {}", view, e.toString(), e);
    }
  }
}
