package io.ferry.merkledb.store;

import java.util.Iterator;
import java.util.Map;

/**
 * The embedded key-value store under a MerkleDB: {@link RocksStore} on disk in every real use,
 * {@link MemoryStore} for unit tests.
 *
 * <p>Implementations are thread-safe: reads may run during a write, and see it all or not at all.
 */
public interface KvStore extends StoreReader, AutoCloseable {
  /** A consistent point-in-time reader. */
  StoreSnapshot snapshot();

  /** Applies the batch atomically: after a crash at any instant, all of it or none is there. */
  void write(WriteBatch batch);

  /**
   * Adds sorted, unique entries to a column that holds no keys in their range, as fast as the store
   * can (RocksDB: SST files ingested directly). Not atomic: callers make the data reachable only by
   * a later {@link #write}.
   */
  void ingestSorted(Column column, Iterator<Map.Entry<byte[], byte[]>> sorted);

  /**
   * Writes without the durability of {@link #write} (no write-ahead log) for bulk loads; {@link
   * #flush()} makes them durable.
   */
  void writeUnlogged(WriteBatch batch);

  /** Makes every write so far durable. */
  void flush();

  @Override
  void close();
}
