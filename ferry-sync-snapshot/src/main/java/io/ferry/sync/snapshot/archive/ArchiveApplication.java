package io.ferry.sync.snapshot.archive;

import io.ferry.core.Bytes;
import io.ferry.core.ErrorCode;
import io.ferry.core.FerryException;
import io.ferry.core.Hash;
import io.ferry.core.Sha256Hasher;
import io.ferry.core.identity.NodeId;
import io.ferry.snapshot.ArchiveAssembler;
import io.ferry.snapshot.ChunkFrames;
import io.ferry.snapshot.Manifest;
import io.ferry.snapshot.RestoreResult;
import io.ferry.snapshot.SnapshotArchive;
import io.ferry.snapshot.SnapshotKind;
import io.ferry.sync.snapshot.app.ApplyResult;
import io.ferry.sync.snapshot.app.ChunkApplied;
import io.ferry.sync.snapshot.app.OfferResult;
import io.ferry.sync.snapshot.app.Snapshot;
import io.ferry.sync.snapshot.app.SnapshotApplication;
import java.nio.file.Path;
import java.util.BitSet;
import java.util.List;
import java.util.Optional;
import java.util.Set;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * MerkleDB as a state-sync application. Serving: its snapshots are the node's full archives of
 * format 2 ({@link ArchiveShelf}); a chunk is one zstd frame of the archive, read at its offset;
 * the metadata is the manifest, whose SHA-256 is the snapshot hash in the archive's name.
 *
 * <p>Restoring: an offer is accepted only when the metadata hashes to the snapshot hash, the
 * manifest describes the offered snapshot, and its root equals the trusted app hash (the root the
 * node trusts at that height). Every chunk is then checked against the manifest the moment it is
 * applied ({@link ChunkFrames#verify}: size, tar header, SHA-256 of the records), before anything
 * is written; a bad one is fetched again from another peer and its sender rejected. Verified frames
 * are staged on disk in any order ({@link FrameStaging}); when the last arrives the archive is
 * assembled and restored through {@link Restore} (the same path as restoring a downloaded archive,
 * with the root checked again). Staged frames survive a crash and are reported by {@link
 * #appliedChunks}, so a restarted sync fetches only what is missing; the node's current state is
 * not touched until the restore succeeds.
 *
 * <p>Thread-safety: serving calls are thread-safe; restoring calls come one at a time (the syncer
 * guarantees it).
 */
public final class ArchiveApplication implements SnapshotApplication {
  private static final Logger log = LoggerFactory.getLogger(ArchiveApplication.class);

  /** The state-sync format of archives whose chunks are independent zstd frames. */
  public static final int FORMAT = 2;

  /** Builds the state from an assembled archive, checking its root. */
  @FunctionalInterface
  public interface Restore {
    /**
     * Restores {@code archive} checked against {@code trustedRoot}.
     *
     * @throws FerryException {@code VERIFICATION_FAILED} when the state does not hash to it
     */
    RestoreResult restore(Path archive, Hash trustedRoot);
  }

  private final ArchiveShelf shelf;
  private final FrameStaging staging;
  private final Path assembleDir;
  private final ArchiveAssembler assembler;
  private final Restore restore;

  // Restoring state (one sync at a time).
  private Snapshot accepted;
  private Manifest manifest;
  private Hash trustedRoot;
  private volatile Optional<Restored> restored = Optional.empty();

  /** What the last successful restore made. */
  public record Restored(Snapshot snapshot, SnapshotArchive archive, RestoreResult result) {}

  /**
   * @param archiveDir the archives this node serves (may not exist yet)
   * @param stagingDir where verified frames wait during a restore
   * @param assembleDir where the restored archive is assembled; the node's archive directory, so
   *     that it serves the snapshot it just restored
   * @param restore builds the state from the assembled archive
   */
  public ArchiveApplication(Path archiveDir, Path stagingDir, Path assembleDir, Restore restore) {
    this.shelf = new ArchiveShelf(archiveDir);
    this.staging = stagingDir == null ? null : new FrameStaging(stagingDir);
    this.assembleDir = assembleDir;
    this.assembler = ArchiveAssembler.defaults();
    this.restore = restore;
  }

  /**
   * An application that serves the archives in {@code archiveDir} and restores nothing (its offers
   * are refused): what every node runs to answer its peers.
   */
  public static ArchiveApplication servingOnly(Path archiveDir) {
    return new ArchiveApplication(archiveDir, null, null, null);
  }

  /** The archive and state the last completed restore made, if any. */
  public Optional<Restored> restored() {
    return restored;
  }

  // ---- serving ----

  @Override
  public List<Snapshot> listSnapshots() {
    return shelf.snapshots();
  }

  @Override
  public Optional<Bytes> loadSnapshotChunk(long height, int format, int index) {
    if (format != FORMAT) {
      return Optional.empty();
    }
    return shelf.frame(height, index).map(Bytes::wrap);
  }

  // ---- restoring ----

  @Override
  public OfferResult offerSnapshot(Snapshot s, Bytes trustedAppHash) {
    if (staging == null) {
      return OfferResult.ABORT; // a serving-only application restores nothing
    }
    if (s.format() != FORMAT) {
      return OfferResult.REJECT_FORMAT;
    }
    Hash metadataHash = Sha256Hasher.INSTANCE.hash(s.metadata().unsafeArray());
    if (!Bytes.wrap(metadataHash.toBytes()).equals(s.hash())) {
      log.warn("state sync: snapshot {} has metadata that does not hash to its hash", s);
      return OfferResult.REJECT_SENDER;
    }
    Manifest m;
    try {
      m = Manifest.decode(s.metadata().toByteArray(), "the manifest of snapshot " + s);
    } catch (FerryException e) {
      log.warn(
          "state sync: snapshot {} has a manifest that does not decode: {}", s, e.getMessage());
      return OfferResult.REJECT_SENDER;
    }
    if (m.kind() != SnapshotKind.FULL
        || !m.hasChunkFrames()
        || m.height() != s.height()
        || m.chunks().size() != s.chunks()) {
      log.warn("state sync: snapshot {} does not match its manifest", s);
      return OfferResult.REJECT_SENDER;
    }
    if (!Bytes.wrap(m.root().toBytes()).equals(trustedAppHash)) {
      log.info(
          "state sync: snapshot {} has root {}, not the trusted {}",
          s,
          m.root(),
          trustedAppHash.toHex());
      return OfferResult.REJECT;
    }
    staging.open(s, s.metadata().unsafeArray());
    accepted = s;
    manifest = m;
    trustedRoot = m.root();
    return OfferResult.ACCEPT;
  }

  @Override
  public boolean appliesOutOfOrder(Snapshot snapshot) {
    return true;
  }

  @Override
  public BitSet appliedChunks(Snapshot s) {
    if (!s.equals(accepted)) {
      return new BitSet();
    }
    return staging.staged(manifest);
  }

  @Override
  public ChunkApplied applySnapshotChunk(int index, Bytes chunk, NodeId sender) {
    if (accepted == null) {
      return ChunkApplied.of(ApplyResult.ABORT);
    }
    try {
      ChunkFrames.verify(manifest, index, chunk.unsafeArray());
    } catch (FerryException e) {
      log.warn(
          "state sync: chunk {} of {} from {} fails its check: {}",
          index,
          accepted,
          sender.shortString(),
          e.getMessage());
      return ChunkApplied.badChunk(index, sender);
    }
    staging.put(index, chunk.unsafeArray());
    if (staging.count() < manifest.chunks().size()) {
      return ChunkApplied.accept();
    }
    return finish();
  }

  private static void deleteQuietly(Path p) {
    try {
      java.nio.file.Files.deleteIfExists(p);
    } catch (java.io.IOException e) {
      log.warn("cannot delete {}: {}", p, e.toString());
    }
  }

  /** Every frame is staged: assemble the archive and restore it with the root check. */
  private ChunkApplied finish() {
    SnapshotArchive archive =
        // Each frame passed ChunkFrames.verify when it was applied (or again when a restarted
        // sync reopened it), and the restore below reads and checks every chunk once more.
        assembler.assembleVerified(staging.manifestBytes(), staging::frame, assembleDir);
    RestoreResult result;
    try {
      result = restore.restore(archive.path(), trustedRoot);
    } catch (FerryException e) {
      deleteQuietly(archive.path());
      if (e.code() != ErrorCode.VERIFICATION_FAILED && e.code() != ErrorCode.CORRUPT_DATA) {
        throw e; // not the snapshot's fault: the sync fails, the staged frames stay
      }
      log.warn("state sync: restoring snapshot {} failed: {}", accepted, e.getMessage());
      staging.clear();
      return new ChunkApplied(ApplyResult.REJECT_SNAPSHOT, List.of(), Set.of());
    }
    log.info(
        "state sync: restored {} keys at height {}, root {}",
        result.keys(),
        result.height(),
        result.root());
    restored = Optional.of(new Restored(accepted, archive, result));
    staging.clear();
    return ChunkApplied.accept();
  }
}
