package io.ferry.snapshot;

import java.io.IOException;
import java.io.InputStream;
import java.io.OutputStream;
import java.nio.ByteBuffer;
import java.nio.channels.Channels;
import java.nio.channels.FileChannel;
import java.nio.channels.FileLock;
import java.nio.channels.OverlappingFileLockException;
import java.nio.file.DirectoryStream;
import java.nio.file.Files;
import java.nio.file.LinkOption;
import java.nio.file.NoSuchFileException;
import java.nio.file.Path;
import java.nio.file.StandardOpenOption;
import java.util.ArrayList;
import java.util.List;
import java.util.Set;
import java.util.concurrent.ConcurrentHashMap;
import java.util.regex.Pattern;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * A temporary file of an archive write in the archive directory: the chunk spool ({@code
 * .snapshot-<n>.spool}) or the tar being written ({@code .snapshot-<n>.tmp}). While it is in use
 * its writer holds an exclusive lock on it (against other processes) and it is registered here
 * (against this one, where a second channel's lock would clash with the first), so {@link
 * #removeLeftovers} removes only the files of writes that died with their process.
 *
 * <p>All reads and writes go through the one channel that holds the lock: closing any other
 * descriptor of the file would release a POSIX lock. Not thread-safe; {@link #removeLeftovers} is.
 */
final class ArchiveTempFile implements AutoCloseable {
  private static final Logger log = LoggerFactory.getLogger(ArchiveTempFile.class);

  /** Exactly the names {@link Files#createTempFile} gives with the writer's prefix and suffixes. */
  static final Pattern NAME = Pattern.compile("\\.snapshot-[0-9]+\\.(spool|tmp)");

  private static final Set<Path> IN_USE = ConcurrentHashMap.newKeySet();

  private final Path path;
  private final Path key;
  private final FileChannel channel;

  private ArchiveTempFile(Path path, Path key, FileChannel channel) {
    this.path = path;
    this.key = key;
    this.channel = channel;
  }

  /** Creates and locks a new temporary file in {@code dir}; {@code suffix} is .spool or .tmp. */
  static ArchiveTempFile create(Path dir, String suffix) throws IOException {
    Path path = Files.createTempFile(dir, ".snapshot-", suffix);
    Path key = key(path);
    IN_USE.add(key);
    FileChannel channel = null;
    try {
      channel = FileChannel.open(path, StandardOpenOption.READ, StandardOpenOption.WRITE);
      channel.lock(); // released when the channel closes
      return new ArchiveTempFile(path, key, channel);
    } catch (IOException | RuntimeException e) {
      if (channel != null) {
        channel.close();
      }
      Files.deleteIfExists(path);
      IN_USE.remove(key);
      throw e;
    }
  }

  private static Path key(Path p) {
    return p.toAbsolutePath().normalize();
  }

  Path path() {
    return path;
  }

  /** Writes at the file's position; closing the stream leaves the file open. */
  OutputStream output() {
    return new OutputStream() {
      @Override
      public void write(int b) throws IOException {
        write(new byte[] {(byte) b}, 0, 1);
      }

      @Override
      public void write(byte[] b, int off, int len) throws IOException {
        ByteBuffer buf = ByteBuffer.wrap(b, off, len);
        while (buf.hasRemaining()) {
          channel.write(buf);
        }
      }
    };
  }

  /** Reads the file from its start; closing the stream leaves the file open. */
  InputStream input() throws IOException {
    channel.position(0);
    InputStream in = Channels.newInputStream(channel);
    return new java.io.FilterInputStream(in) {
      @Override
      public void close() {}
    };
  }

  /** Forces the written bytes to disk. */
  void force() throws IOException {
    channel.force(true);
  }

  /** Deletes the file (unless it was moved away) and releases its lock. */
  @Override
  public void close() throws IOException {
    try {
      Files.deleteIfExists(path);
    } finally {
      try {
        channel.close();
      } finally {
        IN_USE.remove(key);
      }
    }
  }

  /**
   * Deletes the temporary files of archive writes in {@code dir} that no live write holds (files
   * left by a process that was killed), logging what it removed. Other files, directories and
   * symbolic links are never touched.
   *
   * @return the files removed
   */
  static List<Path> removeLeftovers(Path dir) {
    List<Path> removed = new ArrayList<>();
    long bytes = 0;
    try (DirectoryStream<Path> files = Files.newDirectoryStream(dir)) {
      for (Path p : files) {
        if (!NAME.matcher(p.getFileName().toString()).matches()
            || !Files.isRegularFile(p, LinkOption.NOFOLLOW_LINKS)
            || IN_USE.contains(key(p))) {
          continue;
        }
        long size = removeUnlocked(p);
        if (size >= 0) {
          removed.add(p);
          bytes += size;
        }
      }
    } catch (NoSuchFileException e) {
      return List.of();
    } catch (IOException e) {
      log.warn("cannot look for leftover temporary files in {}: {}", dir, e.toString());
    }
    if (!removed.isEmpty()) {
      log.info(
          "removed {} temporary files ({} bytes) of interrupted archive writes in {}: {}",
          removed.size(),
          bytes,
          dir,
          removed.stream().map(p -> p.getFileName().toString()).toList());
    }
    return removed;
  }

  /** Deletes {@code p} if no process holds its lock; its size, or -1 if it stays. */
  private static long removeUnlocked(Path p) {
    try (FileChannel ch = FileChannel.open(p, StandardOpenOption.WRITE, LinkOption.NOFOLLOW_LINKS);
        FileLock lock = ch.tryLock()) {
      if (lock == null) {
        return -1; // a write in progress in another process
      }
      long size = ch.size();
      Files.delete(p);
      return size;
    } catch (OverlappingFileLockException | NoSuchFileException e) {
      return -1; // held in this process, or gone meanwhile
    } catch (IOException e) {
      log.warn("cannot remove the leftover temporary file {}: {}", p, e.toString());
      return -1;
    }
  }
}
