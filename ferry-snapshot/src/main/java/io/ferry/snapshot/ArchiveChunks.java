package io.ferry.snapshot;

import com.github.luben.zstd.ZstdInputStream;
import io.ferry.core.ErrorCode;
import io.ferry.core.FerryException;
import io.ferry.core.Hash;
import io.ferry.core.Limits;
import io.ferry.core.Sha256Hasher;
import io.ferry.core.archive.ArchiveName;
import java.io.BufferedInputStream;
import java.io.FilterInputStream;
import java.io.IOException;
import java.io.InputStream;
import java.nio.ByteBuffer;
import java.nio.channels.Channels;
import java.nio.channels.FileChannel;
import java.nio.file.NoSuchFileException;
import java.nio.file.Path;
import java.nio.file.StandardOpenOption;
import java.util.Optional;
import org.apache.commons.compress.archivers.tar.TarArchiveEntry;

/**
 * Random access to the chunks of an archive of format 2, where each chunk is a zstd frame of its
 * own: what a server reads to answer a peer's request for chunk i (CometBFT's LoadSnapshotChunk)
 * without decompressing anything before it.
 *
 * <p>{@link #open} reads the manifest from frame 0, checks it against the snapshot hash in the file
 * name (when the name is an archive name), and checks that the chunk frames the manifest sizes fill
 * the file's tail exactly and that frame 0 is exactly the manifest's entry before them. {@link
 * #frame} then reads chunk i's frame by a positional read of the manifest's frame size (at most
 * {@link Limits#MAX_CHUNK_FRAME_BYTES}), unchecked: it is what a peer gets, and the peer checks it
 * with {@link ChunkFrames#payload}, as {@link #chunk} does here.
 *
 * <p>Thread-safe: positional reads on one channel, no other state after opening. Close it to
 * release the file.
 */
public final class ArchiveChunks implements AutoCloseable {
  /**
   * Base-2 log of the largest zstd window frame 0 may ask for: its content at most (the writer
   * compresses it in one call with its size known, and zstd makes no window larger than that). So a
   * hostile frame 0 cannot make the reader allocate zstd's default limit of 128 MiB.
   */
  private static final int MANIFEST_FRAME_WINDOW_LOG =
      32
          - Integer.numberOfLeadingZeros(
              ArchiveLayout.frameContentLength(Limits.MAX_SNAPSHOT_METADATA_BYTES, true) - 1);

  private final Path path;
  private final String label;
  private final FileChannel channel;
  private final Manifest manifest;
  private final byte[] manifestBytes;
  private final Hash hash;
  private final long[] offsets;

  private ArchiveChunks(Path path, FileChannel channel) throws IOException {
    this.path = path;
    this.label = String.valueOf(path.getFileName());
    this.channel = channel;
    this.manifestBytes = readManifestEntry();
    this.manifest = Manifest.decode(manifestBytes, label);
    this.hash = Sha256Hasher.INSTANCE.hash(manifestBytes);
    Optional<ArchiveName> name = ArchiveName.parse(label);
    if (name.isPresent() && !SnapshotReader.commitsTo(name.get(), manifest, hash)) {
      throw corrupt(SnapshotReader.notCommitted(manifest, hash));
    }
    if (!manifest.hasChunkFrames()) {
      throw new FerryException(
          ErrorCode.UNSUPPORTED,
          label
              + " is of archive format "
              + manifest.format()
              + " (one zstd frame for every chunk), so its chunks cannot be read one by one;"
              + " re-create it (ferry snapshot create) to serve its chunks");
    }
    long size = channel.size();
    long start = size - manifest.frameBytes();
    if (start < 1 || start > Limits.MAX_CHUNK_FRAME_BYTES) {
      throw corrupt(
          "the chunk frames of "
              + manifest.frameBytes()
              + " bytes the manifest gives do not fit the file of "
              + size
              + " bytes after the manifest's frame");
    }
    ChunkFrames.checkManifestFrame(
        read(0, (int) start), manifestBytes, manifest.chunks().isEmpty(), label);
    this.offsets = new long[manifest.chunks().size()];
    long at = start;
    for (int i = 0; i < offsets.length; i++) {
      offsets[i] = at;
      at += manifest.chunks().get(i).frameSize();
    }
  }

  /**
   * Opens an archive of format 2 for random access to its chunks.
   *
   * @throws FerryException {@link ErrorCode#NOT_FOUND} if there is no such file; {@link
   *     ErrorCode#UNSUPPORTED} for an archive of format 1 (its chunks are not frames of their own;
   *     re-create it); {@link ErrorCode#CORRUPT_DATA} if the manifest is missing, malformed or not
   *     the one the name commits to, or the frames it gives do not fit the file; {@link
   *     ErrorCode#IO_ERROR} if the file cannot be read
   */
  public static ArchiveChunks open(Path archive) {
    FileChannel channel;
    try {
      channel = FileChannel.open(archive, StandardOpenOption.READ);
    } catch (NoSuchFileException e) {
      throw new FerryException(ErrorCode.NOT_FOUND, "no archive " + archive, e);
    } catch (IOException e) {
      throw new FerryException(ErrorCode.IO_ERROR, "cannot open " + archive + ": " + e, e);
    }
    try {
      return new ArchiveChunks(archive, channel);
    } catch (IOException | RuntimeException e) {
      try {
        channel.close();
      } catch (IOException suppressed) {
        e.addSuppressed(suppressed);
      }
      if (e instanceof IOException io) {
        throw new FerryException(
            ErrorCode.CORRUPT_DATA,
            archive.getFileName() + " manifest: unreadable (corrupt or truncated): " + io,
            io);
      }
      throw (RuntimeException) e;
    }
  }

  /**
   * The manifest's entry from the start of frame 0, decompressing no more than it: the header, then
   * at most {@link Limits#MAX_SNAPSHOT_METADATA_BYTES}.
   */
  private byte[] readManifestEntry() throws IOException {
    InputStream file =
        new FilterInputStream(Channels.newInputStream(channel)) {
          @Override
          public void close() {} // the channel stays open for the positional reads
        };
    try (InputStream zstd =
        new ZstdInputStream(new BufferedInputStream(file, 1 << 16))
            .setLongMax(MANIFEST_FRAME_WINDOW_LOG)) {
      byte[] header = zstd.readNBytes(ArchiveLayout.BLOCK);
      if (header.length != ArchiveLayout.BLOCK) {
        throw corrupt("the archive ends before its first tar header (truncated)");
      }
      TarArchiveEntry first;
      try {
        first = new TarArchiveEntry(header);
      } catch (IllegalArgumentException e) {
        throw corrupt("the first tar header does not parse: " + e.getMessage());
      }
      if (!first.getName().equals(ArchiveLayout.MANIFEST)) {
        throw corrupt("the first entry is '" + first.getName() + "', not the manifest");
      }
      if (first.getSize() < 0 || first.getSize() > Limits.MAX_SNAPSHOT_METADATA_BYTES) {
        throw corrupt("a manifest of " + first.getSize() + " bytes is over the limit");
      }
      byte[] bytes = zstd.readNBytes((int) first.getSize());
      if (bytes.length != first.getSize()) {
        throw corrupt("the archive ends inside the manifest (truncated)");
      }
      return bytes;
    }
  }

  public Path path() {
    return path;
  }

  public Manifest manifest() {
    return manifest;
  }

  /** The manifest exactly as the archive stores it: the snapshot hash is their SHA-256. */
  public byte[] manifestBytes() {
    return manifestBytes.clone();
  }

  /** The snapshot hash: SHA-256 of {@link #manifestBytes()}. */
  public Hash snapshotHash() {
    return hash;
  }

  public int chunkCount() {
    return offsets.length;
  }

  /**
   * The zstd frame of chunk {@code index} as stored (its tar entry, compressed): {@link
   * Manifest.ChunkInfo#frameSize()} bytes read at its offset. Not checked here; {@link
   * ChunkFrames#payload} checks it.
   *
   * @throws FerryException {@link ErrorCode#INVALID_ARGUMENT} for an index out of range, {@link
   *     ErrorCode#CORRUPT_DATA} if the file has been cut short since it was opened, {@link
   *     ErrorCode#IO_ERROR} if it cannot be read
   */
  public byte[] frame(int index) {
    if (index < 0 || index >= offsets.length) {
      throw new FerryException(
          ErrorCode.INVALID_ARGUMENT,
          label + ": chunk " + index + " is not one of its " + offsets.length + " chunks");
    }
    int size = manifest.chunks().get(index).frameSize();
    if (size > Limits.MAX_CHUNK_FRAME_BYTES) { // Manifest.decode has refused it already
      throw corrupt("the frame of chunk " + index + " is over the limit");
    }
    try {
      return read(offsets[index], size);
    } catch (IOException e) {
      throw new FerryException(
          ErrorCode.IO_ERROR, label + ": cannot read chunk " + index + ": " + e, e);
    }
  }

  /**
   * The payload of chunk {@code index}, read and checked: {@link ChunkFrames#payload} of {@link
   * #frame}.
   */
  public byte[] chunk(int index) {
    return ChunkFrames.payload(manifest, index, frame(index));
  }

  private byte[] read(long position, int size) throws IOException {
    ByteBuffer buf = ByteBuffer.allocate(size);
    while (buf.hasRemaining()) {
      int n = channel.read(buf, position + buf.position());
      if (n < 0) {
        throw corrupt(
            "the file ends at byte "
                + (position + buf.position())
                + ", inside a frame that ends at byte "
                + (position + size)
                + " (truncated)");
      }
    }
    return buf.array();
  }

  private FerryException corrupt(String what) {
    return new FerryException(ErrorCode.CORRUPT_DATA, label + ": " + what);
  }

  @Override
  public void close() {
    try {
      channel.close();
    } catch (IOException e) {
      // only read; a failed close loses nothing
    }
  }
}
