package io.ferry.snapshot;

import java.io.IOException;
import java.nio.channels.FileChannel;
import java.nio.channels.FileLock;
import java.nio.channels.OverlappingFileLockException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.StandardOpenOption;
import java.util.Optional;
import java.util.Set;
import java.util.concurrent.ConcurrentHashMap;

/**
 * Held by a restore into a target for its whole run: an exclusive lock on {@code
 * .<name>.restore.lock} next to the target (against other processes) and an entry in a set of
 * targets (against this one, where a second channel's lock would clash with the first). Whoever
 * holds it may remove the target's leftover temporary directories: no live restore uses them. The
 * empty lock file stays, as removing it would let two processes lock two different files.
 * Thread-safe.
 */
final class RestoreLock implements AutoCloseable {
  private static final Set<Path> HELD = ConcurrentHashMap.newKeySet();

  private final Path target;
  private final FileChannel channel;

  private RestoreLock(Path target, FileChannel channel) {
    this.target = target;
    this.channel = channel;
  }

  /** The lock of {@code target}, or empty if a restore into it is in progress. */
  static Optional<RestoreLock> tryAcquire(Path target) throws IOException {
    Path abs = target.toAbsolutePath().normalize();
    if (!HELD.add(abs)) {
      return Optional.empty();
    }
    FileChannel channel = null;
    try {
      Files.createDirectories(abs.getParent());
      channel =
          FileChannel.open(
              abs.resolveSibling("." + abs.getFileName() + ".restore.lock"),
              StandardOpenOption.CREATE,
              StandardOpenOption.WRITE);
      FileLock lock = channel.tryLock();
      if (lock == null) {
        channel.close();
        HELD.remove(abs);
        return Optional.empty();
      }
      return Optional.of(new RestoreLock(abs, channel));
    } catch (IOException | RuntimeException e) {
      if (channel != null) {
        channel.close();
      }
      HELD.remove(abs);
      if (e instanceof OverlappingFileLockException) {
        return Optional.empty();
      }
      throw e;
    }
  }

  @Override
  public void close() {
    try {
      channel.close(); // releases the lock
    } catch (IOException e) {
      // closing cannot lose anything; the lock goes with the process at the latest
    } finally {
      HELD.remove(target);
    }
  }
}
