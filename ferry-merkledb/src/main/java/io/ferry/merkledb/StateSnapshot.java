package io.ferry.merkledb;

/**
 * A committed revision held still for reading: commits that land meanwhile are not seen. Close it
 * when done. Thread-safe.
 */
public interface StateSnapshot extends TrieReader, AutoCloseable {
  Revision revision();

  @Override
  void close();
}
