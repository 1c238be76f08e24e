package io.ferry.merkledb.store;

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
   * A writer for sorted, unique entries into a column that holds no keys in their range, as fast as
   * the store can take them (RocksDB: SST files ingested whole). Nothing is visible until {@link
   * SortedWriter#commit()}; callers make the data reachable only by a later {@link #write}.
   */
  SortedWriter sortedWriter(Column column);

  @Override
  void close();
}
