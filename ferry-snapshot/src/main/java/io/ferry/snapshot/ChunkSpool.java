package io.ferry.snapshot;

import io.ferry.core.ErrorCode;
import io.ferry.core.FerryException;
import io.ferry.core.Hash;
import io.ferry.core.Sha256Hasher;
import io.ferry.merkledb.KeyChange;
import java.io.BufferedInputStream;
import java.io.IOException;
import java.io.InputStream;
import java.io.OutputStream;
import java.io.UncheckedIOException;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.List;

/**
 * Cuts records into chunks of at most the chunk size, hashes each, compresses it with its tar
 * framing into a zstd frame of its own ({@link ArchiveLayout}) and appends the frame to a spool
 * file, so that the manifest (which lists the hashes and frame sizes) can be written before the
 * chunks. The last chunk's frame also holds the tar's end; it is known to be last when {@link
 * #finish()} comes, which is why a chunk is compressed only when the next record or the finish
 * arrives. Holds one chunk in memory (and its frame). Records must come in strictly increasing key
 * order. Not thread-safe.
 */
final class ChunkSpool implements AutoCloseable {
  private final ArchiveTempFile file;
  private final OutputStream out;
  private final FrameCompressor compressor;
  private final int chunkSize;

  /** The frame's content: header, then the chunk's records from {@link ArchiveLayout#BLOCK}. */
  private final byte[] buf;

  private final List<Manifest.ChunkInfo> chunks = new ArrayList<>();
  private int length;
  private long chunkEntries;
  private long entries;
  private long frameBytes;
  private KeyChange last;

  ChunkSpool(Path dir, int chunkSize, int zstdLevel) throws IOException {
    this.file = ArchiveTempFile.create(dir, ".spool");
    this.out = file.output();
    this.chunkSize = chunkSize;
    this.buf = new byte[ArchiveLayout.frameContentLength(chunkSize, true)];
    this.compressor = new FrameCompressor(zstdLevel);
  }

  void add(KeyChange change) {
    if (last != null && last.key().compareTo(change.key()) >= 0) {
      throw new FerryException(
          ErrorCode.INTERNAL, "records out of key order: " + change.key() + " after " + last.key());
    }
    last = change;
    int size = ChunkCodec.recordSize(change);
    if (size > chunkSize) {
      throw new FerryException(
          ErrorCode.LIMIT_EXCEEDED,
          "a record of "
              + size
              + " bytes (key "
              + change.key()
              + ") does not fit the chunk size of "
              + chunkSize);
    }
    if (length + size > chunkSize) {
      flush(false);
    }
    length = ChunkCodec.write(change, buf, ArchiveLayout.BLOCK + length) - ArchiveLayout.BLOCK;
    chunkEntries++;
    entries++;
  }

  private void flush(boolean lastChunk) {
    if (length == 0) {
      return;
    }
    int index = chunks.size();
    String name = ArchiveLayout.chunkName(index);
    Hash sha = Sha256Hasher.INSTANCE.hash(buf, ArchiveLayout.BLOCK, length);
    System.arraycopy(ArchiveLayout.header(name, length), 0, buf, 0, ArchiveLayout.BLOCK);
    int content = ArchiveLayout.frameContentLength(length, lastChunk);
    Arrays.fill(buf, ArchiveLayout.BLOCK + length, content, (byte) 0); // padding, and the end
    int frame = compressor.compress(buf, content, name);
    try {
      out.write(compressor.frame(), 0, frame);
    } catch (IOException e) {
      throw new UncheckedIOException(e);
    }
    chunks.add(new Manifest.ChunkInfo(length, sha, chunkEntries, frame));
    frameBytes += frame;
    length = 0;
    chunkEntries = 0;
  }

  /** Ends the last chunk (its frame holds the tar's end); returns every chunk. */
  List<Manifest.ChunkInfo> finish() throws IOException {
    flush(true);
    return List.copyOf(chunks);
  }

  long entries() {
    return entries;
  }

  /** Compressed bytes of every chunk's frame spooled so far. */
  long frameBytes() {
    return frameBytes;
  }

  /** The spooled frames, in chunk order, after {@link #finish()}, read through a buffer. */
  InputStream read(int bufferBytes) throws IOException {
    return new BufferedInputStream(file.input(), bufferBytes);
  }

  @Override
  public void close() throws IOException {
    try {
      compressor.close();
    } finally {
      file.close();
    }
  }
}
