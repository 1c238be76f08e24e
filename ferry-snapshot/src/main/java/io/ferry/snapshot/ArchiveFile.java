package io.ferry.snapshot;

import io.ferry.core.Hash;
import io.ferry.core.archive.ArchiveName;
import java.nio.file.Path;

/**
 * An archive found in a directory: its path, its parsed name and its size. Immutable.
 *
 * @param bytes file size when listed
 */
public record ArchiveFile(Path path, ArchiveName name, long bytes) {
  public SnapshotKind kind() {
    return name.isFull() ? SnapshotKind.FULL : SnapshotKind.INCREMENTAL;
  }

  public long height() {
    return name.height();
  }

  public Hash hash() {
    return name.hash();
  }
}
