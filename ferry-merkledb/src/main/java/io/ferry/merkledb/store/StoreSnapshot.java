package io.ferry.merkledb.store;

/**
 * Reads of one point in time: writes that land after it was taken are not seen. Close it to let the
 * store reclaim space. Thread-safe.
 */
public interface StoreSnapshot extends StoreReader, AutoCloseable {
  @Override
  void close();
}
