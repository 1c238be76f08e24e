package io.ferry.sync.snapshot;

import io.ferry.core.Bytes;
import io.ferry.core.Hash;
import io.ferry.core.Sha256Hasher;
import io.ferry.core.identity.NodeId;
import io.ferry.sync.snapshot.app.ApplyResult;
import io.ferry.sync.snapshot.app.ChunkApplied;
import io.ferry.sync.snapshot.app.OfferResult;
import io.ferry.sync.snapshot.app.Snapshot;
import io.ferry.sync.snapshot.app.SnapshotApplication;
import java.io.ByteArrayOutputStream;
import java.io.IOException;
import java.io.UncheckedIOException;
import java.nio.ByteBuffer;
import java.nio.channels.FileChannel;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.StandardCopyOption;
import java.nio.file.StandardOpenOption;
import java.security.MessageDigest;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.BitSet;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.Optional;

/**
 * A state machine that has nothing to do with MerkleDB, state-synced through the same SPI: an
 * append-only log of byte records in a directory. Its state at height {@code h} is its first {@code
 * h} records, and its app hash there is a hash chain over them ({@code H(0) = 0^32}, {@code H(i) =
 * SHA-256(H(i-1) || record i)}), so the hash says nothing of how a snapshot is cut.
 *
 * <p>Snapshots (format {@value #FORMAT}) are taken every {@code snapshotEvery} records: the first
 * {@code h} records, each written as a 4-byte big-endian length and its bytes, cut into chunks of
 * at most {@code chunkBytes} (whole records only; a longer record is a chunk of its own). The
 * metadata is the app hash followed by the SHA-256 of every chunk, and the snapshot hash is the
 * SHA-256 of the metadata, so an offer can be tied to the trusted app hash and every chunk checked
 * the moment it is applied. Chunks apply in order only.
 *
 * <p>Storage: {@code records.log} (the records, framed as in a chunk) and, while a restore runs,
 * {@code restore.state} (the snapshot's hash, the chunks applied, the log's length after them),
 * replaced by a rename after each chunk. A restarted restore of the same snapshot cuts the log back
 * to that length and goes on from there ({@link #appliedChunks}). Nothing is fsynced: this is a
 * test application, and the syncer's tests restart it, they do not pull its power.
 *
 * <p>Thread-safe (every method is synchronized): servers call it from transport threads.
 */
final class LogApplication implements SnapshotApplication {
  static final int FORMAT = 1;

  private static final String RECORDS = "records.log";
  private static final String RESTORE = "restore.state";

  private final Path dir;
  private final int chunkBytes;
  private final int snapshotEvery;
  private final List<Bytes> records = new ArrayList<>();
  private final List<Hash> heads = new ArrayList<>(List.of(Hash.ZERO)); // heads[h]: app hash at h
  private final Map<Long, List<Bytes>> chunksByHeight = new HashMap<>();
  private Restoring restoring; // the accepted snapshot being restored, or null
  private Resumable resumable; // what restore.state said at open, until a snapshot is accepted
  private int applied; // chunks of the snapshot being restored applied so far
  private int chunksApplied; // chunks applied in this run, over all restores, for tests

  /** The snapshot being restored: its chunk hashes and how far it got. */
  private record Restoring(Snapshot snapshot, Bytes trustedAppHash, List<Bytes> chunkHashes) {}

  /** A restore an earlier run left: which snapshot and how many chunks it applied. */
  private record Resumable(Bytes hash, int applied) {}

  /**
   * Opens the log in {@code dir} (created if absent), cutting it back to where an interrupted
   * restore left it.
   */
  LogApplication(Path dir, int chunkBytes, int snapshotEvery) {
    this.dir = dir;
    this.chunkBytes = chunkBytes;
    this.snapshotEvery = snapshotEvery;
    try {
      Files.createDirectories(dir);
      Path log = dir.resolve(RECORDS);
      long keep = Files.exists(log) ? Files.size(log) : 0;
      Path state = dir.resolve(RESTORE);
      if (Files.exists(state)) {
        ByteBuffer b = ByteBuffer.wrap(Files.readAllBytes(state));
        byte[] hash = new byte[b.getInt()];
        b.get(hash);
        resumable = new Resumable(Bytes.wrap(hash), b.getInt());
        keep = b.getLong();
      }
      try (FileChannel ch =
          FileChannel.open(log, StandardOpenOption.CREATE, StandardOpenOption.WRITE)) {
        ch.truncate(keep);
      }
      for (Bytes r : decode(Bytes.wrap(Files.readAllBytes(log)))) {
        add(r);
      }
    } catch (IOException e) {
      throw new UncheckedIOException(e);
    }
  }

  /** Appends records to the log (a server's state grows this way). */
  synchronized void append(List<Bytes> more) {
    write(encode(more), true);
    more.forEach(this::add);
  }

  /** Records {@code n} pseudo-random records of 1 to {@code maxBytes} bytes from {@code seed}. */
  static List<Bytes> records(int n, int maxBytes, long seed) {
    java.util.SplittableRandom random = new java.util.SplittableRandom(seed);
    List<Bytes> out = new ArrayList<>();
    for (int i = 0; i < n; i++) {
      byte[] r = new byte[1 + random.nextInt(maxBytes)];
      random.nextBytes(r);
      out.add(Bytes.wrap(r));
    }
    return out;
  }

  synchronized List<Bytes> records() {
    return List.copyOf(records);
  }

  /** The app hash at {@code height}: what a node that trusts this log's history trusts. */
  synchronized Bytes appHash(long height) {
    return Bytes.wrap(heads.get(Math.toIntExact(height)).toBytes());
  }

  /** Whether a restore is under way (accepted and not finished). */
  synchronized boolean restoring() {
    return restoring != null;
  }

  /** Chunks applied, in this run, over all restores. */
  synchronized int chunksApplied() {
    return chunksApplied;
  }

  /** The snapshot of this log at {@code height}, as it lists it. */
  synchronized Snapshot snapshot(long height) {
    List<Bytes> chunks = chunks(height);
    ByteArrayOutputStream metadata = new ByteArrayOutputStream();
    metadata.writeBytes(heads.get(Math.toIntExact(height)).toBytes());
    for (Bytes c : chunks) {
      metadata.writeBytes(sha256(c).unsafeArray());
    }
    Bytes meta = Bytes.wrap(metadata.toByteArray());
    return new Snapshot(height, FORMAT, chunks.size(), sha256(meta), meta);
  }

  /** Forgets the restore under way and empties the log, as an application that starts over. */
  synchronized void abandonRestore() {
    restoring = null;
    resumable = null;
    wipe();
  }

  // ------------------------------------------------------------------ serving

  @Override
  public synchronized List<Snapshot> listSnapshots() {
    List<Snapshot> out = new ArrayList<>();
    for (long h = snapshotEvery; h <= records.size(); h += snapshotEvery) {
      out.add(snapshot(h));
    }
    return out;
  }

  @Override
  public synchronized Optional<Bytes> loadSnapshotChunk(long height, int format, int index) {
    if (format != FORMAT
        || height < 1
        || height > records.size()
        || height % snapshotEvery != 0
        || restoring != null) {
      return Optional.empty();
    }
    List<Bytes> chunks = chunks(height);
    return index < chunks.size() ? Optional.of(chunks.get(index)) : Optional.empty();
  }

  // ------------------------------------------------------------------ restoring

  @Override
  public synchronized OfferResult offerSnapshot(Snapshot s, Bytes trustedAppHash) {
    if (s.format() != FORMAT) {
      return OfferResult.REJECT_FORMAT;
    }
    Bytes meta = s.metadata();
    if (meta.length() != Hash.LENGTH * (1 + s.chunks()) || !sha256(meta).equals(s.hash())) {
      return OfferResult.REJECT_SENDER; // its advertisement does not even hash to its own hash
    }
    if (!slice(meta, 0).equals(trustedAppHash)) {
      return OfferResult.REJECT; // a state we do not trust at that height
    }
    List<Bytes> chunkHashes = new ArrayList<>();
    for (int i = 0; i < s.chunks(); i++) {
      chunkHashes.add(slice(meta, 1 + i));
    }
    if (restoring != null && restoring.snapshot().equals(s)) {
      // offered again in this run: go on from where it is
    } else if (resumable != null && resumable.hash().equals(s.hash())) {
      applied = resumable.applied();
    } else {
      wipe();
      applied = 0;
    }
    resumable = null;
    restoring = new Restoring(s, trustedAppHash, chunkHashes);
    saveProgress();
    return OfferResult.ACCEPT;
  }

  @Override
  public synchronized BitSet appliedChunks(Snapshot s) {
    BitSet out = new BitSet();
    if (restoring != null && restoring.snapshot().equals(s)) {
      out.set(0, applied);
    }
    return out;
  }

  @Override
  public synchronized ChunkApplied applySnapshotChunk(int index, Bytes chunk, NodeId sender) {
    if (restoring == null) {
      throw new IllegalStateException("chunk " + index + " with no snapshot accepted");
    }
    if (index != applied) {
      throw new IllegalStateException(
          "chunk " + index + " out of order: this log applies chunk " + applied + " next");
    }
    if (!sha256(chunk).equals(restoring.chunkHashes().get(index))) {
      return ChunkApplied.badChunk(index, sender);
    }
    Snapshot s = restoring.snapshot();
    List<Bytes> more;
    try {
      more = decode(chunk);
    } catch (IllegalArgumentException e) {
      return giveUp(); // hashes as advertised, yet no log: the snapshot itself is a lie
    }
    if (records.size() + more.size() > s.height()) {
      return giveUp();
    }
    write(chunk, true);
    more.forEach(this::add);
    applied++;
    chunksApplied++;
    if (applied < s.chunks()) {
      saveProgress();
      return ChunkApplied.accept();
    }
    if (records.size() != s.height() || !appHash(s.height()).equals(restoring.trustedAppHash())) {
      return giveUp();
    }
    restoring = null;
    deleteProgress();
    return ChunkApplied.accept();
  }

  private ChunkApplied giveUp() {
    restoring = null;
    wipe();
    return ChunkApplied.of(ApplyResult.REJECT_SNAPSHOT);
  }

  // ------------------------------------------------------------------ storage

  private void add(Bytes record) {
    MessageDigest d = Sha256Hasher.newDigest();
    d.update(heads.getLast().toBytes());
    d.update(record.unsafeArray());
    heads.add(Hash.wrap(d.digest()));
    records.add(record);
    chunksByHeight.clear();
  }

  private void wipe() {
    records.clear();
    heads.subList(1, heads.size()).clear();
    chunksByHeight.clear();
    applied = 0;
    write(new byte[0], false);
    deleteProgress();
  }

  private void write(Bytes bytes, boolean append) {
    write(bytes.unsafeArray(), append);
  }

  private void write(byte[] bytes, boolean append) {
    try {
      Files.write(
          dir.resolve(RECORDS),
          bytes,
          StandardOpenOption.CREATE,
          StandardOpenOption.WRITE,
          append ? StandardOpenOption.APPEND : StandardOpenOption.TRUNCATE_EXISTING);
    } catch (IOException e) {
      throw new UncheckedIOException(e);
    }
  }

  private void saveProgress() {
    byte[] hash = restoring.snapshot().hash().unsafeArray();
    ByteBuffer b = ByteBuffer.allocate(4 + hash.length + 4 + 8);
    b.putInt(hash.length).put(hash).putInt(applied).putLong(encodedLength(records));
    try {
      Path tmp = dir.resolve(RESTORE + ".tmp");
      Files.write(tmp, b.array());
      Files.move(tmp, dir.resolve(RESTORE), StandardCopyOption.ATOMIC_MOVE);
    } catch (IOException e) {
      throw new UncheckedIOException(e);
    }
  }

  private void deleteProgress() {
    try {
      Files.deleteIfExists(dir.resolve(RESTORE));
    } catch (IOException e) {
      throw new UncheckedIOException(e);
    }
  }

  // ------------------------------------------------------------------ the format

  private List<Bytes> chunks(long height) {
    return chunksByHeight.computeIfAbsent(
        height,
        h -> {
          List<Bytes> out = new ArrayList<>();
          List<Bytes> current = new ArrayList<>();
          long size = 0;
          for (Bytes r : records.subList(0, Math.toIntExact(h))) {
            if (!current.isEmpty() && size + 4 + r.length() > chunkBytes) {
              out.add(encode(current));
              current = new ArrayList<>();
              size = 0;
            }
            current.add(r);
            size += 4 + r.length();
          }
          out.add(encode(current));
          return out;
        });
  }

  static Bytes encode(List<Bytes> records) {
    ByteBuffer b = ByteBuffer.allocate(Math.toIntExact(encodedLength(records)));
    for (Bytes r : records) {
      b.putInt(r.length()).put(r.unsafeArray());
    }
    return Bytes.wrap(b.array());
  }

  private static long encodedLength(List<Bytes> records) {
    long n = 0;
    for (Bytes r : records) {
      n += 4 + r.length();
    }
    return n;
  }

  /**
   * @throws IllegalArgumentException when {@code bytes} is not whole framed records
   */
  static List<Bytes> decode(Bytes bytes) {
    ByteBuffer b = ByteBuffer.wrap(bytes.unsafeArray());
    List<Bytes> out = new ArrayList<>();
    while (b.hasRemaining()) {
      if (b.remaining() < 4) {
        throw new IllegalArgumentException("a torn record length");
      }
      int n = b.getInt();
      if (n < 0 || n > b.remaining()) {
        throw new IllegalArgumentException(
            "a record of " + n + " bytes, " + b.remaining() + " left");
      }
      byte[] r = new byte[n];
      b.get(r);
      out.add(Bytes.wrap(r));
    }
    return out;
  }

  static Bytes sha256(Bytes bytes) {
    return Bytes.wrap(Sha256Hasher.newDigest().digest(bytes.unsafeArray()));
  }

  private static Bytes slice(Bytes meta, int i) {
    return Bytes.wrap(
        Arrays.copyOfRange(meta.unsafeArray(), i * Hash.LENGTH, (i + 1) * Hash.LENGTH));
  }
}
