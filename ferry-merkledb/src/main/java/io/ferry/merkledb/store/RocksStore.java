package io.ferry.merkledb.store;

import io.ferry.core.ErrorCode;
import io.ferry.core.FerryException;
import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.EnumMap;
import java.util.List;
import java.util.Map;
import org.rocksdb.BlockBasedTableConfig;
import org.rocksdb.BloomFilter;
import org.rocksdb.ColumnFamilyDescriptor;
import org.rocksdb.ColumnFamilyHandle;
import org.rocksdb.ColumnFamilyOptions;
import org.rocksdb.CompressionType;
import org.rocksdb.DBOptions;
import org.rocksdb.EnvOptions;
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
 * The store on disk: one RocksDB database with a column family per {@link Column}. Atomic batches
 * go through the write-ahead log (synced to disk when {@code syncWrites}), so a process killed at
 * any instant reopens with each batch wholly applied or not at all.
 *
 * <p>Thread-safe. Closing waits (up to {@link #CLOSE_WAIT}) for calls in progress and for open
 * iterators and sorted writers to be closed, so native memory is never freed under a reader; calls
 * after close, also through a snapshot taken before, fail with {@link ErrorCode#ILLEGAL_STATE}.
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
  private final LRUCache blockCache;
  private final BloomFilter bloomFilter;
  private final List<ColumnFamilyHandle> handles = new ArrayList<>();
  private final Map<Column, ColumnFamilyHandle> columns = new EnumMap<>(Column.class);
  private final WriteOptions writeOptions;
  private final Leases leases = new Leases();
  private boolean closed; // guarded by this

  /**
   * Opens (creating if needed) the store in {@code dir}.
   *
   * @param blockCacheBytes RocksDB block cache size
   * @param syncWrites fsync the write-ahead log on every atomic write (survives power loss, not
   *     only process death)
   */
  public RocksStore(Path dir, long blockCacheBytes, boolean syncWrites) {
    this.dir = dir;
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
            .setBlockSize(16 * 1024)
            .setCacheIndexAndFilterBlocks(true)
            .setPinL0FilterAndIndexBlocksInCache(true);
    cfOptions =
        new ColumnFamilyOptions()
            .setTableFormatConfig(table)
            .setCompressionType(CompressionType.LZ4_COMPRESSION)
            .setWriteBufferSize(64L * 1024 * 1024)
            .setMaxWriteBufferNumber(4)
            .setLevelCompactionDynamicLevelBytes(true);
    dbOptions =
        new DBOptions()
            .setCreateIfMissing(true)
            .setCreateMissingColumnFamilies(true)
            .setMaxBackgroundJobs(Math.max(2, Runtime.getRuntime().availableProcessors()))
            .setBytesPerSync(1L << 20);
    List<ColumnFamilyDescriptor> descriptors = new ArrayList<>();
    descriptors.add(new ColumnFamilyDescriptor(RocksDB.DEFAULT_COLUMN_FAMILY, cfOptions));
    for (Column c : Column.values()) {
      descriptors.add(new ColumnFamilyDescriptor(c.familyName().getBytes(), cfOptions));
    }
    try {
      db = RocksDB.open(dbOptions, dir.toString(), descriptors, handles);
    } catch (RocksDBException e) {
      close(cfOptions, dbOptions, blockCache, bloomFilter);
      throw new FerryException(
          ErrorCode.IO_ERROR, "cannot open the store in " + dir + ": " + e.getMessage(), e);
    }
    for (int i = 0; i < Column.values().length; i++) {
      columns.put(Column.values()[i], handles.get(i + 1));
    }
    writeOptions = new WriteOptions().setSync(syncWrites);
  }

  /** Takes a lease on the open store; the caller releases it when its native use ends. */
  private void acquire() {
    if (!leases.tryAcquire()) {
      throw new FerryException(ErrorCode.ILLEGAL_STATE, "the store in " + dir + " is closed");
    }
  }

  private ColumnFamilyHandle cf(Column c) {
    return columns.get(c);
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
    write(batch, writeOptions);
  }

  private void write(WriteBatch batch, WriteOptions options) {
    acquire();
    try (org.rocksdb.WriteBatch wb = new org.rocksdb.WriteBatch()) {
      for (WriteBatch.Op op : batch.ops()) {
        ColumnFamilyHandle h = cf(op.column());
        if (op.rangeEnd() != null) {
          wb.deleteRange(h, op.key(), op.rangeEnd());
        } else if (op.value() == null) {
          wb.delete(h, op.key());
        } else {
          wb.put(h, op.key(), op.value());
        }
      }
      db.write(options, wb);
    } catch (RocksDBException e) {
      throw ioError("write", e);
    } finally {
      leases.release();
    }
  }

  @Override
  public SortedWriter sortedWriter(Column column) {
    acquire();
    return new SstWriter(column);
  }

  /**
   * Writes SST files of at most 256 MiB each and ingests them all on commit; holds a lease until
   * closed.
   */
  private final class SstWriter implements SortedWriter {
    private static final long MAX_FILE_BYTES = 256L << 20;
    private final Column column;
    private final EnvOptions env = new EnvOptions();
    private final Options options = new Options(dbOptions, cfOptions);
    private final List<String> files = new ArrayList<>();
    private SstFileWriter writer;
    private long written;
    private boolean released;

    SstWriter(Column column) {
      this.column = column;
    }

    @Override
    public void put(byte[] key, byte[] value) {
      try {
        if (writer == null) {
          Path file = dir.resolve("ingest-" + column.familyName() + "-" + files.size() + ".sst");
          Files.deleteIfExists(file);
          writer = new SstFileWriter(env, options);
          writer.open(file.toString());
          files.add(file.toString());
          written = 0;
        }
        writer.put(key, value);
        written += key.length + value.length;
        if (written >= MAX_FILE_BYTES) {
          finishFile();
        }
      } catch (RocksDBException | IOException e) {
        throw new FerryException(
            ErrorCode.IO_ERROR, "bulk write into " + dir + " failed: " + e.getMessage(), e);
      }
    }

    private void finishFile() throws RocksDBException {
      writer.finish();
      writer.close();
      writer = null;
    }

    @Override
    public void commit() {
      try {
        if (writer != null) {
          finishFile();
        }
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
    close(writeOptions, cfOptions, dbOptions, blockCache, bloomFilter);
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
