package io.ferry.sync.proof.client;

import io.ferry.core.Bytes;
import io.ferry.core.ErrorCode;
import io.ferry.core.FerryException;
import io.ferry.core.Hash;
import io.ferry.core.KeyRange;
import io.ferry.merkledb.KeyChange;
import io.ferry.merkledb.KeyValue;
import java.io.IOException;
import java.io.UncheckedIOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.LinkOption;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.Comparator;
import java.util.Iterator;
import java.util.List;
import java.util.NoSuchElementException;
import java.util.Optional;
import java.util.Set;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.locks.Lock;
import java.util.concurrent.locks.ReentrantLock;
import java.util.concurrent.locks.ReentrantReadWriteLock;
import java.util.stream.Stream;
import org.rocksdb.BlockBasedTableConfig;
import org.rocksdb.BloomFilter;
import org.rocksdb.ColumnFamilyDescriptor;
import org.rocksdb.ColumnFamilyHandle;
import org.rocksdb.ColumnFamilyOptions;
import org.rocksdb.CompressionType;
import org.rocksdb.DBOptions;
import org.rocksdb.FlushOptions;
import org.rocksdb.LRUCache;
import org.rocksdb.ReadOptions;
import org.rocksdb.RocksDB;
import org.rocksdb.RocksDBException;
import org.rocksdb.RocksIterator;
import org.rocksdb.Slice;
import org.rocksdb.WriteBatch;
import org.rocksdb.WriteOptions;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * A {@link SyncStore} on disk: one RocksDB database with a column family {@value #STAGED} (staged
 * key → value) and one {@value #PROGRESS} holding a single {@link ProgressRecord} (target and
 * completed ranges). The sync command keeps it in {@code <data dir>/sync-staging}.
 *
 * <p>Invariants: every {@link #apply} is one RocksDB write batch (replace-range delete, changes,
 * progress record) through the write-ahead log, fsynced when {@code syncWrites} (the default), so
 * after a crash the store holds exactly the batches acknowledged before it (plus possibly the one
 * in flight), each wholly or not at all: never data without the progress that covers it, nor
 * progress without its data. The progress record is checked on open; a damaged one fails with
 * {@link ErrorCode#CORRUPT_DATA} (the staging directory can then be deleted: a sync restarts from
 * scratch).
 *
 * <p>Thread-safe: writes are serialized, reads run concurrently with them, and {@link #close} and
 * {@link #clear} wait for operations in progress. Iterators from {@link #iterator} hold a RocksDB
 * iterator (and its implicit snapshot) until exhausted or closed; after the store is closed or
 * cleared they fail with {@link ErrorCode#ILLEGAL_STATE}. Other calls after close fail the same
 * way.
 */
public final class RocksSyncStore implements SyncStore {
  private static final Logger log = LoggerFactory.getLogger(RocksSyncStore.class);

  static {
    RocksDB.loadLibrary();
  }

  /** Column family of the staged key-values. */
  static final String STAGED = "staged";

  /** Column family of the progress record. */
  static final String PROGRESS = "progress";

  /** The progress record's key in {@value #PROGRESS}. */
  static final byte[] PROGRESS_KEY = "progress".getBytes(StandardCharsets.US_ASCII);

  private static final long BLOCK_CACHE_BYTES = 32L << 20;
  private static final byte[] EMPTY = new byte[0];

  /** A replaced range holding at most this many keys has them deleted one by one. */
  static final int POINT_DELETES = 4096;

  /** Below this many keys (by RocksDB's estimate) {@link #keyCount} counts them. */
  static final long EXACT_COUNT_BELOW = 100_000;

  private final Path dir;
  private final RocksDB db;
  private final DBOptions dbOptions;
  private final ColumnFamilyOptions stagedOptions;
  private final ColumnFamilyOptions progressOptions;
  private final LRUCache blockCache;
  private final BloomFilter bloomFilter;
  private final WriteOptions writeOptions;
  private final boolean syncWrites;
  private final int pointDeletes;
  private final List<ColumnFamilyHandle> handles = new ArrayList<>();
  private final ColumnFamilyHandle progressCf;
  // Replaced by clear(); read under the lifecycle lock.
  private ColumnFamilyHandle stagedCf;

  /** Read side: every operation; write side: close and clear (which swap or free handles). */
  private final ReentrantReadWriteLock lifecycle = new ReentrantReadWriteLock();

  /** Serializes applies (each reads the staged keys to bound its range delete). */
  private final Lock writer = new ReentrantLock();

  private final Set<Cursor> cursors = ConcurrentHashMap.newKeySet();
  private volatile ProgressRecord progress; // null: no sync started
  private boolean closed; // under the lifecycle lock

  /** Opens (creating if needed) the store in {@code dir}, fsyncing every apply. */
  public RocksSyncStore(Path dir) {
    this(dir, true);
  }

  /**
   * Opens (creating if needed) the store in {@code dir}.
   *
   * @param syncWrites fsync the write-ahead log on every apply and clear (survives power loss, not
   *     only process death); off only for tests and benchmarks
   * @throws FerryException {@link ErrorCode#IO_ERROR} if RocksDB cannot open it, {@link
   *     ErrorCode#CORRUPT_DATA} if the stored progress record is damaged
   */
  public RocksSyncStore(Path dir, boolean syncWrites) {
    this(dir, syncWrites, POINT_DELETES);
  }

  /**
   * @param pointDeletes replaced ranges holding up to this many keys delete them one by one, larger
   *     ones take a range delete (tests lower it to cover both)
   */
  RocksSyncStore(Path dir, boolean syncWrites, int pointDeletes) {
    this.dir = dir;
    this.pointDeletes = pointDeletes;
    this.syncWrites = syncWrites;
    try {
      Files.createDirectories(dir);
    } catch (IOException e) {
      throw new FerryException(
          ErrorCode.IO_ERROR, "cannot create sync staging directory " + dir, e);
    }
    blockCache = new LRUCache(BLOCK_CACHE_BYTES);
    bloomFilter = new BloomFilter(10, false);
    BlockBasedTableConfig table =
        new BlockBasedTableConfig()
            .setBlockCache(blockCache)
            .setFilterPolicy(bloomFilter)
            .setBlockSize(16 * 1024)
            .setCacheIndexAndFilterBlocks(true)
            .setPinL0FilterAndIndexBlocksInCache(true);
    stagedOptions =
        new ColumnFamilyOptions()
            .setTableFormatConfig(table)
            .setCompressionType(CompressionType.LZ4_COMPRESSION)
            .setWriteBufferSize(64L << 20)
            .setMaxWriteBufferNumber(3)
            .setLevelCompactionDynamicLevelBytes(true);
    // One small record, rewritten on every apply.
    progressOptions = new ColumnFamilyOptions().setWriteBufferSize(4L << 20);
    dbOptions =
        new DBOptions()
            .setCreateIfMissing(true)
            .setCreateMissingColumnFamilies(true)
            .setMaxBackgroundJobs(
                Math.max(2, Math.min(4, Runtime.getRuntime().availableProcessors())))
            .setBytesPerSync(1L << 20);
    List<ColumnFamilyDescriptor> descriptors =
        List.of(
            new ColumnFamilyDescriptor(RocksDB.DEFAULT_COLUMN_FAMILY, progressOptions),
            new ColumnFamilyDescriptor(bytes(STAGED), stagedOptions),
            new ColumnFamilyDescriptor(bytes(PROGRESS), progressOptions));
    try {
      db = RocksDB.open(dbOptions, dir.toString(), descriptors, handles);
    } catch (RocksDBException e) {
      release(stagedOptions, progressOptions, dbOptions, blockCache, bloomFilter);
      throw new FerryException(
          ErrorCode.IO_ERROR,
          "cannot open the sync staging store in " + dir + ": " + e.getMessage(),
          e);
    }
    stagedCf = handles.get(1);
    progressCf = handles.get(2);
    writeOptions = new WriteOptions().setSync(syncWrites);
    try {
      byte[] record = db.get(progressCf, PROGRESS_KEY);
      progress = record == null ? null : ProgressRecord.decode(record);
    } catch (RocksDBException | FerryException e) {
      closeNative();
      if (e instanceof FerryException fe) {
        throw new FerryException(
            fe.code(),
            fe.getMessage()
                + " in the sync staging store "
                + dir
                + "; delete that directory to restart the sync from scratch",
            e);
      }
      throw ioError("read", (RocksDBException) e);
    }
  }

  /**
   * Deletes the staging store in {@code dir} when it holds no sync in progress (no progress record:
   * its sync finished, or never staged anything), so that its files do not outlive the sync. A
   * store with progress stays (a sync resumes from it), and so does one that is open here or in
   * another process (RocksDB's lock refuses the check), or that cannot be read.
   *
   * @return true if the directory was deleted
   */
  public static boolean deleteIfFinished(Path dir) {
    if (!Files.isDirectory(dir, LinkOption.NOFOLLOW_LINKS)) {
      return false;
    }
    try (RocksSyncStore store = new RocksSyncStore(dir, true)) {
      if (store.target().isPresent()) {
        return false;
      }
    } catch (FerryException e) {
      log.info("leaving the sync staging store in {}: {}", dir, e.getMessage());
      return false;
    }
    long[] filesAndBytes = new long[2];
    try (Stream<Path> walk = Files.walk(dir)) {
      for (Path p : walk.sorted(Comparator.reverseOrder()).toList()) {
        if (Files.isRegularFile(p, LinkOption.NOFOLLOW_LINKS)) {
          filesAndBytes[0]++;
          filesAndBytes[1] += Files.size(p);
        }
        Files.delete(p);
      }
    } catch (IOException | UncheckedIOException e) {
      log.warn("cannot delete the finished sync's staging store in {}: {}", dir, e.toString());
      return false;
    }
    log.info(
        "removed the staging store of a finished sync in {} ({} files, {} bytes)",
        dir,
        filesAndBytes[0],
        filesAndBytes[1]);
    return true;
  }

  private static byte[] bytes(String name) {
    return name.getBytes(StandardCharsets.US_ASCII);
  }

  /** Whether every apply and clear is fsynced (true unless opened so for a test or benchmark). */
  public boolean syncWrites() {
    return syncWrites;
  }

  // ------------------------------------------------------------------ progress

  @Override
  public Optional<Hash> target() {
    ProgressRecord p = progress;
    return p == null ? Optional.empty() : Optional.of(p.target());
  }

  @Override
  public List<CompletedRange> progress() {
    ProgressRecord p = progress;
    return p == null ? List.of() : p.ranges();
  }

  // ------------------------------------------------------------------ writes

  @Override
  public void apply(
      Optional<KeyRange> replace,
      List<KeyChange> changes,
      Hash target,
      List<CompletedRange> progress) {
    ProgressRecord record = new ProgressRecord(target, progress);
    byte[] encoded = record.encode();
    writer.lock();
    try {
      read(
          () -> {
            try (WriteBatch batch = new WriteBatch()) {
              if (replace.isPresent()) {
                deleteRange(batch, replace.get());
              }
              for (KeyChange c : changes) {
                if (c.value().isPresent()) {
                  batch.put(stagedCf, c.key().unsafeArray(), c.value().get().unsafeArray());
                } else {
                  batch.delete(stagedCf, c.key().unsafeArray());
                }
              }
              batch.put(progressCf, PROGRESS_KEY, encoded);
              db.write(writeOptions, batch);
            } catch (RocksDBException e) {
              throw ioError("write", e);
            }
            this.progress = record;
            return null;
          });
    } finally {
      writer.unlock();
    }
  }

  /**
   * Adds to {@code batch} a delete of every staged key in {@code range} (inclusive at both ends).
   * Up to {@link #POINT_DELETES} keys are deleted one by one (the common case: a range proof
   * replacing a range that held a proof's worth of keys, or none), which keeps range tombstones
   * (consulted by every later read) out of the store and {@link #keyCount}'s estimate right. More
   * take one range delete, whose end is exclusive in RocksDB: the successor of the range's end
   * ({@code end} + 0x00) or, for an unbounded end, of the last stored key, as no byte string sorts
   * after every key. Callers hold the writer lock, so what is read here is what the batch applies
   * to.
   */
  private void deleteRange(WriteBatch batch, KeyRange range) throws RocksDBException {
    byte[] from = range.start().map(Bytes::unsafeArray).orElse(EMPTY);
    byte[] to = range.end().map(e -> exclusiveEnd(e.unsafeArray())).orElse(null);
    List<byte[]> found = new ArrayList<>();
    Slice upper = to == null ? null : new Slice(to);
    try (ReadOptions ro = new ReadOptions()) {
      if (upper != null) {
        ro.setIterateUpperBound(upper);
      }
      try (RocksIterator it = db.newIterator(stagedCf, ro)) {
        for (it.seek(from); it.isValid() && found.size() < pointDeletes; it.next()) {
          found.add(it.key());
        }
        it.status();
        if (!it.isValid()) {
          for (byte[] key : found) {
            batch.delete(stagedCf, key);
          }
          return;
        }
        if (to == null) {
          it.seekToLast();
          if (!it.isValid()) {
            it.status();
            throw new FerryException(
                ErrorCode.INTERNAL, "no last key in the sync staging store in " + dir);
          }
          to = exclusiveEnd(it.key());
        }
      }
    } finally {
      if (upper != null) {
        upper.close();
      }
    }
    batch.deleteRange(stagedCf, from, to);
  }

  /** The smallest byte string above {@code key}: a RocksDB exclusive bound for an inclusive end. */
  private static byte[] exclusiveEnd(byte[] key) {
    return Arrays.copyOf(key, key.length + 1);
  }

  /**
   * Deletes every staged key and the progress in one write, then drops and recreates the staged
   * column family and flushes the others, which frees the data's files and write-ahead log at once
   * and zeroes {@link #keyCount}. Open iterators are invalidated.
   */
  @Override
  public void clear() {
    lifecycle.writeLock().lock();
    try {
      checkOpen();
      invalidateCursors("cleared");
      try (WriteBatch batch = new WriteBatch()) {
        deleteRange(batch, KeyRange.ALL);
        batch.delete(progressCf, PROGRESS_KEY);
        db.write(writeOptions, batch);
        progress = null;
        // Logically empty from here on; a crash before the column family is back leaves it to
        // the next open, which creates missing column families.
        db.dropColumnFamily(stagedCf);
        ColumnFamilyHandle old = stagedCf;
        stagedCf = null;
        handles.remove(old);
        old.close();
        stagedCf = db.createColumnFamily(new ColumnFamilyDescriptor(bytes(STAGED), stagedOptions));
        handles.add(stagedCf);
        // The write-ahead log still holds every staged write, kept alive by the progress
        // family's memtable; flushing it makes the log obsolete, so RocksDB deletes it and a
        // finished sync leaves no copy of its data behind.
        try (FlushOptions flush = new FlushOptions().setWaitForFlush(true)) {
          db.flush(flush, List.of(db.getDefaultColumnFamily(), progressCf));
        }
      } catch (RocksDBException e) {
        throw ioError("clear", e);
      }
    } finally {
      lifecycle.writeLock().unlock();
    }
  }

  // ------------------------------------------------------------------ reads

  @Override
  public Optional<Bytes> get(Bytes key) {
    return read(
        () -> {
          try {
            byte[] v = db.get(stagedCf, key.unsafeArray());
            return v == null ? Optional.empty() : Optional.of(Bytes.wrap(v));
          } catch (RocksDBException e) {
            throw ioError("read", e);
          }
        });
  }

  @Override
  public List<KeyValue> scan(KeyRange range) {
    return read(
        () -> {
          List<KeyValue> out = new ArrayList<>();
          Slice upper = range.end().map(e -> new Slice(exclusiveEnd(e.unsafeArray()))).orElse(null);
          try (ReadOptions ro = new ReadOptions()) {
            if (upper != null) {
              ro.setIterateUpperBound(upper);
            }
            try (RocksIterator it = db.newIterator(stagedCf, ro)) {
              it.seek(range.start().map(Bytes::unsafeArray).orElse(EMPTY));
              for (; it.isValid(); it.next()) {
                out.add(new KeyValue(Bytes.wrap(it.key()), Bytes.wrap(it.value())));
              }
              it.status();
            }
          } catch (RocksDBException e) {
            throw ioError("read", e);
          } finally {
            if (upper != null) {
              upper.close();
            }
          }
          return out;
        });
  }

  /**
   * Streams every staged key-value in key order, from one consistent view (the RocksDB iterator's
   * implicit snapshot): writes made meanwhile are not seen. The caller must exhaust it or {@link
   * Cursor#close close} it, or it pins RocksDB resources until the store closes.
   */
  @Override
  public Cursor iterator() {
    return read(
        () -> {
          Cursor c = new Cursor();
          cursors.add(c);
          c.advance();
          return c;
        });
  }

  /**
   * The number of staged keys: counted exactly while below {@value #EXACT_COUNT_BELOW}, otherwise
   * RocksDB's estimate (which counts keys under range deletes until compaction drops them).
   */
  @Override
  public long keyCount() {
    return read(
        () -> {
          try {
            long estimate = db.getLongProperty(stagedCf, "rocksdb.estimate-num-keys");
            if (estimate >= EXACT_COUNT_BELOW) {
              return estimate;
            }
            long counted = 0;
            try (ReadOptions ro = new ReadOptions().setFillCache(false);
                RocksIterator it = db.newIterator(stagedCf, ro)) {
              for (it.seekToFirst(); it.isValid() && counted < EXACT_COUNT_BELOW; it.next()) {
                counted++;
              }
              it.status();
            }
            return counted < EXACT_COUNT_BELOW ? counted : Math.max(estimate, counted);
          } catch (RocksDBException e) {
            throw ioError("read", e);
          }
        });
  }

  /**
   * An iterator over the staged key-values that holds a RocksDB iterator until it is exhausted or
   * closed. One thread at a time.
   */
  public final class Cursor implements Iterator<KeyValue>, AutoCloseable {
    private final ReadOptions options = new ReadOptions().setFillCache(false);
    private final RocksIterator it = db.newIterator(stagedCf, options);
    private KeyValue next;
    // Set by the store's thread on close or clear: invalidated before released, read in the
    // opposite order, so a cursor found released without a reason really ended.
    private volatile boolean released;
    private volatile String invalidated; // why the store took it away, if it did

    private Cursor() {
      it.seekToFirst();
    }

    /** Reads the next entry into {@link #next}; releases the iterator at the end. */
    private void advance() {
      next = null;
      if (!it.isValid()) {
        try {
          it.status();
        } catch (RocksDBException e) {
          throw ioError("read", e);
        } finally {
          release(null);
        }
        return;
      }
      next = new KeyValue(Bytes.wrap(it.key()), Bytes.wrap(it.value()));
      it.next();
    }

    @Override
    public boolean hasNext() {
      checkValid();
      return next != null;
    }

    @Override
    public KeyValue next() {
      checkValid();
      if (next == null) {
        throw new NoSuchElementException();
      }
      KeyValue out = next;
      if (!released) {
        read(
            () -> {
              checkValid();
              advance();
              return null;
            });
      } else {
        next = null;
      }
      return out;
    }

    private void checkValid() {
      if (invalidated != null) {
        throw new FerryException(
            ErrorCode.ILLEGAL_STATE,
            "the sync staging store in " + dir + " was " + invalidated + " during iteration");
      }
    }

    /** Frees the RocksDB iterator; the cursor then ends. Idempotent. */
    @Override
    public void close() {
      release(null);
    }

    private synchronized void release(String reason) {
      if (released) {
        return;
      }
      invalidated = reason;
      released = true;
      it.close();
      options.close();
      cursors.remove(this);
    }
  }

  private void invalidateCursors(String reason) {
    for (Cursor c : List.copyOf(cursors)) {
      c.release(reason);
    }
  }

  // ------------------------------------------------------------------ lifecycle

  @FunctionalInterface
  private interface Read<T> {
    T run();
  }

  /** Runs {@code r} under the lifecycle read lock on an open store. */
  private <T> T read(Read<T> r) {
    lifecycle.readLock().lock();
    try {
      checkOpen();
      return r.run();
    } finally {
      lifecycle.readLock().unlock();
    }
  }

  private void checkOpen() {
    if (closed) {
      throw new FerryException(
          ErrorCode.ILLEGAL_STATE, "the sync staging store in " + dir + " is closed");
    }
    if (stagedCf == null) {
      throw new FerryException(
          ErrorCode.IO_ERROR,
          "the sync staging store in " + dir + " failed to recreate its data; reopen it");
    }
  }

  private FerryException ioError(String what, RocksDBException e) {
    return new FerryException(
        ErrorCode.IO_ERROR,
        "sync staging store " + what + " failed in " + dir + ": " + e.getMessage(),
        e);
  }

  /** Closes the store; open iterators are invalidated. Idempotent. */
  @Override
  public void close() {
    lifecycle.writeLock().lock();
    try {
      if (closed) {
        return;
      }
      closed = true;
      invalidateCursors("closed");
      try {
        db.syncWal();
      } catch (RocksDBException ignored) {
        // nothing more can be done on close; the WAL was synced per write if syncWrites was set
      }
      closeNative();
    } finally {
      lifecycle.writeLock().unlock();
    }
  }

  private void closeNative() {
    for (ColumnFamilyHandle h : handles) {
      h.close();
    }
    db.close();
    release(writeOptions, stagedOptions, progressOptions, dbOptions, blockCache, bloomFilter);
  }

  private static void release(AutoCloseable... resources) {
    for (AutoCloseable r : resources) {
      try {
        if (r != null) {
          r.close();
        }
      } catch (Exception ignored) {
        // releasing native memory cannot meaningfully fail
      }
    }
  }
}
