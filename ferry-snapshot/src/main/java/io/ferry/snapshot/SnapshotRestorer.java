package io.ferry.snapshot;

import io.ferry.core.ErrorCode;
import io.ferry.core.FerryException;
import io.ferry.core.Hash;
import io.ferry.merkledb.Batch;
import io.ferry.merkledb.BranchFactor;
import io.ferry.merkledb.KeyChange;
import io.ferry.merkledb.MerkleDB;
import io.ferry.merkledb.MerkleDBConfig;
import io.ferry.merkledb.Revision;
import java.io.IOException;
import java.io.UncheckedIOException;
import java.nio.file.DirectoryNotEmptyException;
import java.nio.file.DirectoryStream;
import java.nio.file.FileVisitResult;
import java.nio.file.Files;
import java.nio.file.LinkOption;
import java.nio.file.NoSuchFileException;
import java.nio.file.Path;
import java.nio.file.SimpleFileVisitor;
import java.nio.file.StandardCopyOption;
import java.nio.file.attribute.BasicFileAttributes;
import java.util.ArrayList;
import java.util.Iterator;
import java.util.List;
import java.util.Optional;
import java.util.UUID;
import java.util.function.Function;
import java.util.regex.Pattern;
import java.util.stream.Stream;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * Restores a full archive, and optionally an incremental on top of it, into a new data directory.
 *
 * <p>Nothing unverified reaches the target: the root the archives claim is checked against the
 * trusted root before any chunk is read; the store is built in a temporary directory next to the
 * target; each chunk is checked against its manifest hash as it is read, with decompression bounded
 * by the manifest ({@link SnapshotReader}); the full archive goes in through {@link
 * MerkleDB#bulkLoad} and the incremental's changes in batches of bounded size; the root after each
 * archive is checked against its manifest, and the final root against the trusted root when one is
 * given. Only then is the directory renamed into place; on any failure it is deleted and the target
 * is left as it was (absent or empty).
 *
 * <p>A restore holds the target's {@link RestoreLock} for its whole run, so two restores into one
 * target exclude each other, and first removes what killed restores into it left ({@link
 * #removeLeftovers}).
 *
 * <p>An incremental's changes are committed a batch at a time, each at most {@link
 * #DEFAULT_INCREMENTAL_BATCH_BYTES} of records (or the bytes per height the incremental spans, if
 * more): batch i at the full archive's height + i, the last at the incremental's height, so the
 * restored store holds those revisions in its history. An incremental that would need batches over
 * {@link #MAX_INCREMENTAL_BATCH_BYTES} is refused. Thread-safe: it holds no state between calls.
 */
public final class SnapshotRestorer {
  private static final Logger log = LoggerFactory.getLogger(SnapshotRestorer.class);

  /** Bytes of an incremental's records held in memory for one commit, by default. */
  public static final long DEFAULT_INCREMENTAL_BATCH_BYTES = 32L << 20;

  /**
   * The most bytes of records one commit may hold: an incremental with more changes per height it
   * spans than this is refused before any chunk is read, and one that needs a larger last batch
   * fails when it gets there.
   */
  public static final long MAX_INCREMENTAL_BATCH_BYTES = 256L << 20;

  private final MerkleDBConfig config;
  private final long batchBytes;
  private final long maxBatchBytes;
  private final SnapshotReader.ChunkListener listener;

  /** Restores into stores opened with {@code config} (its branch factor is the archive's). */
  public SnapshotRestorer(MerkleDBConfig config) {
    this(
        config,
        DEFAULT_INCREMENTAL_BATCH_BYTES,
        MAX_INCREMENTAL_BATCH_BYTES,
        SnapshotReader.ChunkListener.NONE);
  }

  private SnapshotRestorer(
      MerkleDBConfig config,
      long batchBytes,
      long maxBatchBytes,
      SnapshotReader.ChunkListener listener) {
    if (batchBytes < 1 || maxBatchBytes < batchBytes) {
      throw new FerryException(
          ErrorCode.INVALID_ARGUMENT, "need 1 <= batch bytes <= max batch bytes");
    }
    this.config = config;
    this.batchBytes = batchBytes;
    this.maxBatchBytes = maxBatchBytes;
    this.listener = listener;
  }

  /**
   * A restorer that commits an incremental's changes in batches of about {@code batchBytes} bytes
   * of records, and refuses one that needs batches over {@code maxBatchBytes}.
   */
  public SnapshotRestorer withIncrementalBatches(long batchBytes, long maxBatchBytes) {
    return new SnapshotRestorer(config, batchBytes, maxBatchBytes, listener);
  }

  /** A restorer that tells {@code listener} of every chunk as it is read (progress, tests). */
  public SnapshotRestorer withChunkListener(SnapshotReader.ChunkListener listener) {
    return new SnapshotRestorer(config, batchBytes, maxBatchBytes, listener);
  }

  /**
   * Restores {@code full}, then {@code incremental} when given, into {@code target}, which must be
   * absent or an empty directory.
   *
   * @throws FerryException {@link ErrorCode#CORRUPT_DATA} for a corrupt or truncated archive;
   *     {@link ErrorCode#LIMIT_EXCEEDED} for one that decompresses to more than its manifest
   *     allows, or an incremental too large for its heights; {@link ErrorCode#VERIFICATION_FAILED}
   *     if a root does not match its manifest or {@code trustedRoot}; {@link
   *     ErrorCode#INVALID_ARGUMENT} if the incremental is not based on {@code full}; {@link
   *     ErrorCode#ILLEGAL_STATE} if {@code target} holds files or another restore into it runs
   */
  public RestoreResult restore(
      Path full, Optional<Path> incremental, Path target, Optional<Hash> trustedRoot) {
    try (RestoreLock lock = lock(target)) {
      removeLeftoversHeld(target);
      return restoreLocked(full, incremental, target, trustedRoot);
    }
  }

  /**
   * Deletes the temporary directories ({@code .<name>.restore-<uuid>} next to {@code target}) that
   * restores into {@code target} left when their process was killed, unless a restore into it is in
   * progress (here or in another process). A node does this at start, and every restore first. Logs
   * what it removed.
   *
   * @return the directories removed
   */
  public static List<Path> removeLeftovers(Path target) {
    if (leftovers(target).isEmpty()) {
      return List.of(); // nothing to do: no lock file either
    }
    Optional<RestoreLock> lock;
    try {
      lock = RestoreLock.tryAcquire(target);
    } catch (IOException e) {
      log.warn("cannot look for leftovers of restores into {}: {}", target, e.toString());
      return List.of();
    }
    if (lock.isEmpty()) {
      log.info("a restore into {} is in progress; its temporary directory stays", target);
      return List.of();
    }
    try (RestoreLock held = lock.get()) {
      return removeLeftoversHeld(target);
    }
  }

  private static RestoreLock lock(Path target) {
    try {
      return RestoreLock.tryAcquire(target)
          .orElseThrow(
              () ->
                  new FerryException(
                      ErrorCode.ILLEGAL_STATE, "another restore into " + target + " is running"));
    } catch (IOException e) {
      throw new FerryException(
          ErrorCode.IO_ERROR, "cannot lock " + target + " for the restore: " + e, e);
    }
  }

  /**
   * The temporary directories of restores into {@code target}: exactly {@code .<name>.restore-<a
   * UUID>} next to it, directories, not links.
   */
  private static List<Path> leftovers(Path target) {
    Path abs = target.toAbsolutePath().normalize();
    Pattern leftover =
        Pattern.compile(
            "\\."
                + Pattern.quote(abs.getFileName().toString())
                + "\\.restore-[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}");
    List<Path> found = new ArrayList<>();
    try (DirectoryStream<Path> siblings = Files.newDirectoryStream(abs.getParent())) {
      for (Path p : siblings) {
        if (leftover.matcher(p.getFileName().toString()).matches()
            && Files.isDirectory(p, LinkOption.NOFOLLOW_LINKS)) {
          found.add(p);
        }
      }
    } catch (NoSuchFileException e) {
      return List.of();
    } catch (IOException e) {
      log.warn("cannot look for leftovers of restores into {}: {}", target, e.toString());
    }
    return found;
  }

  /** Removes the target's leftover temporary directories; the caller holds its restore lock. */
  private static List<Path> removeLeftoversHeld(Path target) {
    List<Path> removed = new ArrayList<>();
    long bytes = 0;
    for (Path p : leftovers(target)) {
      long size = sizeOf(p);
      if (deleteQuietly(p)) {
        removed.add(p);
        bytes += size;
      }
    }
    if (!removed.isEmpty()) {
      log.info(
          "removed {} temporary directories ({} bytes) of interrupted restores into {}: {}",
          removed.size(),
          bytes,
          target,
          removed.stream().map(p -> p.getFileName().toString()).toList());
    }
    return removed;
  }

  private static long sizeOf(Path dir) {
    try (Stream<Path> files = Files.walk(dir)) {
      return files
          .filter(f -> Files.isRegularFile(f, LinkOption.NOFOLLOW_LINKS))
          .mapToLong(f -> f.toFile().length())
          .sum();
    } catch (IOException | UncheckedIOException e) {
      return 0;
    }
  }

  private RestoreResult restoreLocked(
      Path full, Optional<Path> incremental, Path target, Optional<Hash> trustedRoot) {
    checkTarget(target);
    long started = System.nanoTime();
    Path tmp = tempDirFor(target);
    try {
      RestoreResult result;
      MerkleDB[] opened = new MerkleDB[1];
      try {
        result =
            restoreInto(
                full,
                incremental,
                bf -> opened[0] = MerkleDB.open(tmp, config.withBranchFactor(bf)),
                trustedRoot);
      } finally {
        if (opened[0] != null) {
          opened[0].close();
        }
      }
      moveIntoPlace(tmp, target);
      log.info(
          "restored height {} root {} ({} keys, {} changes in {} commits) into {} in {} ms",
          result.height(),
          result.root(),
          result.keys(),
          result.changes(),
          result.batches(),
          target,
          (System.nanoTime() - started) / 1_000_000);
      return result;
    } catch (RuntimeException e) {
      deleteQuietly(tmp);
      throw e;
    }
  }

  /**
   * Restores {@code full}, then {@code incremental} when given, into the empty store that {@code
   * open} makes for the archives' branch factor, with every check {@link #restore} makes (the
   * claimed root against {@code trustedRoot} before any chunk is read, each chunk as it is read,
   * the root after each archive). For a store other than RocksDB in a new directory: one the caller
   * keeps, an in-memory one. The caller closes the store; on a failure it holds part of the state.
   *
   * @throws FerryException as {@link #restore} does, but for the target directory's errors
   */
  public RestoreResult restoreInto(
      Path full,
      Optional<Path> incremental,
      Function<BranchFactor, MerkleDB> open,
      Optional<Hash> trustedRoot) {
    try (SnapshotReader fullReader = SnapshotReader.open(full, listener);
        SnapshotReader incReader =
            incremental.map(p -> SnapshotReader.open(p, listener)).orElse(null)) {
      Manifest fm = fullReader.manifest();
      if (fm.kind() != SnapshotKind.FULL) {
        throw new FerryException(ErrorCode.INVALID_ARGUMENT, full.getFileName() + " is not full");
      }
      if (incReader != null) {
        checkBase(fullReader, incReader);
      }
      Manifest last = incReader == null ? fm : incReader.manifest();
      // Before any chunk is read: the root the archives claim must be the trusted one. A liar can
      // then make us do at most the work its manifest declares, each chunk checked as it comes.
      if (trustedRoot.isPresent() && !trustedRoot.get().equals(last.root())) {
        throw new FerryException(
            ErrorCode.VERIFICATION_FAILED,
            "the archive's root "
                + last.root()
                + " at height "
                + last.height()
                + " is not the trusted root "
                + trustedRoot.get());
      }
      long batch = incReader == null ? 0 : batchBytesFor(incReader);
      Applied applied = new Applied(0, 0);
      MerkleDB db = open.apply(fm.branchFactor());
      // The store keeps the archive's heights, so its own archives get the same names. The
      // archive is read on a thread of its own while the bulk load builds the trie.
      Revision loaded;
      try (RecordReadAhead records = RecordReadAhead.start(fullReader)) {
        loaded = db.bulkLoad(records, Math.max(1, fm.height()));
        if (!records.complete()) { // the reader has checked the end of the archive
          throw new FerryException(ErrorCode.INTERNAL, "bulk load left records unread");
        }
      }
      checkRoot(loaded.root(), fm, full);
      Hash root = loaded.root();
      if (incReader != null) {
        applied = applyInBatches(db, incReader, batch);
        root = db.root();
        checkRoot(root, incReader.manifest(), incremental.get());
      }
      return new RestoreResult(
          last.height(), root, fm.entries(), applied.changes(), applied.batches());
    } catch (UncheckedIOException u) {
      throw new FerryException(ErrorCode.IO_ERROR, "restore failed: " + u.getCause(), u);
    }
  }

  private record Applied(long changes, int batches) {}

  /**
   * The batch size for an incremental: the configured one, or the bytes per height it spans if more
   * (there is one height per intermediate batch). Refuses, before any chunk is read, one that needs
   * more than the maximum.
   */
  private long batchBytesFor(SnapshotReader inc) {
    Manifest m = inc.manifest();
    long span = m.height() - m.base().orElseThrow().height();
    long perHeight = (m.payloadBytes() + span - 1) / span;
    if (perHeight > maxBatchBytes) {
      throw new FerryException(
          ErrorCode.LIMIT_EXCEEDED,
          inc.path().getFileName()
              + " holds "
              + m.payloadBytes()
              + " bytes of changes over "
              + span
              + " heights: more than the "
              + maxBatchBytes
              + " bytes one commit may hold; refused");
    }
    return Math.max(batchBytes, perHeight);
  }

  /**
   * Commits the incremental's changes into the (temporary) store a batch at a time: a batch is
   * committed, at the next height, once the next record would take it over {@code batchBytes}; the
   * last batch goes in at the incremental's height. Memory holds one batch.
   */
  private Applied applyInBatches(MerkleDB db, SnapshotReader inc, long batchBytes) {
    long top = inc.manifest().height();
    Batch batch = new Batch();
    long bytes = 0;
    long changes = 0;
    int batches = 0;
    for (Iterator<KeyChange> it = inc.records(); it.hasNext(); ) {
      KeyChange c = it.next();
      int size = ChunkCodec.recordSize(c);
      if (bytes > 0 && bytes + size > batchBytes && db.height() + 1 < top) {
        db.commit(batch, db.height() + 1);
        batches++;
        batch = new Batch();
        bytes = 0;
      }
      batch.set(c.key(), c.value());
      bytes += size;
      changes++;
      if (bytes > maxBatchBytes) {
        throw new FerryException(
            ErrorCode.LIMIT_EXCEEDED,
            inc.path().getFileName()
                + ": its last commit would hold more than "
                + maxBatchBytes
                + " bytes of changes; refused");
      }
    }
    db.commit(batch, top);
    return new Applied(changes, batches + 1);
  }

  private static void checkBase(SnapshotReader full, SnapshotReader inc) {
    Manifest m = inc.manifest();
    if (m.kind() != SnapshotKind.INCREMENTAL) {
      throw new FerryException(
          ErrorCode.INVALID_ARGUMENT, inc.path().getFileName() + " is not an incremental archive");
    }
    Manifest.Base base = m.base().orElseThrow();
    if (!base.snapshotHash().equals(full.snapshotHash())
        || base.height() != full.manifest().height()
        || !base.root().equals(full.manifest().root())
        || m.branchFactor() != full.manifest().branchFactor()) {
      throw new FerryException(
          ErrorCode.INVALID_ARGUMENT,
          inc.path().getFileName()
              + " is based on the snapshot "
              + base.snapshotHash().toBase58()
              + " at height "
              + base.height()
              + ", not on "
              + full.path().getFileName());
    }
  }

  private static void checkRoot(Hash actual, Manifest m, Path archive) {
    if (!actual.equals(m.root())) {
      throw new FerryException(
          ErrorCode.VERIFICATION_FAILED,
          archive.getFileName()
              + ": the restored root "
              + actual
              + " is not the manifest's "
              + m.root());
    }
  }

  private static void checkTarget(Path target) {
    if (!Files.exists(target)) {
      return;
    }
    if (!Files.isDirectory(target)) {
      throw new FerryException(ErrorCode.ILLEGAL_STATE, target + " exists and is not a directory");
    }
    try (Stream<Path> s = Files.list(target)) {
      if (s.findAny().isPresent()) {
        throw new FerryException(
            ErrorCode.ILLEGAL_STATE,
            "restore needs an empty data directory; " + target + " is not");
      }
    } catch (IOException e) {
      throw new FerryException(ErrorCode.IO_ERROR, "cannot read " + target + ": " + e, e);
    }
  }

  private static Path tempDirFor(Path target) {
    Path abs = target.toAbsolutePath();
    return abs.resolveSibling("." + abs.getFileName() + ".restore-" + UUID.randomUUID());
  }

  private static void moveIntoPlace(Path tmp, Path target) {
    try {
      try {
        Files.deleteIfExists(target); // an empty directory, checked before
      } catch (DirectoryNotEmptyException e) {
        throw new FerryException(
            ErrorCode.ILLEGAL_STATE, target + " was filled while the restore ran", e);
      }
      Files.move(tmp, target, StandardCopyOption.ATOMIC_MOVE);
      SnapshotWriter.syncDirectory(target.toAbsolutePath().getParent());
    } catch (IOException e) {
      throw new FerryException(
          ErrorCode.IO_ERROR, "cannot move the restored store into " + target + ": " + e, e);
    }
  }

  /** Deletes a directory tree (not following links); false, with a warning, if it could not. */
  static boolean deleteQuietly(Path dir) {
    if (!Files.exists(dir, LinkOption.NOFOLLOW_LINKS)) {
      return true;
    }
    try {
      Files.walkFileTree(
          dir,
          new SimpleFileVisitor<>() {
            @Override
            public FileVisitResult visitFile(Path file, BasicFileAttributes attrs)
                throws IOException {
              Files.delete(file);
              return FileVisitResult.CONTINUE;
            }

            @Override
            public FileVisitResult postVisitDirectory(Path d, IOException e) throws IOException {
              Files.delete(d);
              return FileVisitResult.CONTINUE;
            }
          });
      return true;
    } catch (IOException e) {
      log.warn("could not delete the temporary directory {}: {}", dir, e.toString());
      return false;
    }
  }
}
