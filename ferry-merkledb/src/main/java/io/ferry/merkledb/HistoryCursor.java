package io.ferry.merkledb;

import io.ferry.core.Bytes;
import io.ferry.core.KeyRange;
import io.ferry.merkledb.store.Column;
import io.ferry.merkledb.store.StoreIterator;
import io.ferry.merkledb.store.StoreSnapshot;

/**
 * The history records of one height whose keys fall in a range, in key order: one input of the
 * merge that finds the changes between two heights. Ordered by current key, then height, so that a
 * merge meets a key's records oldest first. Counts every record it reads into a shared counter. Not
 * thread-safe; close it when done.
 */
final class HistoryCursor implements Comparable<HistoryCursor>, AutoCloseable {
  private final long height;
  private final StoreIterator it;
  private final long[] read;
  private Bytes key;

  HistoryCursor(StoreSnapshot snap, long height, KeyRange range, long[] read) {
    this(
        snap,
        height,
        range
            .start()
            .map(s -> HistoryRecord.storageKey(height, s))
            .orElse(HistoryRecord.heightPrefix(height)),
        range
            .end()
            .map(e -> RevisionReader.exclusiveEnd(HistoryRecord.storageKey(height, e)))
            .orElse(HistoryRecord.heightPrefix(height + 1)),
        read);
  }

  /** The records of {@code height} whose keys are at least {@code from} and below {@code below}. */
  static HistoryCursor below(
      StoreSnapshot snap, long height, Bytes from, byte[] below, long[] read) {
    return new HistoryCursor(
        snap,
        height,
        HistoryRecord.storageKey(height, from),
        HistoryRecord.storageKey(height, Bytes.wrap(below)),
        read);
  }

  private HistoryCursor(StoreSnapshot snap, long height, byte[] from, byte[] to, long[] read) {
    this.height = height;
    this.read = read;
    this.it = snap.scan(Column.HISTORY, from, to);
  }

  /** Moves to the next record; false when the height has none left in the range. */
  boolean next() {
    if (!it.next()) {
      key = null;
      return false;
    }
    read[0]++;
    key = HistoryRecord.keyOf(it.key());
    return true;
  }

  Bytes key() {
    return key;
  }

  HistoryRecord record() {
    return HistoryRecord.decode(it.value());
  }

  @Override
  public int compareTo(HistoryCursor o) {
    int c = key.compareTo(o.key);
    return c != 0 ? c : Long.compare(height, o.height);
  }

  @Override
  public void close() {
    it.close();
  }
}
