package io.ferry.merkledb.store;

/**
 * A forward cursor over a column. Close it when done (a RocksDB iterator holds native memory). Not
 * thread-safe.
 */
public interface StoreIterator extends AutoCloseable {
  /** Moves to the next entry; false when there is none. Call before reading the first one. */
  boolean next();

  byte[] key();

  byte[] value();

  @Override
  void close();
}
