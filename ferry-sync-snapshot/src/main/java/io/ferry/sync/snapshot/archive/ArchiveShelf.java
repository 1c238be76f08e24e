package io.ferry.sync.snapshot.archive;

import io.ferry.core.Bytes;
import io.ferry.core.FerryException;
import io.ferry.snapshot.ArchiveChunks;
import io.ferry.snapshot.ArchiveFile;
import io.ferry.snapshot.SnapshotArchives;
import io.ferry.snapshot.SnapshotKind;
import io.ferry.sync.snapshot.app.Snapshot;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.HashSet;
import java.util.List;
import java.util.Optional;
import java.util.Set;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * The full archives of a directory as state-sync snapshots, kept open for positional chunk reads.
 * Each listing rescans the directory (a peer may list at most once a second), opens archives that
 * appeared and closes those retention deleted; archives of format 1 (one zstd frame for all) or
 * without chunks are not listed. An archive deleted while a chunk is read stays readable to the end
 * (POSIX unlink); one that fails to read answers "missing".
 *
 * <p>Thread-safe.
 */
final class ArchiveShelf {
  private static final Logger log = LoggerFactory.getLogger(ArchiveShelf.class);

  private final Path dir;
  private final java.util.SequencedMap<String, ArchiveChunks> open =
      new java.util.LinkedHashMap<>();
  private final Set<String> unusable = new java.util.TreeSet<>();

  ArchiveShelf(Path dir) {
    this.dir = dir;
  }

  synchronized List<Snapshot> snapshots() {
    refresh();
    List<Snapshot> out = new ArrayList<>();
    for (ArchiveChunks a : open.values()) {
      out.add(
          new Snapshot(
              a.manifest().height(),
              ArchiveApplication.FORMAT,
              a.chunkCount(),
              Bytes.wrap(a.snapshotHash().toBytes()),
              Bytes.wrap(a.manifestBytes())));
    }
    return out;
  }

  /** Frame {@code index} of the archive at {@code height}, if this node has it. */
  Optional<byte[]> frame(long height, int index) {
    ArchiveChunks a = find(height);
    if (a == null) {
      synchronized (this) {
        refresh();
      }
      a = find(height);
    }
    if (a == null || index < 0 || index >= a.chunkCount()) {
      return Optional.empty();
    }
    try {
      return Optional.of(a.frame(index));
    } catch (FerryException e) {
      log.warn("state sync: cannot read chunk {} of {}: {}", index, a.path(), e.getMessage());
      return Optional.empty();
    }
  }

  private synchronized ArchiveChunks find(long height) {
    for (ArchiveChunks a : open.values()) {
      if (a.manifest().height() == height) {
        return a;
      }
    }
    return null;
  }

  private void refresh() {
    List<ArchiveFile> files =
        java.nio.file.Files.isDirectory(dir) ? SnapshotArchives.list(dir) : List.of();
    Set<String> present = new HashSet<>();
    for (ArchiveFile f : files) {
      if (f.kind() != SnapshotKind.FULL) {
        continue;
      }
      String name = f.name().fileName();
      present.add(name);
      if (open.containsKey(name) || unusable.contains(name)) {
        continue;
      }
      try {
        ArchiveChunks a = ArchiveChunks.open(f.path());
        if (a.chunkCount() == 0) {
          a.close();
          unusable.add(name);
        } else {
          open.put(name, a);
        }
      } catch (FerryException e) {
        log.info("state sync: not serving {}: {}", name, e.getMessage());
        unusable.add(name);
      }
    }
    open.entrySet()
        .removeIf(
            e -> {
              if (present.contains(e.getKey())) {
                return false;
              }
              e.getValue().close();
              return true;
            });
    unusable.retainAll(present);
  }
}
