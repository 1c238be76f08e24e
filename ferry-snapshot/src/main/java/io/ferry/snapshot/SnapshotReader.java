package io.ferry.snapshot;

import com.github.luben.zstd.ZstdInputStream;
import io.ferry.core.Bytes;
import io.ferry.core.ErrorCode;
import io.ferry.core.FerryException;
import io.ferry.core.Hash;
import io.ferry.core.Limits;
import io.ferry.core.Sha256Hasher;
import io.ferry.core.archive.ArchiveName;
import io.ferry.merkledb.KeyChange;
import io.ferry.merkledb.KeyValue;
import java.io.BufferedInputStream;
import java.io.IOException;
import java.io.InputStream;
import java.nio.file.Files;
import java.nio.file.NoSuchFileException;
import java.nio.file.Path;
import java.util.Iterator;
import java.util.NoSuchElementException;
import java.util.Optional;
import org.apache.commons.compress.archivers.tar.TarArchiveEntry;
import org.apache.commons.compress.archivers.tar.TarArchiveInputStream;

/**
 * Reads an archive as a stream and checks it as it goes: the manifest comes first and is checked
 * against the snapshot hash in the file name (when the name is an archive name); each chunk's size
 * is checked against the manifest before its bytes are buffered, and its SHA-256 before any of its
 * records is handed out; keys must strictly increase across the whole archive; after the last chunk
 * nothing but the end of the tar and of the zstd frames (whose checksums zstd checks) may follow.
 * Any failure is a {@link FerryException} with {@link ErrorCode#CORRUPT_DATA} that names the
 * archive and the chunk.
 *
 * <p>Decompression is bounded by the manifest: before the manifest at most {@link
 * Limits#MAX_SNAPSHOT_METADATA_BYTES}, for each chunk its size, and after the last one {@link
 * Limits#MAX_ARCHIVE_END_BYTES}, each entry with {@link Limits#MAX_ARCHIVE_ENTRY_OVERHEAD_BYTES} of
 * tar framing; an archive that decompresses to more fails with {@link ErrorCode#LIMIT_EXCEEDED} at
 * the first byte over (a "zip bomb" costs at most that). Holds one chunk in memory. Not
 * thread-safe.
 */
public final class SnapshotReader implements AutoCloseable {
  /**
   * Told of each chunk as its bytes are read (decompressed), before they are checked; for a full
   * archive being restored, on the restore's reading thread.
   */
  @FunctionalInterface
  public interface ChunkListener {
    ChunkListener NONE = (archive, index, bytes) -> {};

    void chunkRead(Path archive, int index, int bytes);
  }

  private final Path path;
  private final String label;
  private final ChunkListener listener;
  private final DecompressionBudget budget;
  private final TarArchiveInputStream tar;
  private final Manifest manifest;
  private final Hash hash;

  private byte[] buf = new byte[0];
  private int chunkIndex = -1;
  private String current = ArchiveLayout.MANIFEST;
  private ChunkCodec.Decoder decoder;
  private long chunkRecords;
  private Bytes lastKey;
  private boolean finished;

  private SnapshotReader(Path path, ChunkListener listener) throws IOException {
    this.path = path;
    this.label = String.valueOf(path.getFileName());
    this.listener = listener;
    InputStream file = new BufferedInputStream(Files.newInputStream(path), 1 << 17);
    try {
      this.budget =
          new DecompressionBudget(new BufferedInputStream(new ZstdInputStream(file), 1 << 20));
      this.tar = new TarArchiveInputStream(budget);
      budget.allow(
          Limits.MAX_SNAPSHOT_METADATA_BYTES + Limits.MAX_ARCHIVE_ENTRY_OVERHEAD_BYTES,
          () -> label + " " + current);
      TarArchiveEntry first = tar.getNextEntry();
      if (first == null || !first.getName().equals(ArchiveLayout.MANIFEST)) {
        throw corrupt("the first entry is not the manifest");
      }
      if (first.getSize() > Limits.MAX_SNAPSHOT_METADATA_BYTES || first.getSize() < 0) {
        throw corrupt("a manifest of " + first.getSize() + " bytes is over the limit");
      }
      byte[] bytes = readFully((int) first.getSize());
      this.manifest = Manifest.decode(bytes, label);
      this.hash = Sha256Hasher.INSTANCE.hash(bytes);
      Optional<ArchiveName> name = ArchiveName.parse(label);
      if (name.isPresent()) {
        checkName(name.get());
      }
    } catch (IOException | RuntimeException e) {
      file.close();
      throw e;
    }
  }

  /**
   * Opens an archive and reads its manifest.
   *
   * @throws FerryException {@link ErrorCode#NOT_FOUND} if there is no such file, {@link
   *     ErrorCode#CORRUPT_DATA} if the manifest is missing, malformed or not the one the name
   *     commits to
   */
  public static SnapshotReader open(Path archive) {
    return open(archive, ChunkListener.NONE);
  }

  /** As {@link #open(Path)}, telling {@code listener} of each chunk as it is read. */
  public static SnapshotReader open(Path archive, ChunkListener listener) {
    try {
      return new SnapshotReader(archive, listener);
    } catch (NoSuchFileException e) {
      throw new FerryException(ErrorCode.NOT_FOUND, "no archive " + archive, e);
    } catch (IOException e) {
      throw corrupt(String.valueOf(archive.getFileName()), ArchiveLayout.MANIFEST, e);
    }
  }

  /** The manifest of an archive, checked as {@link #open} does, without reading any chunk. */
  public static Manifest readManifest(Path archive) {
    try (SnapshotReader r = open(archive)) {
      return r.manifest();
    }
  }

  public Path path() {
    return path;
  }

  public Manifest manifest() {
    return manifest;
  }

  /** Bytes decompressed so far (tar framing included). */
  public long decompressedBytes() {
    return budget.consumed();
  }

  /** The snapshot hash: SHA-256 of the manifest bytes as stored. */
  public Hash snapshotHash() {
    return hash;
  }

  /**
   * The next record in key order, or empty after the last one (when the rest of the archive has
   * been checked too).
   */
  public Optional<KeyChange> next() {
    if (!advance()) {
      return Optional.empty();
    }
    KeyChange change = decoder.next();
    accept(change.key());
    return Optional.of(change);
  }

  /**
   * The next record of a full archive, parsed straight into a key-value, or null after the last one
   * (when the rest of the archive has been checked too). {@link #next()}'s checks and errors; a
   * delete is {@link ErrorCode#CORRUPT_DATA}, as a full archive holds none.
   */
  public KeyValue nextPut() {
    if (!advance()) {
      return null;
    }
    KeyValue kv = decoder.nextPut();
    if (kv == null) {
      throw corrupt("a full archive holds a delete of " + decoder.lastKey());
    }
    accept(kv.key());
    return kv;
  }

  /** Moves to the chunk that holds the next record; false at the end of the archive. */
  private boolean advance() {
    try {
      while (decoder == null || !decoder.hasNext()) {
        if (decoder != null) {
          endChunk();
        }
        if (chunkIndex + 1 >= manifest.chunks().size()) {
          finish();
          return false;
        }
        nextChunk();
      }
      return true;
    } catch (IOException e) {
      throw corrupt(label, current, e);
    }
  }

  /** Counts a record just decoded and checks that its key follows the one before. */
  private void accept(Bytes key) {
    chunkRecords++;
    if (lastKey != null && lastKey.compareTo(key) >= 0) {
      throw corrupt("key " + key + " does not come after " + lastKey);
    }
    lastKey = key;
  }

  /** The records as an iterator; {@link #next()} semantics and errors. */
  public Iterator<KeyChange> records() {
    return new Iterator<>() {
      private Optional<KeyChange> ahead;

      @Override
      public boolean hasNext() {
        if (ahead == null) {
          ahead = SnapshotReader.this.next();
        }
        return ahead.isPresent();
      }

      @Override
      public KeyChange next() {
        if (!hasNext()) {
          throw new NoSuchElementException();
        }
        KeyChange c = ahead.get();
        ahead = null;
        return c;
      }
    };
  }

  private void nextChunk() throws IOException {
    chunkIndex++;
    current = ArchiveLayout.chunkName(chunkIndex);
    Manifest.ChunkInfo info = manifest.chunks().get(chunkIndex);
    budget.allow(
        (long) info.size() + Limits.MAX_ARCHIVE_ENTRY_OVERHEAD_BYTES, () -> label + " " + current);
    TarArchiveEntry entry = tar.getNextEntry();
    if (entry == null) {
      throw corrupt("the archive ends before this chunk (truncated)");
    }
    if (!entry.getName().equals(current)) {
      throw corrupt("found entry '" + entry.getName() + "' instead");
    }
    if (entry.getSize() != info.size()) {
      throw corrupt("its entry is " + entry.getSize() + " bytes, the manifest says " + info.size());
    }
    if (buf.length < info.size()) {
      buf = new byte[Math.max(info.size(), Math.min(manifest.chunkSizeLimit(), 1 << 22))];
    }
    if (tar.readNBytes(buf, 0, info.size()) != info.size()) {
      throw corrupt("the archive ends inside this chunk (truncated)");
    }
    listener.chunkRead(path, chunkIndex, info.size());
    Hash actual = Sha256Hasher.INSTANCE.hash(buf, 0, info.size());
    if (!actual.equals(info.sha256())) {
      throw corrupt("its SHA-256 is " + actual + ", the manifest says " + info.sha256());
    }
    decoder = new ChunkCodec.Decoder(buf, info.size(), label + " " + current);
    chunkRecords = 0;
  }

  private void endChunk() {
    long expected = manifest.chunks().get(chunkIndex).entries();
    if (chunkRecords != expected) {
      throw corrupt("it holds " + chunkRecords + " records, the manifest says " + expected);
    }
  }

  private void finish() throws IOException {
    if (finished) {
      return;
    }
    current = "the end of the archive";
    budget.allow(Limits.MAX_ARCHIVE_END_BYTES, () -> label + " " + current);
    TarArchiveEntry extra = tar.getNextEntry();
    if (extra != null) {
      throw corrupt("unexpected entry '" + extra.getName() + "'");
    }
    // Read the zstd stream to its end, so that a truncated or altered tail is noticed.
    budget.transferTo(java.io.OutputStream.nullOutputStream());
    finished = true;
  }

  private byte[] readFully(int size) throws IOException {
    byte[] out = tar.readNBytes(size);
    if (out.length != size) {
      throw corrupt("the archive ends inside the manifest (truncated)");
    }
    return out;
  }

  private void checkName(ArchiveName name) {
    if (!commitsTo(name, manifest, hash)) {
      throw corrupt(notCommitted(manifest, hash));
    }
  }

  /**
   * Whether the archive name {@code name} commits to {@code manifest}, whose hash is {@code hash}.
   */
  static boolean commitsTo(ArchiveName name, Manifest manifest, Hash hash) {
    return name.hash().equals(hash)
        && name.isFull() == (manifest.kind() == SnapshotKind.FULL)
        && name.height() == manifest.height()
        && name.baseHeight() == manifest.base().map(Manifest.Base::height).orElse(-1L);
  }

  static String notCommitted(Manifest manifest, Hash hash) {
    return "the manifest (hash "
        + hash.toBase58()
        + ", height "
        + manifest.height()
        + ") is not the one the file name commits to";
  }

  private FerryException corrupt(String what) {
    return new FerryException(ErrorCode.CORRUPT_DATA, label + " " + current + ": " + what);
  }

  private static FerryException corrupt(String label, String where, IOException e) {
    return new FerryException(
        ErrorCode.CORRUPT_DATA,
        label + " " + where + ": unreadable (corrupt or truncated): " + e.getMessage(),
        e);
  }

  @Override
  public void close() {
    try {
      tar.close();
    } catch (IOException e) {
      // nothing was written; a failed close loses nothing
    }
  }
}
