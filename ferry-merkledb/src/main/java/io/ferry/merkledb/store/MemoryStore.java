package io.ferry.merkledb.store;

import java.util.Arrays;
import java.util.Collections;
import java.util.Comparator;
import java.util.Iterator;
import java.util.List;
import java.util.Map;
import java.util.NavigableMap;
import java.util.SortedMap;
import java.util.TreeMap;
import java.util.TreeSet;

/**
 * An in-memory store for unit tests and the simulator: never a product default. Copy-on-write, so a
 * snapshot is just the maps of the moment; a write copies the columns it touches. Any column may be
 * used; one never written reads empty. Nothing is durable. Thread-safe.
 */
public final class MemoryStore implements KvStore {
  private static final Comparator<Column> BY_NAME =
      Comparator.comparing(Column::familyName).thenComparing(Column::small);
  private static final NavigableMap<byte[], byte[]> EMPTY =
      Collections.unmodifiableNavigableMap(new TreeMap<>(Arrays::compareUnsigned));

  private volatile SortedMap<Column, NavigableMap<byte[], byte[]>> columns = new TreeMap<>(BY_NAME);

  private NavigableMap<byte[], byte[]> column(Column column) {
    return columns.getOrDefault(column, EMPTY);
  }

  /** The columns that have been written, by name. */
  public List<Column> columns() {
    return List.copyOf(columns.keySet());
  }

  @Override
  public byte[] get(Column column, byte[] key) {
    return column(column).get(key);
  }

  @Override
  public StoreIterator scan(Column column, byte[] from, byte[] to) {
    return scan(column(column), from, to);
  }

  private static StoreIterator scan(NavigableMap<byte[], byte[]> map, byte[] from, byte[] to) {
    NavigableMap<byte[], byte[]> view = map;
    if (from != null && to != null) {
      view = map.subMap(from, true, to, false);
    } else if (from != null) {
      view = map.tailMap(from, true);
    } else if (to != null) {
      view = map.headMap(to, false);
    }
    Iterator<Map.Entry<byte[], byte[]>> it = view.entrySet().iterator();
    return new StoreIterator() {
      Map.Entry<byte[], byte[]> current;

      @Override
      public boolean next() {
        current = it.hasNext() ? it.next() : null;
        return current != null;
      }

      @Override
      public byte[] key() {
        return current.getKey();
      }

      @Override
      public byte[] value() {
        return current.getValue();
      }

      @Override
      public void close() {}
    };
  }

  @Override
  public StoreSnapshot snapshot() {
    Map<Column, NavigableMap<byte[], byte[]>> frozen = columns;
    return new StoreSnapshot() {
      @Override
      public byte[] get(Column column, byte[] key) {
        return frozen.getOrDefault(column, EMPTY).get(key);
      }

      @Override
      public StoreIterator scan(Column column, byte[] from, byte[] to) {
        return MemoryStore.scan(frozen.getOrDefault(column, EMPTY), from, to);
      }

      @Override
      public void close() {}
    };
  }

  @Override
  public synchronized void write(WriteBatch batch) {
    SortedMap<Column, NavigableMap<byte[], byte[]>> next = new TreeMap<>(columns);
    TreeSet<Column> copied = new TreeSet<>(BY_NAME);
    for (WriteBatch.Op op : batch.ops()) {
      if (copied.add(op.column())) {
        NavigableMap<byte[], byte[]> m = new TreeMap<>(Arrays::compareUnsigned);
        m.putAll(next.getOrDefault(op.column(), EMPTY));
        next.put(op.column(), m);
      }
      NavigableMap<byte[], byte[]> m = next.get(op.column());
      switch (op) {
        case WriteBatch.Put p -> m.put(p.key(), p.value());
        case WriteBatch.Delete d -> m.remove(d.key());
        case WriteBatch.DeleteRange r when r.to() != null ->
            m.subMap(r.from(), true, r.to(), false).clear();
        case WriteBatch.DeleteRange r -> m.tailMap(r.from(), true).clear();
      }
    }
    columns = next;
  }

  @Override
  public boolean syncWrites() {
    return false;
  }

  @Override
  public long estimateKeys(Column column) {
    return column(column).size();
  }

  @Override
  public synchronized void truncate(Column column) {
    SortedMap<Column, NavigableMap<byte[], byte[]>> next = new TreeMap<>(columns);
    next.remove(column);
    columns = next;
  }

  @Override
  public SortedWriter sortedWriter(Column column) {
    WriteBatch batch = new WriteBatch();
    return new SortedWriter() {
      @Override
      public void put(byte[] key, byte[] value) {
        batch.put(column, key, value);
      }

      @Override
      public void commit() {
        write(batch);
      }

      @Override
      public void close() {}
    };
  }

  @Override
  public void close() {}
}
