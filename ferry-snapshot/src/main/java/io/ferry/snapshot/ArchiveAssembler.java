package io.ferry.snapshot;

import io.ferry.core.ErrorCode;
import io.ferry.core.FerryException;
import io.ferry.core.Hash;
import io.ferry.core.Limits;
import io.ferry.core.Sha256Hasher;
import io.ferry.core.archive.ArchiveName;
import java.io.IOException;
import java.io.UncheckedIOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * Makes an archive (format 2) from a manifest and its chunk frames: what a node that fetched a
 * snapshot chunk by chunk (state sync) does to serve the same archive itself. It writes frame 0 for
 * the manifest at its zstd level, then each chunk's frame as given, checked first with {@link
 * ChunkFrames#verify}, under the canonical name in the archive directory, with the rules of {@link
 * SnapshotWriter}: leftovers of killed writes removed first, a locked temporary file, fsync, an
 * atomic rename, the directory fsynced.
 *
 * <p>The manifest's bytes are written as given, so the archive has the snapshot hash they hash to.
 * With frames from an archive of the same zstd level the result is byte-identical to it (the
 * writer's frames are a function of their content and the level); with another level only frame 0
 * differs, and the archive restores the same. Thread-safe: it holds no state between calls.
 */
public final class ArchiveAssembler {
  private static final Logger log = LoggerFactory.getLogger(ArchiveAssembler.class);

  /** Gives chunk {@code index}'s frame, in order from 0; e.g. from a staging directory. */
  @FunctionalInterface
  public interface FrameSource {
    byte[] frame(int index) throws IOException;
  }

  private final int zstdLevel;

  /** Writes frame 0 at {@code zstdLevel} (1 to 22); use the level the archive was written with. */
  public ArchiveAssembler(int zstdLevel) {
    // The config checks the level the way the writer's does.
    this.zstdLevel = SnapshotConfig.defaults().withZstdLevel(zstdLevel).zstdLevel();
  }

  /**
   * An assembler at {@link SnapshotConfig#DEFAULT_ZSTD_LEVEL}, the level the writer defaults to.
   */
  public static ArchiveAssembler defaults() {
    return new ArchiveAssembler(SnapshotConfig.DEFAULT_ZSTD_LEVEL);
  }

  /** As {@link #assemble(byte[], FrameSource, Path)} with the manifest's encoding. */
  public SnapshotArchive assemble(Manifest manifest, FrameSource frames, Path dir) {
    return assemble(manifest.encode(), frames, dir);
  }

  /** As {@link #assemble(byte[], FrameSource, Path)} with frames from a list. */
  public SnapshotArchive assemble(byte[] manifestBytes, List<byte[]> frames, Path dir) {
    return assemble(manifestBytes, frames::get, dir);
  }

  /**
   * Writes the archive of the manifest {@code manifestBytes} (exactly these bytes: the snapshot
   * hash is theirs) and its chunk frames into {@code dir}; returns it.
   *
   * @throws FerryException {@link ErrorCode#CORRUPT_DATA} for a manifest that does not decode or a
   *     frame that does not pass {@link ChunkFrames#verify} ({@link ErrorCode#LIMIT_EXCEEDED} for
   *     one that decompresses past its bound), {@link ErrorCode#UNSUPPORTED} for a manifest of
   *     format 1, {@link ErrorCode#IO_ERROR} if the source or the directory fails; nothing is left
   *     in {@code dir} then
   */
  public SnapshotArchive assemble(byte[] manifestBytes, FrameSource frames, Path dir) {
    return assemble(manifestBytes, frames, dir, true);
  }

  /**
   * As {@link #assemble(byte[], FrameSource, Path)} for frames the caller has already passed
   * through {@link ChunkFrames#verify} (a state sync checks each as it arrives): only each frame's
   * size is checked against the manifest, so the file's offsets hold, and a frame is not
   * decompressed and hashed a second time. Whoever reads the archive still checks every chunk.
   */
  public SnapshotArchive assembleVerified(byte[] manifestBytes, FrameSource frames, Path dir) {
    return assemble(manifestBytes, frames, dir, false);
  }

  private SnapshotArchive assemble(
      byte[] manifestBytes, FrameSource frames, Path dir, boolean checkFrames) {
    if (manifestBytes.length > Limits.MAX_SNAPSHOT_METADATA_BYTES) {
      throw new FerryException(
          ErrorCode.LIMIT_EXCEEDED,
          "a manifest of " + manifestBytes.length + " bytes is over the limit");
    }
    byte[] bytes = manifestBytes.clone();
    Manifest manifest = Manifest.decode(bytes, "the manifest to assemble");
    if (!manifest.hasChunkFrames()) {
      throw new FerryException(
          ErrorCode.UNSUPPORTED,
          "a manifest of archive format "
              + manifest.format()
              + " has no chunk frames to assemble an archive from");
    }
    Hash hash = Sha256Hasher.INSTANCE.hash(bytes);
    ArchiveName name = SnapshotWriter.nameOf(manifest, hash);
    long started = System.nanoTime();
    try {
      Files.createDirectories(dir);
      SnapshotWriter.removeLeftovers(dir);
      byte[] frame0;
      try (FrameCompressor compressor = new FrameCompressor(zstdLevel)) {
        frame0 = compressor.manifestFrame(bytes, manifest.chunks().isEmpty());
      }
      Path target =
          ArchiveOutput.publish(
              dir,
              name,
              SnapshotWriter.ioBuffer(manifest.frameBytes()),
              out -> {
                out.write(frame0);
                for (int i = 0; i < manifest.chunks().size(); i++) {
                  byte[] frame = frames.frame(i);
                  if (checkFrames) {
                    ChunkFrames.verify(manifest, i, frame);
                  } else if (frame.length != manifest.chunks().get(i).frameSize()) {
                    throw new FerryException(
                        ErrorCode.CORRUPT_DATA,
                        "frame "
                            + i
                            + " is "
                            + frame.length
                            + " bytes, not the manifest's "
                            + manifest.chunks().get(i).frameSize());
                  }
                  out.write(frame);
                }
              });
      long size = Files.size(target);
      log.info(
          "assembled {}: height {}, {} chunks, {} bytes in {} ms",
          name,
          manifest.height(),
          manifest.chunks().size(),
          size,
          (System.nanoTime() - started) / 1_000_000);
      return new SnapshotArchive(target, name, manifest, size);
    } catch (UncheckedIOException e) {
      throw ioError(dir, e.getCause());
    } catch (IOException e) {
      throw ioError(dir, e);
    }
  }

  private static FerryException ioError(Path dir, IOException e) {
    return new FerryException(
        ErrorCode.IO_ERROR, "assembling a snapshot archive in " + dir + " failed: " + e, e);
  }
}
