package io.ferry.snapshot;

import io.ferry.core.Bytes;
import io.ferry.core.ErrorCode;
import io.ferry.core.FerryException;
import io.ferry.core.Hash;
import io.ferry.core.KeyRange;
import io.ferry.core.Limits;
import io.ferry.core.Sha256Hasher;
import io.ferry.core.archive.ArchiveName;
import io.ferry.merkledb.KeyChange;
import io.ferry.merkledb.MerkleDB;
import io.ferry.merkledb.Revision;
import io.ferry.merkledb.StateSnapshot;
import io.ferry.merkledb.proof.ChangeProof;
import java.io.IOException;
import java.io.InputStream;
import java.io.UncheckedIOException;
import java.nio.channels.FileChannel;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.StandardOpenOption;
import java.util.List;
import java.util.Optional;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * Writes snapshot archives of a {@link MerkleDB} into a directory.
 *
 * <p>A full archive reads one {@link StateSnapshot} (a committed revision held still), so commits
 * go on while it is written and the archive is of the height the snapshot was taken at. An
 * incremental archive holds the changes between a full archive's height and a later height, read
 * from the store's history.
 *
 * <p>Memory stays bounded by one chunk: records are cut into chunks, hashed, compressed each into a
 * zstd frame of its own and spooled to a temporary file in the archive directory; then the manifest
 * (which lists the chunk hashes and frame sizes) is written first, in frame 0, the chunk frames are
 * copied after it, the file is fsynced and atomically renamed to its final name. Putting the
 * manifest first lets a reader check every chunk the moment it arrives; a frame per chunk lets a
 * server read any one chunk by itself ({@link ArchiveChunks}). The spool needs disk space for the
 * compressed chunks while an archive is written.
 *
 * <p>Output is deterministic: the same state with the same {@link SnapshotConfig} gives the same
 * bytes and so the same snapshot hash. Thread-safe: it holds no state between calls.
 */
public final class SnapshotWriter {
  private static final Logger log = LoggerFactory.getLogger(SnapshotWriter.class);

  /** Changes asked of the store's history per page when writing an incremental. */
  private static final int CHANGE_PAGE_KEYS = 16_384;

  /** The largest buffer between the spool, zstd and the file: fewer calls for large archives. */
  private static final int IO_BUFFER_BYTES = 1 << 20;

  private final SnapshotConfig config;

  public SnapshotWriter(SnapshotConfig config) {
    this.config = config;
  }

  public SnapshotConfig config() {
    return config;
  }

  /**
   * Deletes what interrupted writes left in {@code dir}: their {@code .snapshot-<n>.spool} and
   * {@code .snapshot-<n>.tmp} files, unless a live write (in this process or another) holds them.
   * Every write does this first; a node does it at start. Logs what it removed.
   *
   * @return the files removed
   */
  public static List<Path> removeLeftovers(Path dir) {
    return ArchiveTempFile.removeLeftovers(dir);
  }

  /** A full archive of {@code db}'s head. */
  public SnapshotArchive writeFull(MerkleDB db, Path dir) {
    try (StateSnapshot snap = db.snapshot()) {
      return writeFull(snap, dir);
    }
  }

  /** A full archive of the revision {@code snap} holds; the caller keeps and closes it. */
  public SnapshotArchive writeFull(StateSnapshot snap, Path dir) {
    Revision rev = snap.revision();
    long started = System.nanoTime();
    return write(
        dir,
        spool -> {
          snap.scan(
              KeyRange.ALL,
              kv -> {
                spool.add(KeyChange.put(kv.key(), kv.value()));
                return true;
              });
          return new Manifest(
              Manifest.FORMAT,
              SnapshotKind.FULL,
              rev.height(),
              rev.root(),
              snap.branchFactor(),
              spool.entries(),
              config.chunkSize(),
              Optional.empty(),
              List.of());
        },
        started);
  }

  /**
   * An incremental archive: the changes from the full archive {@code baseArchive} to {@code target}
   * (a revision of {@code db}, usually its head), read from the store's history.
   *
   * @throws FerryException {@link ErrorCode#INSUFFICIENT_HISTORY} if the base height is older than
   *     the retained history; {@link ErrorCode#INVALID_ARGUMENT} if the base is not a full archive
   *     of this store's history below {@code target}
   */
  public SnapshotArchive writeIncremental(
      MerkleDB db, Revision target, Path baseArchive, Path dir) {
    Manifest baseManifest = SnapshotReader.readManifest(baseArchive);
    if (baseManifest.kind() != SnapshotKind.FULL) {
      throw new FerryException(
          ErrorCode.INVALID_ARGUMENT, baseArchive.getFileName() + " is not a full archive");
    }
    Manifest.Base base =
        new Manifest.Base(baseManifest.height(), baseManifest.hash(), baseManifest.root());
    if (base.height() >= target.height()) {
      throw new FerryException(
          ErrorCode.INVALID_ARGUMENT,
          "the base height " + base.height() + " is not below the height " + target.height());
    }
    if (baseManifest.branchFactor() != db.branchFactor()) {
      throw new FerryException(
          ErrorCode.INVALID_ARGUMENT, "the base archive has another branch factor than the store");
    }
    Optional<Revision> retained =
        db.revisions().stream().filter(r -> r.height() == base.height()).findFirst();
    if (retained.isEmpty()) {
      throw new FerryException(
          ErrorCode.INSUFFICIENT_HISTORY,
          "the base height "
              + base.height()
              + " is older than the retained history (from height "
              + db.revisions().get(0).height()
              + ")");
    }
    if (!retained.get().root().equals(base.root())) {
      throw new FerryException(
          ErrorCode.INVALID_ARGUMENT,
          "the base archive's root at height "
              + base.height()
              + " is not this store's ("
              + retained.get().root()
              + ")");
    }
    long started = System.nanoTime();
    return write(
        dir,
        spool -> {
          if (!base.root().equals(target.root())) {
            forEachChange(db, base.root(), target.root(), spool::add);
          }
          return new Manifest(
              Manifest.FORMAT,
              SnapshotKind.INCREMENTAL,
              target.height(),
              target.root(),
              db.branchFactor(),
              spool.entries(),
              config.chunkSize(),
              Optional.of(base),
              List.of());
        },
        started);
  }

  /** Every change between two retained roots, in key order, a page of history at a time. */
  private static void forEachChange(
      MerkleDB db, Hash from, Hash to, java.util.function.Consumer<KeyChange> sink) {
    KeyRange range = KeyRange.ALL;
    while (true) {
      ChangeProof page = db.changeProof(from, to, range, CHANGE_PAGE_KEYS, Limits.MAX_PROOF_BYTES);
      if (page.keyChanges().isEmpty()) {
        return;
      }
      page.keyChanges().forEach(sink);
      Bytes last = page.keyChanges().get(page.keyChanges().size() - 1).key();
      Optional<KeyRange> rest = range.after(last);
      if (rest.isEmpty()) {
        return; // the last change was at the largest key there is
      }
      range = rest.get();
    }
  }

  private interface Source {
    /** Feeds every record to the spool; returns the manifest without its chunks. */
    Manifest fill(ChunkSpool spool) throws IOException;
  }

  private SnapshotArchive write(Path dir, Source source, long started) {
    try {
      Files.createDirectories(dir);
      removeLeftovers(dir);
      try (ChunkSpool spool = new ChunkSpool(dir, config.chunkSize(), config.zstdLevel())) {
        Manifest partial = source.fill(spool);
        List<Manifest.ChunkInfo> chunks = spool.finish();
        Manifest manifest =
            new Manifest(
                Manifest.FORMAT,
                partial.kind(),
                partial.height(),
                partial.root(),
                partial.branchFactor(),
                partial.entries(),
                partial.chunkSizeLimit(),
                partial.base(),
                chunks);
        byte[] manifestBytes = manifest.encode();
        if (manifestBytes.length > Limits.MAX_SNAPSHOT_METADATA_BYTES) {
          throw new FerryException(
              ErrorCode.LIMIT_EXCEEDED,
              "the manifest of "
                  + chunks.size()
                  + " chunks is "
                  + manifestBytes.length
                  + " bytes, over the limit of "
                  + Limits.MAX_SNAPSHOT_METADATA_BYTES
                  + "; use larger chunks");
        }
        ArchiveName name = nameOf(manifest, Sha256Hasher.INSTANCE.hash(manifestBytes));
        byte[] frame0;
        try (FrameCompressor compressor = new FrameCompressor(config.zstdLevel())) {
          frame0 = compressor.manifestFrame(manifestBytes, chunks.isEmpty());
        }
        Path target =
            ArchiveOutput.publish(
                dir,
                name,
                ioBuffer(spool.frameBytes()),
                out -> {
                  // The manifest's frame first, then the chunk frames as spooled.
                  out.write(frame0);
                  try (InputStream frames = spool.read(ioBuffer(spool.frameBytes()))) {
                    if (frames.transferTo(out) != spool.frameBytes()) {
                      throw new IOException("the spool file does not hold every chunk frame");
                    }
                  }
                });
        long bytes = Files.size(target);
        double seconds = (System.nanoTime() - started) / 1e9;
        log.info(
            "wrote {}: height {}, {} records, {} chunks, {} bytes ({} uncompressed) in {}s",
            name,
            manifest.height(),
            manifest.entries(),
            chunks.size(),
            bytes,
            manifest.payloadBytes(),
            String.format(java.util.Locale.ROOT, "%.2f", seconds));
        return new SnapshotArchive(target, name, manifest, bytes);
      }
    } catch (UncheckedIOException e) {
      throw ioError(dir, e.getCause());
    } catch (IOException e) {
      throw ioError(dir, e);
    }
  }

  /** The canonical name of the archive of {@code manifest}, whose snapshot hash is {@code hash}. */
  static ArchiveName nameOf(Manifest manifest, Hash hash) {
    return manifest.kind() == SnapshotKind.FULL
        ? ArchiveName.full(manifest.height(), hash)
        : ArchiveName.incremental(manifest.base().orElseThrow().height(), manifest.height(), hash);
  }

  private static FerryException ioError(Path dir, IOException e) {
    return new FerryException(
        ErrorCode.IO_ERROR, "writing a snapshot archive in " + dir + " failed: " + e, e);
  }

  /**
   * A buffer for an archive of {@code payload} bytes: no larger than the archive needs (a node that
   * writes small archives often allocates little), at most {@link #IO_BUFFER_BYTES}.
   */
  static int ioBuffer(long payload) {
    return (int) Math.min(IO_BUFFER_BYTES, Math.max(8192, payload));
  }

  /** Makes a rename in {@code dir} durable (where the platform allows opening a directory). */
  static void syncDirectory(Path dir) {
    try (FileChannel ch = FileChannel.open(dir, StandardOpenOption.READ)) {
      ch.force(true);
    } catch (IOException e) {
      log.debug("cannot fsync directory {}: {}", dir, e.toString());
    }
  }
}
