package io.ferry.merkledb.store;

/** Reads a store's columns. Implementations are thread-safe. */
public interface StoreReader {
  /** The value at {@code key}, or null. */
  byte[] get(Column column, byte[] key);

  /**
   * The entries with {@code from <= key < to} in unsigned byte order.
   *
   * @param from inclusive lower bound, or null for the first key
   * @param to exclusive upper bound, or null for past the last key
   */
  StoreIterator scan(Column column, byte[] from, byte[] to);
}
