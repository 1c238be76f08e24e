package io.ferry.snapshot;

import com.google.protobuf.ByteString;
import com.google.protobuf.InvalidProtocolBufferException;
import io.ferry.core.ErrorCode;
import io.ferry.core.FerryException;
import io.ferry.core.Hash;
import io.ferry.core.Limits;
import io.ferry.core.Sha256Hasher;
import io.ferry.merkledb.BranchFactor;
import io.ferry.wire.v1.SnapshotBase;
import io.ferry.wire.v1.SnapshotChunk;
import io.ferry.wire.v1.SnapshotManifest;
import java.util.ArrayList;
import java.util.List;
import java.util.Optional;

/**
 * What an archive holds: its kind, height, state root, branch factor, record count, for an
 * incremental its base, and every chunk's size and SHA-256 (its content id). Encoded as the
 * protobuf {@code ferry.wire.v1.SnapshotManifest}; the snapshot hash is the SHA-256 of those bytes,
 * so it commits to every chunk and to the root. Immutable.
 *
 * @param entries records across all chunks: keys for a full archive, changes for an incremental
 * @param chunkSizeLimit the largest chunk payload the writer allowed
 */
public record Manifest(
    SnapshotKind kind,
    long height,
    Hash root,
    BranchFactor branchFactor,
    long entries,
    int chunkSizeLimit,
    Optional<Base> base,
    List<ChunkInfo> chunks) {
  /** Format of the archive layout and chunk records. */
  public static final int FORMAT = 1;

  /** The full archive an incremental applies to: its height, snapshot hash and state root. */
  public record Base(long height, Hash snapshotHash, Hash root) {}

  /** One chunk: its uncompressed size, its SHA-256 and the records it holds. */
  public record ChunkInfo(int size, Hash sha256, long entries) {}

  public Manifest {
    chunks = List.copyOf(chunks);
    if ((kind == SnapshotKind.INCREMENTAL) != base.isPresent()) {
      throw new FerryException(
          ErrorCode.INVALID_ARGUMENT, "an incremental manifest, and only one, has a base");
    }
  }

  /** The canonical bytes: deterministic for equal manifests. */
  public byte[] encode() {
    SnapshotManifest.Builder b =
        SnapshotManifest.newBuilder()
            .setFormat(FORMAT)
            .setKind(
                kind == SnapshotKind.FULL
                    ? io.ferry.wire.v1.SnapshotKind.SNAPSHOT_KIND_FULL
                    : io.ferry.wire.v1.SnapshotKind.SNAPSHOT_KIND_INCREMENTAL)
            .setHeight(height)
            .setRoot(ByteString.copyFrom(root.toBytes()))
            .setBranchFactor(branchFactor.width())
            .setEntries(entries)
            .setChunkSizeLimit(chunkSizeLimit);
    base.ifPresent(
        x ->
            b.setBase(
                SnapshotBase.newBuilder()
                    .setHeight(x.height())
                    .setSnapshotHash(ByteString.copyFrom(x.snapshotHash().toBytes()))
                    .setRoot(ByteString.copyFrom(x.root().toBytes()))));
    for (ChunkInfo c : chunks) {
      b.addChunks(
          SnapshotChunk.newBuilder()
              .setSize(c.size())
              .setSha256(ByteString.copyFrom(c.sha256().toBytes()))
              .setEntries(c.entries()));
    }
    return b.build().toByteArray();
  }

  /** The snapshot hash: SHA-256 of {@link #encode()}. */
  public Hash hash() {
    return Sha256Hasher.INSTANCE.hash(encode());
  }

  /** Total uncompressed bytes of the chunks. */
  public long payloadBytes() {
    return chunks.stream().mapToLong(ChunkInfo::size).sum();
  }

  /**
   * Decodes and checks a manifest: known format and kind, a hash of 32 bytes everywhere, chunk
   * sizes within {@link #chunkSizeLimit()} and the {@link Limits#MAX_CHUNK_BYTES} limit, record
   * counts that add up.
   *
   * @throws FerryException {@link ErrorCode#CORRUPT_DATA} if any of that fails
   */
  public static Manifest decode(byte[] bytes, String where) {
    if (bytes.length > Limits.MAX_SNAPSHOT_METADATA_BYTES) {
      throw corrupt(where, "manifest of " + bytes.length + " bytes is over the limit");
    }
    SnapshotManifest m;
    try {
      m = SnapshotManifest.parseFrom(bytes);
    } catch (InvalidProtocolBufferException e) {
      throw new FerryException(
          ErrorCode.CORRUPT_DATA, where + ": the manifest does not decode: " + e.getMessage(), e);
    }
    try {
      if (m.getFormat() != FORMAT) {
        throw corrupt(where, "unknown archive format " + m.getFormat());
      }
      SnapshotKind kind =
          switch (m.getKind()) {
            case SNAPSHOT_KIND_FULL -> SnapshotKind.FULL;
            case SNAPSHOT_KIND_INCREMENTAL -> SnapshotKind.INCREMENTAL;
            default -> throw corrupt(where, "unknown snapshot kind " + m.getKindValue());
          };
      if (m.getChunkSizeLimit() < 1 || m.getChunkSizeLimit() > Limits.MAX_CHUNK_BYTES) {
        throw corrupt(where, "chunk size limit " + m.getChunkSizeLimit() + " is out of range");
      }
      if (m.getHeight() < 0 || m.getEntries() < 0) {
        throw corrupt(where, "negative height or record count");
      }
      Optional<Base> base =
          m.hasBase()
              ? Optional.of(
                  new Base(
                      m.getBase().getHeight(),
                      Hash.of(m.getBase().getSnapshotHash().toByteArray()),
                      Hash.of(m.getBase().getRoot().toByteArray())))
              : Optional.empty();
      if (base.isPresent() && (base.get().height() < 0 || base.get().height() >= m.getHeight())) {
        throw corrupt(where, "the base height is not below the height");
      }
      List<ChunkInfo> chunks = new ArrayList<>(m.getChunksCount());
      long entries = 0;
      for (int i = 0; i < m.getChunksCount(); i++) {
        SnapshotChunk c = m.getChunks(i);
        if (c.getSize() < 1 || c.getSize() > m.getChunkSizeLimit() || c.getEntries() < 1) {
          throw corrupt(where, "chunk " + i + " has a bad size or record count");
        }
        entries += c.getEntries();
        chunks.add(
            new ChunkInfo((int) c.getSize(), Hash.of(c.getSha256().toByteArray()), c.getEntries()));
      }
      if (entries != m.getEntries()) {
        throw corrupt(where, "the chunks hold " + entries + " records, not " + m.getEntries());
      }
      return new Manifest(
          kind,
          m.getHeight(),
          Hash.of(m.getRoot().toByteArray()),
          BranchFactor.of(m.getBranchFactor()),
          m.getEntries(),
          m.getChunkSizeLimit(),
          base,
          chunks);
    } catch (FerryException e) {
      if (e.code() == ErrorCode.CORRUPT_DATA) {
        throw e;
      }
      throw new FerryException(
          ErrorCode.CORRUPT_DATA, where + ": bad manifest: " + e.getMessage(), e);
    }
  }

  private static FerryException corrupt(String where, String what) {
    return new FerryException(ErrorCode.CORRUPT_DATA, where + ": " + what);
  }
}
