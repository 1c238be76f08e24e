package io.ferry.merkledb.store;

/**
 * The embedded key-value store under a MerkleDB and under the proof sync's staging store: {@link
 * RocksStore} on disk in every real use, {@link MemoryStore} for unit tests, and the simulator's
 * store on its simulated disk. Each user names the {@link Column columns} it keeps.
 *
 * <p>Implementations are thread-safe: reads may run during a write, and see it all or not at all.
 */
public interface KvStore extends StoreReader, AutoCloseable {
  /** A consistent point-in-time reader. */
  StoreSnapshot snapshot();

  /** Applies the batch atomically: after a crash at any instant, all of it or none is there. */
  void write(WriteBatch batch);

  /**
   * Whether a {@link #write} is durable when it returns (fsynced: it survives power loss, not only
   * the death of the process).
   */
  boolean syncWrites();

  /**
   * Makes every {@link #write} that has returned durable (it survives power loss), for a caller
   * that needs one point of durability after many writes without syncing each one. The default does
   * nothing, which is right for a store that syncs every write or keeps nothing on disk; a store on
   * disk that does not sync each write overrides it.
   */
  default void sync() {}

  /**
   * The number of keys in {@code column}: exact in memory; on disk an estimate (RocksDB's, which
   * still counts keys under a range delete until a compaction drops them).
   */
  long estimateKeys(Column column);

  /**
   * Empties {@code column} for good and frees its space now, not at a later compaction: its files
   * and the write-ahead log that still held its writes. It is no write batch: callers that need the
   * keys gone atomically with other changes delete them in a {@link #write} first ({@link
   * WriteBatch#deleteFrom}), and truncate after. Writes wait for it; iterators and snapshots opened
   * before may still see the old keys.
   */
  void truncate(Column column);

  /**
   * A writer for sorted, unique entries into a column that holds no keys in their range, as fast as
   * the store can take them (RocksDB: SST files ingested whole). Nothing is visible until {@link
   * SortedWriter#commit()}; callers make the data reachable only by a later {@link #write}.
   */
  SortedWriter sortedWriter(Column column);

  @Override
  void close();
}
