package io.ferry.merkledb;

import io.ferry.merkledb.store.Column;
import io.ferry.merkledb.store.KvStore;
import io.ferry.merkledb.store.SortedWriter;
import io.ferry.merkledb.store.StoreIterator;
import io.ferry.merkledb.store.StoreReader;
import io.ferry.merkledb.store.StoreSnapshot;
import io.ferry.merkledb.store.WriteBatch;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.atomic.AtomicLong;

/**
 * A store that counts what is read from it, per column: point reads, scans opened, and entries a
 * scan returned. Reads through its snapshots count too. Thread-safe.
 */
final class CountingStore implements KvStore {
  private final KvStore store;
  private final ConcurrentHashMap<Column, AtomicLong> gets = new ConcurrentHashMap<>();
  private final ConcurrentHashMap<Column, AtomicLong> scans = new ConcurrentHashMap<>();
  private final ConcurrentHashMap<Column, AtomicLong> entries = new ConcurrentHashMap<>();

  CountingStore(KvStore store) {
    this.store = store;
  }

  private static long count(ConcurrentHashMap<Column, AtomicLong> m, Column c) {
    AtomicLong n = m.get(c);
    return n == null ? 0 : n.get();
  }

  private static void add(ConcurrentHashMap<Column, AtomicLong> m, Column c) {
    m.computeIfAbsent(c, k -> new AtomicLong()).incrementAndGet();
  }

  long gets(Column c) {
    return count(gets, c);
  }

  long scans(Column c) {
    return count(scans, c);
  }

  long entries(Column c) {
    return count(entries, c);
  }

  /** Point reads and entries scanned in {@code c}: the records read. */
  long reads(Column c) {
    return gets(c) + entries(c);
  }

  void reset() {
    gets.clear();
    scans.clear();
    entries.clear();
  }

  private byte[] get(StoreReader r, Column c, byte[] key) {
    add(gets, c);
    return r.get(c, key);
  }

  private StoreIterator scan(StoreReader r, Column c, byte[] from, byte[] to) {
    add(scans, c);
    StoreIterator it = r.scan(c, from, to);
    return new StoreIterator() {
      @Override
      public boolean next() {
        boolean more = it.next();
        if (more) {
          add(entries, c);
        }
        return more;
      }

      @Override
      public byte[] key() {
        return it.key();
      }

      @Override
      public byte[] value() {
        return it.value();
      }

      @Override
      public void close() {
        it.close();
      }
    };
  }

  @Override
  public byte[] get(Column column, byte[] key) {
    return get(store, column, key);
  }

  @Override
  public StoreIterator scan(Column column, byte[] from, byte[] to) {
    return scan(store, column, from, to);
  }

  @Override
  public StoreSnapshot snapshot() {
    StoreSnapshot s = store.snapshot();
    return new StoreSnapshot() {
      @Override
      public byte[] get(Column column, byte[] key) {
        return CountingStore.this.get(s, column, key);
      }

      @Override
      public StoreIterator scan(Column column, byte[] from, byte[] to) {
        return CountingStore.this.scan(s, column, from, to);
      }

      @Override
      public void close() {
        s.close();
      }
    };
  }

  @Override
  public void write(WriteBatch batch) {
    store.write(batch);
  }

  @Override
  public boolean syncWrites() {
    return store.syncWrites();
  }

  @Override
  public long estimateKeys(Column column) {
    return store.estimateKeys(column);
  }

  @Override
  public void truncate(Column column) {
    store.truncate(column);
  }

  @Override
  public SortedWriter sortedWriter(Column column) {
    return store.sortedWriter(column);
  }

  @Override
  public void close() {
    store.close();
  }
}
