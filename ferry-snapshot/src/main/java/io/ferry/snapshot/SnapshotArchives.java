package io.ferry.snapshot;

import io.ferry.core.ErrorCode;
import io.ferry.core.FerryException;
import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.NoSuchFileException;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.Comparator;
import java.util.List;
import java.util.Optional;
import java.util.stream.Stream;

/**
 * The archives in a directory, found by their names (files whose names do not parse, temporary
 * files among them, are ignored; contents are not read). Stateless and thread-safe; a listing is a
 * moment's view of a directory that others may change.
 */
public final class SnapshotArchives {
  /** Newest first: by height, then full before incremental, then by name. */
  public static final Comparator<ArchiveFile> NEWEST_FIRST =
      Comparator.comparingLong(ArchiveFile::height)
          .reversed()
          .thenComparing(ArchiveFile::kind)
          .thenComparing(a -> a.name().fileName());

  private SnapshotArchives() {}

  /** Every archive in {@code dir}, newest first; empty if the directory does not exist. */
  public static List<ArchiveFile> list(Path dir) {
    List<ArchiveFile> out = new ArrayList<>();
    try (Stream<Path> files = Files.list(dir)) {
      for (Path p : (Iterable<Path>) files::iterator) {
        Optional<SnapshotName> name = SnapshotName.parse(p.getFileName().toString());
        if (name.isEmpty() || !Files.isRegularFile(p)) {
          continue;
        }
        try {
          out.add(new ArchiveFile(p, name.get(), Files.size(p)));
        } catch (NoSuchFileException e) {
          // deleted while we listed
        }
      }
    } catch (NoSuchFileException e) {
      return List.of();
    } catch (IOException e) {
      throw new FerryException(ErrorCode.IO_ERROR, "cannot list " + dir + ": " + e, e);
    }
    out.sort(NEWEST_FIRST);
    return out;
  }

  /** The full archive of the greatest height. */
  public static Optional<ArchiveFile> newestFull(Path dir) {
    return list(dir).stream().filter(a -> a.kind() == SnapshotKind.FULL).findFirst();
  }

  /**
   * The incremental archive of the greatest height among those based on the newest full archive (as
   * Agave serves {@code /incremental-snapshot.tar.bz2}); empty if there is none.
   */
  public static Optional<ArchiveFile> newestIncremental(Path dir) {
    List<ArchiveFile> all = list(dir);
    Optional<ArchiveFile> full =
        all.stream().filter(a -> a.kind() == SnapshotKind.FULL).findFirst();
    return full.flatMap(
        f ->
            all.stream()
                .filter(
                    a ->
                        a.kind() == SnapshotKind.INCREMENTAL
                            && a.name().baseHeight() == f.height()
                            && a.height() > f.height())
                .findFirst());
  }
}
