package io.ferry.merkledb.store;

/**
 * Streams entries in ascending key order into one column, bypassing the write path. Not
 * thread-safe. Close without {@link #commit()} to abandon what was written.
 */
public interface SortedWriter extends AutoCloseable {
  /** Adds an entry; keys must strictly increase. */
  void put(byte[] key, byte[] value);

  /** Makes everything put so far part of the store. */
  void commit();

  @Override
  void close();
}
