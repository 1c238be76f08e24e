package io.ferry.snapshot;

import io.ferry.core.ErrorCode;
import io.ferry.core.FerryException;
import io.ferry.core.archive.ArchiveName;
import io.ferry.core.archive.NewestArchives;
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
  /** Newest first, by {@link ArchiveName#NEWEST_FIRST}. */
  public static final Comparator<ArchiveFile> NEWEST_FIRST =
      Comparator.comparing(ArchiveFile::name, ArchiveName.NEWEST_FIRST);

  private SnapshotArchives() {}

  /** Every archive in {@code dir}, newest first; empty if the directory does not exist. */
  public static List<ArchiveFile> list(Path dir) {
    List<ArchiveFile> out = new ArrayList<>();
    try (Stream<Path> files = Files.list(dir)) {
      for (Path p : (Iterable<Path>) files::iterator) {
        // Only the archives Ferry can read: another extension is someone else's file to keep.
        Optional<ArchiveName> name =
            ArchiveName.parse(p.getFileName().toString())
                .filter(n -> n.extension().equals(ArchiveName.ZSTD));
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

  /** The full archive of the greatest height ({@link NewestArchives#full}). */
  public static Optional<ArchiveFile> newestFull(Path dir) {
    return NewestArchives.full(list(dir), ArchiveFile::name);
  }

  /**
   * The incremental archive of the greatest height among those based on the newest full archive (as
   * Agave serves {@code /incremental-snapshot.tar.bz2}); empty if there is none ({@link
   * NewestArchives#incremental}).
   */
  public static Optional<ArchiveFile> newestIncremental(Path dir) {
    return NewestArchives.incremental(list(dir), ArchiveFile::name);
  }
}
