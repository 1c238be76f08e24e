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
import java.util.List;

/**
 * Cuts records into chunks of at most the chunk size, hashes each, and appends its payload to a
 * spool file, so that the manifest (which lists the hashes) can be written before the chunks. Holds
 * one chunk in memory. Records must come in strictly increasing key order. Not thread-safe.
 */
final class ChunkSpool implements AutoCloseable {
  private final ArchiveTempFile file;
  private final OutputStream out;
  private final byte[] buf;
  private final List<Manifest.ChunkInfo> chunks = new ArrayList<>();
  private int length;
  private long chunkEntries;
  private long entries;
  private KeyChange last;

  ChunkSpool(Path dir, int chunkSize) throws IOException {
    this.file = ArchiveTempFile.create(dir, ".spool");
    this.out = file.output();
    this.buf = new byte[chunkSize];
  }

  void add(KeyChange change) {
    if (last != null && last.key().compareTo(change.key()) >= 0) {
      throw new FerryException(
          ErrorCode.INTERNAL, "records out of key order: " + change.key() + " after " + last.key());
    }
    last = change;
    int size = ChunkCodec.recordSize(change);
    if (size > buf.length) {
      throw new FerryException(
          ErrorCode.LIMIT_EXCEEDED,
          "a record of "
              + size
              + " bytes (key "
              + change.key()
              + ") does not fit the chunk size of "
              + buf.length);
    }
    if (length + size > buf.length) {
      flush();
    }
    length = ChunkCodec.write(change, buf, length);
    chunkEntries++;
    entries++;
  }

  private void flush() {
    if (length == 0) {
      return;
    }
    Hash sha = Sha256Hasher.INSTANCE.hash(buf, 0, length);
    try {
      out.write(buf, 0, length);
    } catch (IOException e) {
      throw new UncheckedIOException(e);
    }
    chunks.add(new Manifest.ChunkInfo(length, sha, chunkEntries));
    length = 0;
    chunkEntries = 0;
  }

  /** Ends the last chunk; returns every chunk. */
  List<Manifest.ChunkInfo> finish() throws IOException {
    flush();
    return List.copyOf(chunks);
  }

  long entries() {
    return entries;
  }

  /** The spooled payloads, in chunk order, after {@link #finish()}, read through a buffer. */
  InputStream read(int bufferBytes) throws IOException {
    return new BufferedInputStream(file.input(), bufferBytes);
  }

  @Override
  public void close() throws IOException {
    file.close();
  }
}
