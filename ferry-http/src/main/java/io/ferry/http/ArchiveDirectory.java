package io.ferry.http;

import io.ferry.core.archive.ArchiveName;
import io.ferry.core.archive.NewestArchives;
import java.io.IOException;
import java.io.UncheckedIOException;
import java.nio.file.DirectoryStream;
import java.nio.file.Files;
import java.nio.file.LinkOption;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.Optional;
import java.util.function.Function;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * The archive directory as the server sees it: which archives it holds, the newest of each kind,
 * and the one safe way from a requested name to a file.
 *
 * <p>Invariant: {@link #resolve} only ever returns a regular file whose real path (links followed)
 * lies directly in the directory's real path, so neither a crafted name nor a symlink leads out of
 * it. The directory is read on each call, with no cache, so new archives and retention show at
 * once. Thread-safe (no mutable state).
 */
public final class ArchiveDirectory {
  private static final Logger log = LoggerFactory.getLogger(ArchiveDirectory.class);

  private final Path dir;

  public ArchiveDirectory(Path dir) {
    this.dir = dir;
  }

  public Path path() {
    return dir;
  }

  /** Every servable archive in the directory, newest first. */
  public List<ArchiveName> list() {
    List<ArchiveName> names = new ArrayList<>();
    try (DirectoryStream<Path> entries = Files.newDirectoryStream(dir)) {
      for (Path entry : entries) {
        String file = entry.getFileName().toString();
        ArchiveName.parse(file).filter(name -> resolve(file).isPresent()).ifPresent(names::add);
      }
    } catch (IOException e) {
      log.warn("cannot list archive directory {}: {}", dir, e.toString());
      return List.of();
    }
    names.sort(ArchiveName.NEWEST_FIRST);
    return names;
  }

  /** The full archive with the highest height ({@link NewestArchives#full}). */
  public Optional<ArchiveName> newestFull() {
    return NewestArchives.full(list(), Function.identity());
  }

  /**
   * The incremental of the highest height among those built on the newest full archive; empty when
   * none is ({@link NewestArchives#incremental}).
   */
  public Optional<ArchiveName> newestIncremental() {
    return NewestArchives.incremental(list(), Function.identity());
  }

  /**
   * The real path of the regular file with this plain name directly in the directory, or empty when
   * the name is not plain, the file is missing or not regular, or a link leads out.
   */
  public Optional<Path> resolve(String fileName) {
    if (!isPlainName(fileName)) {
      return Optional.empty();
    }
    try {
      Path realDir = dir.toRealPath();
      Path real = realDir.resolve(fileName).toRealPath();
      if (!realDir.equals(real.getParent())) {
        log.warn("refusing {}: it links out of the archive directory", fileName);
        return Optional.empty();
      }
      if (!Files.isRegularFile(real, LinkOption.NOFOLLOW_LINKS)) {
        return Optional.empty();
      }
      return Optional.of(real);
    } catch (IOException | UncheckedIOException | SecurityException e) {
      return Optional.empty();
    }
  }

  /** A single path segment of printable ASCII: no separator, no dot segment, no NUL. */
  static boolean isPlainName(String name) {
    if (name.isEmpty() || name.equals(".") || name.equals("..") || name.length() > 255) {
      return false;
    }
    for (int i = 0; i < name.length(); i++) {
      char c = name.charAt(i);
      if (c <= 0x20 || c >= 0x7f || c == '/' || c == '\\' || c == '%' || c == ':') {
        return false;
      }
    }
    return true;
  }
}
