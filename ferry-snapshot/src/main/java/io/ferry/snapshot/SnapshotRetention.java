package io.ferry.snapshot;

import io.ferry.core.ErrorCode;
import io.ferry.core.FerryException;
import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.Set;
import java.util.stream.Collectors;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * Keeps the newest {@code keepFull} full and {@code keepIncremental} incremental archives in a
 * directory and deletes the rest; an incremental whose base full archive is gone goes too (it can
 * no longer be restored). A file being read when it is deleted stays readable to its reader until
 * closed (POSIX unlink semantics). Thread-safe; call it from one place at a time per directory.
 */
public final class SnapshotRetention {
  private static final Logger log = LoggerFactory.getLogger(SnapshotRetention.class);

  public static final int DEFAULT_KEEP_FULL = 2;
  public static final int DEFAULT_KEEP_INCREMENTAL = 4;

  private final int keepFull;
  private final int keepIncremental;

  public SnapshotRetention(int keepFull, int keepIncremental) {
    if (keepFull < 1 || keepIncremental < 0) {
      throw new FerryException(
          ErrorCode.INVALID_ARGUMENT,
          "keep at least one full archive and zero or more incrementals, not "
              + keepFull
              + " and "
              + keepIncremental);
    }
    this.keepFull = keepFull;
    this.keepIncremental = keepIncremental;
  }

  public static SnapshotRetention defaults() {
    return new SnapshotRetention(DEFAULT_KEEP_FULL, DEFAULT_KEEP_INCREMENTAL);
  }

  /** Deletes what is not kept; returns the archives deleted. */
  public List<ArchiveFile> apply(Path dir) {
    List<ArchiveFile> all = SnapshotArchives.list(dir); // newest first
    List<ArchiveFile> fulls = all.stream().filter(a -> a.kind() == SnapshotKind.FULL).toList();
    List<ArchiveFile> keptFulls = fulls.subList(0, Math.min(keepFull, fulls.size()));
    Set<Long> keptFullHeights =
        keptFulls.stream().map(ArchiveFile::height).collect(Collectors.toSet());
    List<ArchiveFile> delete = new ArrayList<>(fulls.subList(keptFulls.size(), fulls.size()));
    int incrementalsKept = 0;
    for (ArchiveFile a : all) {
      if (a.kind() != SnapshotKind.INCREMENTAL) {
        continue;
      }
      if (keptFullHeights.contains(a.name().baseHeight()) && incrementalsKept < keepIncremental) {
        incrementalsKept++;
      } else {
        delete.add(a);
      }
    }
    List<ArchiveFile> deleted = new ArrayList<>();
    for (ArchiveFile a : delete) {
      try {
        if (Files.deleteIfExists(a.path())) {
          deleted.add(a);
          log.info("retention deleted {}", a.name());
        }
      } catch (IOException e) {
        log.warn("retention could not delete {}: {}", a.path(), e.toString());
      }
    }
    return deleted;
  }
}
