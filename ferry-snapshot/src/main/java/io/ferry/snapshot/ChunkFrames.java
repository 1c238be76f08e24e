package io.ferry.snapshot;

import com.github.luben.zstd.Zstd;
import com.github.luben.zstd.ZstdDecompressCtx;
import com.github.luben.zstd.ZstdException;
import io.ferry.core.ErrorCode;
import io.ferry.core.FerryException;
import io.ferry.core.Hash;
import io.ferry.core.Sha256Hasher;
import java.util.Arrays;
import java.util.Objects;
import org.apache.commons.compress.archivers.tar.TarArchiveEntry;

/**
 * Checks a chunk's zstd frame (format 2) against its manifest, wherever the frame came from: an
 * archive on disk ({@link ArchiveChunks#frame}) or a peer. A frame passes if it is exactly the
 * manifest's frame size, is one zstd frame, decompresses to exactly the chunk's tar header ({@code
 * chunks/NNNNNN} and the manifest's size), its payload, zero padding to 512 bytes and, for the last
 * chunk, the tar's end, and its payload's SHA-256 is the manifest's. Decompression is bounded by
 * that length: a frame that would decompress to more fails without producing more.
 *
 * <p>Failures are {@link FerryException}s, never zstd's own: {@link ErrorCode#CORRUPT_DATA} for a
 * frame that does not pass (as {@link SnapshotReader} reports a corrupt archive), {@link
 * ErrorCode#LIMIT_EXCEEDED} for one that decompresses past its bound, {@link ErrorCode#UNSUPPORTED}
 * for a format-1 manifest (no chunk frames), {@link ErrorCode#INVALID_ARGUMENT} for an index out of
 * range. Stateless and thread-safe.
 */
public final class ChunkFrames {
  private ChunkFrames() {}

  /**
   * The payload of chunk {@code index} (its records, as {@link Manifest.ChunkInfo#sha256()} hashes
   * them) from its frame, once every check above passes.
   *
   * @throws FerryException as the class describes
   */
  public static byte[] payload(Manifest manifest, int index, byte[] frame) {
    int size = manifest.chunks().get(checkIndex(manifest, index)).size();
    byte[] content = check(manifest, index, frame);
    return Arrays.copyOfRange(content, ArchiveLayout.BLOCK, ArchiveLayout.BLOCK + size);
  }

  /**
   * Checks chunk {@code index}'s frame as {@link #payload} does, without copying the payload out.
   *
   * @throws FerryException as the class describes
   */
  public static void verify(Manifest manifest, int index, byte[] frame) {
    check(manifest, index, frame);
  }

  private static int checkIndex(Manifest manifest, int index) {
    Objects.requireNonNull(manifest, "manifest");
    if (!manifest.hasChunkFrames()) {
      throw new FerryException(
          ErrorCode.UNSUPPORTED,
          "the snapshot at height "
              + manifest.height()
              + " is of archive format "
              + manifest.format()
              + ", whose chunks are not frames of their own");
    }
    if (index < 0 || index >= manifest.chunks().size()) {
      throw new FerryException(
          ErrorCode.INVALID_ARGUMENT,
          "chunk " + index + " is not one of the " + manifest.chunks().size() + " chunks");
    }
    return index;
  }

  /** Checks the frame; returns its whole decompressed content. */
  private static byte[] check(Manifest manifest, int index, byte[] frame) {
    Manifest.ChunkInfo chunk = manifest.chunks().get(checkIndex(manifest, index));
    Objects.requireNonNull(frame, "frame");
    String name = ArchiveLayout.chunkName(index);
    String where = "the snapshot at height " + manifest.height() + ", " + name;
    if (frame.length != chunk.frameSize()) {
      throw corrupt(
          where, "the frame is " + frame.length + " bytes, the manifest says " + chunk.frameSize());
    }
    boolean last = index == manifest.chunks().size() - 1;
    byte[] content = decompress(frame, ArchiveLayout.frameContentLength(chunk.size(), last), where);
    byte[] header = ArchiveLayout.header(name, chunk.size());
    if (!Arrays.equals(content, 0, header.length, header, 0, header.length)) {
      throw corrupt(
          where,
          "its tar header is not that of "
              + name
              + " with "
              + chunk.size()
              + " bytes (found "
              + describeHeader(content)
              + ")");
    }
    int end = ArchiveLayout.BLOCK + chunk.size();
    if (!allZero(content, end, content.length)) {
      throw corrupt(where, "its padding or the tar's end is not zeros");
    }
    Hash actual = Sha256Hasher.INSTANCE.hash(content, ArchiveLayout.BLOCK, chunk.size());
    if (!actual.equals(chunk.sha256())) {
      throw corrupt(where, "its SHA-256 is " + actual + ", the manifest says " + chunk.sha256());
    }
    return content;
  }

  /**
   * Checks that {@code frame} is frame 0 of the archive of {@code manifestBytes}: one zstd frame
   * holding exactly the manifest's tar entry, and the tar's end when the archive has no chunks.
   */
  static void checkManifestFrame(
      byte[] frame, byte[] manifestBytes, boolean noChunks, String where) {
    byte[] expected = ArchiveLayout.manifestFrameContent(manifestBytes, noChunks);
    byte[] content = decompress(frame, expected.length, where);
    if (!Arrays.equals(content, expected)) {
      throw corrupt(where, "frame 0 does not hold exactly the manifest's tar entry");
    }
  }

  /**
   * Decompresses {@code frame}, which must be one zstd frame of exactly {@code length} bytes of
   * content, into a buffer of that length: more fails at the buffer's end.
   */
  private static byte[] decompress(byte[] frame, int length, String where) {
    long first;
    try {
      first = Zstd.findFrameCompressedSize(frame);
    } catch (ZstdException e) {
      throw corrupt(where, "not a whole zstd frame: " + e.getMessage());
    }
    if (first != frame.length) {
      throw corrupt(where, "the frame's first " + first + " bytes are a zstd frame, not all");
    }
    byte[] out = new byte[length];
    int n;
    try (ZstdDecompressCtx ctx = new ZstdDecompressCtx()) {
      n = ctx.decompressByteArray(out, 0, length, frame, 0, frame.length);
    } catch (ZstdException e) {
      if (e.getErrorCode() == Zstd.errDstSizeTooSmall()) {
        throw new FerryException(
            ErrorCode.LIMIT_EXCEEDED,
            where
                + ": the frame decompresses to more than the "
                + length
                + " bytes its manifest allows; refused");
      }
      throw corrupt(where, "the frame does not decompress: " + e.getMessage());
    }
    if (n != length) {
      throw corrupt(
          where, "the frame decompresses to " + n + " bytes, the manifest says " + length);
    }
    return out;
  }

  private static String describeHeader(byte[] content) {
    try {
      TarArchiveEntry e = new TarArchiveEntry(Arrays.copyOf(content, ArchiveLayout.BLOCK));
      return "'" + e.getName() + "' with " + e.getSize() + " bytes";
    } catch (RuntimeException e) {
      return "no tar header";
    }
  }

  private static boolean allZero(byte[] b, int from, int to) {
    for (int i = from; i < to; i++) {
      if (b[i] != 0) {
        return false;
      }
    }
    return true;
  }

  private static FerryException corrupt(String where, String what) {
    return new FerryException(ErrorCode.CORRUPT_DATA, where + ": " + what);
  }
}
