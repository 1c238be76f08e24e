package io.ferry.merkledb.store;

import io.ferry.core.ErrorCode;
import io.ferry.core.FerryException;
import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.Collections;
import java.util.HashSet;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.locks.Lock;
import java.util.concurrent.locks.ReentrantReadWriteLock;
import org.rocksdb.BlockBasedTableConfig;
import org.rocksdb.BloomFilter;
import org.rocksdb.ColumnFamilyDescriptor;
import org.rocksdb.ColumnFamilyHandle;
import org.rocksdb.ColumnFamilyOptions;
import org.rocksdb.CompressionType;
import org.rocksdb.DBOptions;
import org.rocksdb.EnvOptions;
import org.rocksdb.FlushOptions;
import org.rocksdb.IngestExternalFileOptions;
import org.rocksdb.LRUCache;
import org.rocksdb.Options;
import org.rocksdb.ReadOptions;
import org.rocksdb.RocksDB;
import org.rocksdb.RocksDBException;
import org.rocksdb.RocksIterator;
import org.rocksdb.Slice;
import org.rocksdb.Snapshot;
import org.rocksdb.SstFileWriter;
import org.rocksdb.WriteOptions;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * The store on disk, and the one class that opens, configures and closes RocksDB: one database with
 * a column family per {@link Column} it is opened with (a MerkleDB's, or the proof sync's staging
 * store's) besides RocksDB's unused {@code default}. Atomic batches go through the write-ahead log
 * (synced to disk when {@code syncWrites}), so a process killed at any instant reopens with each
 * batch wholly applied or not at all.
 *
 * <p>Thread-safe. Writes run concurrently, except those with an open-ended range delete ({@link
 * WriteBatch#deleteFrom}, which must find the column's last key) and {@link #truncate}, which run
 * alone. Closing waits (up to {@link #CLOSE_WAIT}) for calls in progress and for open iterators and
 * sorted writers to be closed, so native memory is never freed under a reader; calls after close,
 * also through a snapshot taken before, fail with {@link ErrorCode#ILLEGAL_STATE}.
 */
public final class RocksStore implements KvStore {
  static {
    RocksDB.loadLibrary();
  }

  /** How long {@link #close} waits for the store's users before it gives up freeing it. */
  static final Duration CLOSE_WAIT = Duration.ofSeconds(30);

  private static final Logger log = LoggerFactory.getLogger(RocksStore.class);

  private final Path dir;
  private final RocksDB db;
  private final DBOptions dbOptions;
  private final ColumnFamilyOptions cfOptions;
  private final ColumnFamilyOptions nodeOptions;
  private final ColumnFamilyOptions smallOptions;
  private final ColumnFamilyOptions blobOptions;
  private final LRUCache blockCache;
  private final BloomFilter bloomFilter;
  private final boolean syncWrites;
  // Every handle opened, closed with the store: a truncated column's old handle stays valid for
  // readers that took it (RocksDB keeps a dropped family readable through its handles).
  private final List<ColumnFamilyHandle> handles = Collections.synchronizedList(new ArrayList<>());
  private final ColumnFamilyHandle defaultFamily;
  private final Set<Column> opened;
  // The live handle of each column; a truncate replaces it, and removes it if it fails midway.
  private final Map<Column, ColumnFamilyHandle> columns = new ConcurrentHashMap<>();
  private final WriteOptions writeOptions;
  private final Leases leases = new Leases();
  // Read side: ordinary writes; write side: writes that delete to a column's end, and truncates.
  private final ReentrantReadWriteLock writeOrder = new ReentrantReadWriteLock();
  private boolean closed; // guarded by this

  /**
   * Opens (creating if needed) the MerkleDB store in {@code dir}: the columns {@link
   * Column#MERKLEDB}.
   *
   * @param blockCacheBytes RocksDB block cache size
   * @param syncWrites fsync the write-ahead log on every atomic write (survives power loss, not
   *     only process death)
   */
  public RocksStore(Path dir, long blockCacheBytes, boolean syncWrites) {
    this(dir, blockCacheBytes, syncWrites, Column.MERKLEDB);
  }

  /**
   * Opens (creating if needed) the store in {@code dir} with {@code columns}, creating those it
   * lacks.
   *
   * @param blockCacheBytes RocksDB block cache size
   * @param syncWrites fsync the write-ahead log on every atomic write (survives power loss, not
   *     only process death)
   * @param columns every column the store holds, each name once; a directory that holds column
   *     families besides them fails to open (RocksDB opens all or none)
   * @throws FerryException {@link ErrorCode#IO_ERROR} if RocksDB cannot open it
   */
  public RocksStore(Path dir, long blockCacheBytes, boolean syncWrites, List<Column> columns) {
    Set<String> names = new HashSet<>();
    for (Column c : columns) {
      if (!names.add(c.familyName())) {
        throw new IllegalArgumentException("column '" + c + "' is listed twice");
      }
    }
    this.dir = dir;
    this.syncWrites = syncWrites;
    this.opened = Set.copyOf(columns);
    try {
      Files.createDirectories(dir);
    } catch (IOException e) {
      throw new FerryException(ErrorCode.IO_ERROR, "cannot create store directory " + dir, e);
    }
    blockCache = new LRUCache(blockCacheBytes);
    bloomFilter = new BloomFilter(10, false);
    BlockBasedTableConfig table =
        new BlockBasedTableConfig()
            .setBlockCache(blockCache)
            .setFilterPolicy(bloomFilter)
            .setBlockSize(BLOCK_BYTES)
            .setCacheIndexAndFilterBlocks(true)
            .setPinL0FilterAndIndexBlocksInCache(true);
    cfOptions =
        new ColumnFamilyOptions()
            .setTableFormatConfig(table)
            .setCompressionType(CompressionType.LZ4_COMPRESSION)
            .setWriteBufferSize(64L * 1024 * 1024)
            .setMaxWriteBufferNumber(4)
            .setLevelCompactionDynamicLevelBytes(true);
    // Trie nodes are mostly hashes (ids) and random key suffixes: LZ4 saves about a fifth of
    // their size and costs CPU in every flush, compaction and block read, which matters more.
    nodeOptions =
        new ColumnFamilyOptions()
            .setTableFormatConfig(table)
            .setCompressionType(CompressionType.NO_COMPRESSION)
            .setWriteBufferSize(64L * 1024 * 1024)
            .setMaxWriteBufferNumber(4)
            .setLevelCompactionDynamicLevelBytes(true);
    smallOptions =
        new ColumnFamilyOptions()
            .setTableFormatConfig(table)
            .setCompressionType(CompressionType.LZ4_COMPRESSION)
            .setWriteBufferSize(SMALL_WRITE_BUFFER_BYTES);
    // Large values written once: a flush writes them to blob files and the tables hold only
    // references, so compaction rewrites keys, not the values. A blob file is deleted once
    // compaction has seen every value in it deleted; blob garbage collection, which also moves the
    // live values out of the oldest files on every compaction, stays off: filling a store with
    // 64 KiB values it cost a third more CPU and disk writes. Values are usually compressed
    // already (dataset blocks), so not again.
    blobOptions =
        new ColumnFamilyOptions()
            .setTableFormatConfig(table)
            .setCompressionType(CompressionType.LZ4_COMPRESSION)
            .setWriteBufferSize(64L * 1024 * 1024)
            .setMaxWriteBufferNumber(4)
            .setLevelCompactionDynamicLevelBytes(true)
            .setEnableBlobFiles(true)
            .setMinBlobSize(MIN_BLOB_BYTES)
            .setBlobCompressionType(CompressionType.NO_COMPRESSION)
            .setEnableBlobGarbageCollection(false);
    dbOptions =
        new DBOptions()
            .setCreateIfMissing(true)
            .setCreateMissingColumnFamilies(true)
            .setMaxBackgroundJobs(Math.max(2, Runtime.getRuntime().availableProcessors()))
            .setBytesPerSync(1L << 20);
    List<ColumnFamilyDescriptor> descriptors = new ArrayList<>();
    // RocksDB's own family: never written, so it takes the small write buffer.
    descriptors.add(new ColumnFamilyDescriptor(RocksDB.DEFAULT_COLUMN_FAMILY, smallOptions));
    for (Column c : columns) {
      descriptors.add(descriptor(c));
    }
    List<ColumnFamilyHandle> openedHandles = new ArrayList<>();
    try {
      db = RocksDB.open(dbOptions, dir.toString(), descriptors, openedHandles);
    } catch (RocksDBException e) {
      close(cfOptions, nodeOptions, smallOptions, blobOptions, dbOptions, blockCache, bloomFilter);
      throw new FerryException(
          ErrorCode.IO_ERROR, "cannot open the store in " + dir + ": " + e.getMessage(), e);
    }
    handles.addAll(openedHandles);
    defaultFamily = openedHandles.get(0);
    for (int i = 0; i < columns.size(); i++) {
      this.columns.put(columns.get(i), openedHandles.get(i + 1));
    }
    writeOptions = new WriteOptions().setSync(syncWrites);
  }

  /** Size of a table block: what RocksDB reads, caches and compresses as one. */
  private static final int BLOCK_BYTES = 16 * 1024;

  /** Write buffer of a {@link Column#small()} column: a few small records, rewritten often. */
  private static final long SMALL_WRITE_BUFFER_BYTES = 4L << 20;

  /** Values of a {@link Column#blob()} column this long or longer go to blob files. */
  private static final long MIN_BLOB_BYTES = 4096;

  private ColumnFamilyDescriptor descriptor(Column c) {
    return new ColumnFamilyDescriptor(c.familyName().getBytes(StandardCharsets.UTF_8), options(c));
  }

  private ColumnFamilyOptions options(Column c) {
    if (c.equals(Column.NODES)) {
      return nodeOptions;
    }
    return c.small() ? smallOptions : c.blob() ? blobOptions : cfOptions;
  }

  @Override
  public boolean syncWrites() {
    return syncWrites;
  }

  /** Fsyncs the write-ahead log, unless every write did already. */
  @Override
  public void sync() {
    if (syncWrites) {
      return;
    }
    acquire();
    try {
      db.syncWal();
    } catch (RocksDBException e) {
      throw ioError("sync", e);
    } finally {
      leases.release();
    }
  }

  /** Takes a lease on the open store; the caller releases it when its native use ends. */
  private void acquire() {
    if (!leases.tryAcquire()) {
      throw new FerryException(ErrorCode.ILLEGAL_STATE, "the store in " + dir + " is closed");
    }
  }

  private ColumnFamilyHandle cf(Column c) {
    ColumnFamilyHandle h = columns.get(c);
    if (h == null) {
      if (opened.contains(c)) {
        throw new FerryException(
            ErrorCode.IO_ERROR,
            "column '" + c + "' of the store in " + dir + " failed to be recreated; reopen it");
      }
      throw new FerryException(
          ErrorCode.INVALID_ARGUMENT, "the store in " + dir + " has no column '" + c + "'");
    }
    return h;
  }

  @Override
  public byte[] get(Column column, byte[] key) {
    acquire();
    try {
      return db.get(cf(column), key);
    } catch (RocksDBException e) {
      throw ioError("read", e);
    } finally {
      leases.release();
    }
  }

  @Override
  public StoreIterator scan(Column column, byte[] from, byte[] to) {
    return iterator(column, from, to, null);
  }

  /** An iterator holding a lease until it is closed; {@code snapshot} null reads the latest. */
  private StoreIterator iterator(Column column, byte[] from, byte[] to, Snapshot snapshot) {
    acquire();
    ReadOptions ro = new ReadOptions();
    Slice upper = to == null ? null : new Slice(to);
    if (upper != null) {
      ro.setIterateUpperBound(upper);
    }
    if (snapshot != null) {
      ro.setSnapshot(snapshot);
    }
    RocksIterator it;
    try {
      it = db.newIterator(cf(column), ro);
      if (from == null) {
        it.seekToFirst();
      } else {
        it.seek(from);
      }
    } catch (RuntimeException e) {
      close(ro, upper);
      leases.release();
      throw e;
    }
    return new StoreIterator() {
      boolean started;
      boolean released;

      /** Using a closed iterator would read freed native memory. */
      private void checkLive() {
        if (released) {
          throw new FerryException(
              ErrorCode.ILLEGAL_STATE, "an iterator of the store in " + dir + " is closed");
        }
      }

      @Override
      public boolean next() {
        checkLive();
        if (started) {
          it.next();
        }
        started = true;
        return it.isValid();
      }

      @Override
      public byte[] key() {
        checkLive();
        return it.key();
      }

      @Override
      public byte[] value() {
        checkLive();
        return it.value();
      }

      @Override
      public void close() {
        if (released) {
          return;
        }
        released = true;
        it.close();
        RocksStore.close(ro, upper);
        leases.release();
      }
    };
  }

  @Override
  public StoreSnapshot snapshot() {
    // A snapshot holds no lease of its own: views keep theirs until collected, and a close must
    // not wait for the garbage collector. Each read takes one; the database frees what is left.
    acquire();
    Snapshot snap;
    try {
      snap = db.getSnapshot();
    } finally {
      leases.release();
    }
    ReadOptions ro = new ReadOptions().setSnapshot(snap);
    return new StoreSnapshot() {
      private volatile boolean released;

      /** Reading a released snapshot would read freed native memory. */
      private void checkLive() {
        if (released) {
          throw new FerryException(
              ErrorCode.ILLEGAL_STATE, "the store snapshot in " + dir + " is closed");
        }
      }

      @Override
      public byte[] get(Column column, byte[] key) {
        checkLive();
        acquire();
        try {
          return db.get(cf(column), ro, key);
        } catch (RocksDBException e) {
          throw ioError("read", e);
        } finally {
          leases.release();
        }
      }

      @Override
      public StoreIterator scan(Column column, byte[] from, byte[] to) {
        checkLive();
        return iterator(column, from, to, snap);
      }

      @Override
      public synchronized void close() {
        if (released) {
          return;
        }
        released = true;
        if (leases.tryAcquire()) {
          try {
            db.releaseSnapshot(snap);
            ro.close();
          } finally {
            leases.release();
          }
        } // else the store is closing, and freeing the database frees its snapshots
      }
    };
  }

  @Override
  public void write(WriteBatch batch) {
    // A delete to a column's end must see its last key as the batch lands: nothing writes between.
    Lock order = batch.deletesToTheEnd() ? writeOrder.writeLock() : writeOrder.readLock();
    acquire();
    order.lock();
    try (org.rocksdb.WriteBatch wb = new org.rocksdb.WriteBatch()) {
      List<WriteBatch.Op> ops = batch.ops();
      for (int i = 0; i < ops.size(); i++) {
        switch (ops.get(i)) {
          case WriteBatch.Put p -> wb.put(cf(p.column()), p.key(), p.value());
          case WriteBatch.Delete d -> wb.delete(cf(d.column()), d.key());
          case WriteBatch.DeleteRange r when r.to() != null ->
              wb.deleteRange(cf(r.column()), r.from(), r.to());
          case WriteBatch.DeleteRange r -> {
            byte[] last = lastKey(r.column(), ops.subList(0, i));
            if (last != null && Arrays.compareUnsigned(r.from(), last) <= 0) {
              wb.deleteRange(cf(r.column()), r.from(), Arrays.copyOf(last, last.length + 1));
            }
          }
        }
      }
      db.write(writeOptions, wb);
    } catch (RocksDBException e) {
      throw ioError("write", e);
    } finally {
      order.unlock();
      leases.release();
    }
  }

  /**
   * The largest key in {@code column}, stored or put by {@code before} (the ops ahead of it in its
   * batch), or null if there is none. A range delete's end is exclusive in RocksDB and no byte
   * string sorts after every key, so a delete to the end stops just past this one.
   */
  private byte[] lastKey(Column column, List<WriteBatch.Op> before) throws RocksDBException {
    byte[] last = null;
    try (RocksIterator it = db.newIterator(cf(column))) {
      it.seekToLast();
      if (it.isValid()) {
        last = it.key();
      } else {
        it.status();
      }
    }
    for (WriteBatch.Op op : before) {
      if (op instanceof WriteBatch.Put p
          && p.column().equals(column)
          && (last == null || Arrays.compareUnsigned(p.key(), last) > 0)) {
        last = p.key();
      }
    }
    return last;
  }

  @Override
  public long estimateKeys(Column column) {
    acquire();
    try {
      return db.getLongProperty(cf(column), "rocksdb.estimate-num-keys");
    } catch (RocksDBException e) {
      throw ioError("read", e);
    } finally {
      leases.release();
    }
  }

  /**
   * Drops the column's family and creates it anew, which frees its files at once (a delete would
   * leave them to compaction), then flushes the other families: the write-ahead log still holds the
   * dropped family's writes, kept alive by their memtables, and once they are flushed RocksDB
   * deletes it. A crash between the drop and the create leaves the family to the next open, which
   * creates missing families.
   */
  @Override
  public void truncate(Column column) {
    acquire();
    writeOrder.writeLock().lock();
    try {
      ColumnFamilyHandle old = cf(column);
      db.dropColumnFamily(old);
      ColumnFamilyHandle fresh;
      try {
        fresh = db.createColumnFamily(descriptor(column));
      } catch (RocksDBException e) {
        columns.remove(column);
        throw e;
      }
      handles.add(fresh);
      columns.put(column, fresh);
      List<ColumnFamilyHandle> others = new ArrayList<>();
      others.add(defaultFamily);
      for (Column c : opened) {
        ColumnFamilyHandle h = columns.get(c);
        if (h != null && !c.equals(column)) {
          others.add(h);
        }
      }
      try (FlushOptions flush = new FlushOptions().setWaitForFlush(true)) {
        db.flush(flush, others);
      }
    } catch (RocksDBException e) {
      throw ioError("truncate", e);
    } finally {
      writeOrder.writeLock().unlock();
      leases.release();
    }
  }

  @Override
  public SortedWriter sortedWriter(Column column) {
    acquire();
    try {
      cf(column);
    } catch (RuntimeException e) {
      leases.release();
      throw e;
    }
    return new SstWriter(column);
  }

  /**
   * Writes SST files of at most 256 MiB each and ingests them all on commit; holds a lease until
   * closed. Each file is compressed as its column is, unless the first entries show that its blocks
   * would not compress ({@link CompressionSample}): then RocksDB would discard every attempt, so
   * none is made.
   */
  private final class SstWriter implements SortedWriter {
    private static final long MAX_FILE_BYTES = 256L << 20;
    private final Column column;
    private final EnvOptions env = new EnvOptions();
    private final Options options;
    private final Options plain; // the column's options without compression
    private final List<String> files = new ArrayList<>();
    private final CompressionSample sample = new CompressionSample(BLOCK_BYTES);
    private SstFileWriter writer;
    private long written;
    private boolean released;

    SstWriter(Column column) {
      this.column = column;
      this.options = new Options(dbOptions, options(column));
      this.plain =
          new Options(dbOptions, options(column))
              .setCompressionType(CompressionType.NO_COMPRESSION);
    }

    @Override
    public void put(byte[] key, byte[] value) {
      if (writer == null) {
        if (sample.add(key, value)) {
          openFile();
        }
        return;
      }
      write(key, value);
      if (written >= MAX_FILE_BYTES) {
        finishFile();
      }
    }

    /** Starts a file, compressed or not as the sample says, and writes the sample into it. */
    private void openFile() {
      Path file = dir.resolve("ingest-" + column.familyName() + "-" + files.size() + ".sst");
      boolean compress =
          options.compressionType() != CompressionType.NO_COMPRESSION && sample.compresses();
      try {
        Files.deleteIfExists(file);
        writer = new SstFileWriter(env, compress ? options : plain);
        writer.open(file.toString());
      } catch (RocksDBException | IOException e) {
        throw bulkError(e);
      }
      files.add(file.toString());
      written = 0;
      sample.replay(this::write);
      if (written >= MAX_FILE_BYTES) {
        finishFile();
      }
    }

    private void write(byte[] key, byte[] value) {
      try {
        writer.put(key, value);
      } catch (RocksDBException e) {
        throw bulkError(e);
      }
      written += key.length + value.length;
    }

    private FerryException bulkError(Exception e) {
      return new FerryException(
          ErrorCode.IO_ERROR, "bulk write into " + dir + " failed: " + e.getMessage(), e);
    }

    private void finishFile() {
      try {
        writer.finish();
      } catch (RocksDBException e) {
        throw bulkError(e);
      } finally {
        writer.close();
        writer = null;
      }
    }

    @Override
    public void commit() {
      if (writer == null && !sample.isEmpty()) {
        openFile();
      }
      if (writer != null) {
        finishFile();
      }
      try {
        if (!files.isEmpty()) {
          try (IngestExternalFileOptions ingest =
              new IngestExternalFileOptions().setMoveFiles(true)) {
            db.ingestExternalFile(cf(column), files, ingest);
          }
        }
      } catch (RocksDBException e) {
        throw new FerryException(
            ErrorCode.IO_ERROR, "bulk ingest into " + dir + " failed: " + e.getMessage(), e);
      }
    }

    @Override
    public void close() {
      if (released) {
        return;
      }
      released = true;
      if (writer != null) {
        writer.close();
      }
      for (String f : files) {
        try {
          Files.deleteIfExists(Path.of(f));
        } catch (IOException ignored) {
          // moved into the database already, or left for the next bulk write to replace
        }
      }
      options.close();
      plain.close();
      env.close();
      leases.release();
    }
  }

  private FerryException ioError(String what, RocksDBException e) {
    return new FerryException(
        ErrorCode.IO_ERROR, "store " + what + " failed in " + dir + ": " + e.getMessage(), e);
  }

  @Override
  public synchronized void close() {
    if (closed) {
      return;
    }
    closed = true;
    boolean drained;
    try {
      drained = leases.closeAndAwait(CLOSE_WAIT);
    } catch (InterruptedException e) {
      Thread.currentThread().interrupt();
      drained = false;
    }
    if (!drained) {
      // Freeing the database now would crash whoever still reads it; leaving it open only leaks
      // it (and its lock) until the process exits.
      log.error(
          "the store in {} is still in use after {} s; it is left open until the process exits",
          dir,
          CLOSE_WAIT.toSeconds());
      return;
    }
    try {
      db.syncWal();
    } catch (RocksDBException ignored) {
      // nothing more can be done on close; the WAL was synced per write if syncWrites was set
    }
    for (ColumnFamilyHandle h : handles) {
      h.close();
    }
    db.close();
    close(
        writeOptions,
        cfOptions,
        nodeOptions,
        smallOptions,
        blobOptions,
        dbOptions,
        blockCache,
        bloomFilter);
  }

  private static void close(AutoCloseable... resources) {
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
