package io.ferry.snapshot;

import com.github.luben.zstd.Zstd;
import com.github.luben.zstd.ZstdCompressCtx;
import com.github.luben.zstd.ZstdException;
import io.ferry.core.ErrorCode;
import io.ferry.core.FerryException;
import io.ferry.core.Limits;
import java.util.Arrays;

/**
 * Compresses one archive entry's frame content (see {@link ArchiveLayout}) into one zstd frame at a
 * fixed level, with its checksum and its content size, single-threaded: equal content at the same
 * level gives equal bytes. Refuses a frame over {@link Limits#MAX_CHUNK_FRAME_BYTES}. Holds a
 * native context until closed. Not thread-safe.
 */
final class FrameCompressor implements AutoCloseable {
  private final ZstdCompressCtx ctx;
  private byte[] out = new byte[0];

  FrameCompressor(int level) {
    ctx = new ZstdCompressCtx();
    ctx.setLevel(level);
    ctx.setChecksum(true);
    ctx.setContentSize(true);
  }

  /**
   * Compresses {@code length} bytes of {@code content} into one frame; returns its length, the
   * frame being the first that many bytes of {@link #frame()} until the next call.
   */
  int compress(byte[] content, int length, String entry) {
    int bound = (int) Zstd.compressBound(length);
    if (out.length < bound) {
      out = new byte[bound];
    }
    int n;
    try {
      n = ctx.compressByteArray(out, 0, out.length, content, 0, length);
    } catch (ZstdException e) {
      throw new FerryException(
          ErrorCode.INTERNAL, "zstd could not compress " + entry + ": " + e.getMessage(), e);
    }
    if (n > Limits.MAX_CHUNK_FRAME_BYTES) {
      throw new FerryException(
          ErrorCode.LIMIT_EXCEEDED,
          "the frame of "
              + entry
              + " is "
              + n
              + " bytes, over the limit of "
              + Limits.MAX_CHUNK_FRAME_BYTES);
    }
    return n;
  }

  /** The buffer {@link #compress} wrote its frame to. */
  byte[] frame() {
    return out;
  }

  /** Frame 0 of an archive: the manifest's entry, and the tar's end when it has no chunks. */
  byte[] manifestFrame(byte[] manifestBytes, boolean noChunks) {
    byte[] content = ArchiveLayout.manifestFrameContent(manifestBytes, noChunks);
    int n = compress(content, content.length, ArchiveLayout.MANIFEST);
    return Arrays.copyOf(out, n);
  }

  @Override
  public void close() {
    ctx.close();
  }
}
