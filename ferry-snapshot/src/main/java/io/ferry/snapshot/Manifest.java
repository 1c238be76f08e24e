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
 * What an archive holds: its format, kind, height, state root, branch factor, record count, for an
 * incremental its base, and every chunk's size, SHA-256 (its content id) and, in format 2, the size
 * of its zstd frame in the file. Encoded as the protobuf {@code ferry.wire.v1.SnapshotManifest};
 * the snapshot hash is the SHA-256 of those bytes, so it commits to every chunk and to the root.
 * Immutable.
 *
 * @param format {@link #FORMAT_ONE_FRAME} (read only) or {@link #FORMAT_FRAME_PER_CHUNK} (written)
 * @param entries records across all chunks: keys for a full archive, changes for an incremental
 * @param chunkSizeLimit the largest chunk payload the writer allowed
 */
public record Manifest(
    int format,
    SnapshotKind kind,
    long height,
    Hash root,
    BranchFactor branchFactor,
    long entries,
    int chunkSizeLimit,
    Optional<Base> base,
    List<ChunkInfo> chunks) {
  /**
   * Format 1: the tar in one zstd frame, so a chunk is read only by decompressing all before it.
   * Archives of it are still read and restored, but their chunks cannot be served one by one.
   */
  public static final int FORMAT_ONE_FRAME = 1;

  /**
   * Format 2: one zstd frame for the manifest's tar entry, then one per chunk's entry, each frame's
   * size in the manifest ({@link ChunkInfo#frameSize()}), so a chunk is read by itself.
   */
  public static final int FORMAT_FRAME_PER_CHUNK = 2;

  /** The format the writer makes. */
  public static final int FORMAT = FORMAT_FRAME_PER_CHUNK;

  /** The full archive an incremental applies to: its height, snapshot hash and state root. */
  public record Base(long height, Hash snapshotHash, Hash root) {}

  /**
   * One chunk: its uncompressed size, its SHA-256, the records it holds and the bytes of its zstd
   * frame in the archive file (format 2; 0 in format 1).
   */
  public record ChunkInfo(int size, Hash sha256, long entries, int frameSize) {}

  public Manifest {
    chunks = List.copyOf(chunks);
    if (format != FORMAT_ONE_FRAME && format != FORMAT_FRAME_PER_CHUNK) {
      throw new FerryException(ErrorCode.INVALID_ARGUMENT, "unknown archive format " + format);
    }
    if ((kind == SnapshotKind.INCREMENTAL) != base.isPresent()) {
      throw new FerryException(
          ErrorCode.INVALID_ARGUMENT, "an incremental manifest, and only one, has a base");
    }
    for (int i = 0; i < chunks.size(); i++) {
      int frame = chunks.get(i).frameSize();
      boolean ok =
          format == FORMAT_ONE_FRAME
              ? frame == 0
              : frame >= 1 && frame <= Limits.MAX_CHUNK_FRAME_BYTES;
      if (!ok) {
        throw new FerryException(
            ErrorCode.INVALID_ARGUMENT,
            "chunk " + i + " has a frame size of " + frame + ", not one of format " + format);
      }
    }
  }

  /** Whether each chunk is a zstd frame of its own, readable by itself (format 2). */
  public boolean hasChunkFrames() {
    return format == FORMAT_FRAME_PER_CHUNK;
  }

  /** Total compressed bytes of the chunk frames: the archive file's tail (0 in format 1). */
  public long frameBytes() {
    return chunks.stream().mapToLong(ChunkInfo::frameSize).sum();
  }

  /** The largest chunk payload this manifest's format allows. */
  static int maxChunkBytes(int format) {
    return format == FORMAT_ONE_FRAME ? Limits.MAX_FORMAT_1_CHUNK_BYTES : Limits.MAX_CHUNK_BYTES;
  }

  /** The canonical bytes: deterministic for equal manifests. */
  public byte[] encode() {
    SnapshotManifest.Builder b =
        SnapshotManifest.newBuilder()
            .setFormat(format)
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
              .setEntries(c.entries())
              .setFrameSize(c.frameSize()));
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
   * sizes within {@link #chunkSizeLimit()} and the format's limit ({@link Limits#MAX_CHUNK_BYTES},
   * or {@link Limits#MAX_FORMAT_1_CHUNK_BYTES} for format 1), frame sizes from 1 to {@link
   * Limits#MAX_CHUNK_FRAME_BYTES} in format 2 and absent in format 1, record counts that add up.
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
      int format = m.getFormat();
      if (format != FORMAT_ONE_FRAME && format != FORMAT_FRAME_PER_CHUNK) {
        throw corrupt(where, "unknown archive format " + Integer.toUnsignedString(format));
      }
      SnapshotKind kind =
          switch (m.getKind()) {
            case SNAPSHOT_KIND_FULL -> SnapshotKind.FULL;
            case SNAPSHOT_KIND_INCREMENTAL -> SnapshotKind.INCREMENTAL;
            default -> throw corrupt(where, "unknown snapshot kind " + m.getKindValue());
          };
      if (m.getChunkSizeLimit() < 1 || m.getChunkSizeLimit() > maxChunkBytes(format)) {
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
        boolean frameOk =
            format == FORMAT_ONE_FRAME
                ? c.getFrameSize() == 0
                : c.getFrameSize() >= 1 && c.getFrameSize() <= Limits.MAX_CHUNK_FRAME_BYTES;
        if (!frameOk) {
          throw corrupt(
              where,
              "chunk "
                  + i
                  + " has a frame size of "
                  + Long.toUnsignedString(c.getFrameSize())
                  + " bytes, not one of format "
                  + format);
        }
        if (entries + c.getEntries() < 0) {
          throw corrupt(where, "the record counts overflow at chunk " + i);
        }
        entries += c.getEntries();
        chunks.add(
            new ChunkInfo(
                (int) c.getSize(),
                Hash.of(c.getSha256().toByteArray()),
                c.getEntries(),
                (int) c.getFrameSize()));
      }
      if (entries != m.getEntries()) {
        throw corrupt(where, "the chunks hold " + entries + " records, not " + m.getEntries());
      }
      return new Manifest(
          format,
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
