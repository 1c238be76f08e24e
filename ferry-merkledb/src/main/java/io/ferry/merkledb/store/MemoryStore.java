package io.ferry.merkledb.store;

import java.util.Arrays;
import java.util.EnumMap;
import java.util.Iterator;
import java.util.Map;
import java.util.NavigableMap;
import java.util.TreeMap;

/**
 * An in-memory store for unit tests and the simulator: never a product default. Copy-on-write, so a
 * snapshot is just the maps of the moment; a write copies the columns it touches. Thread-safe.
 */
public final class MemoryStore implements KvStore {
  private volatile Map<Column, NavigableMap<byte[], byte[]>> columns;

  public MemoryStore() {
    Map<Column, NavigableMap<byte[], byte[]>> m = new EnumMap<>(Column.class);
    for (Column c : Column.values()) {
      m.put(c, new TreeMap<>(Arrays::compareUnsigned));
    }
    columns = m;
  }

  @Override
  public byte[] get(Column column, byte[] key) {
    return columns.get(column).get(key);
  }

  @Override
  public StoreIterator scan(Column column, byte[] from, byte[] to) {
    return scan(columns.get(column), from, to);
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
        return frozen.get(column).get(key);
      }

      @Override
      public StoreIterator scan(Column column, byte[] from, byte[] to) {
        return MemoryStore.scan(frozen.get(column), from, to);
      }

      @Override
      public void close() {}
    };
  }

  @Override
  public synchronized void write(WriteBatch batch) {
    Map<Column, NavigableMap<byte[], byte[]>> next = new EnumMap<>(columns);
    EnumMap<Column, Boolean> copied = new EnumMap<>(Column.class);
    for (WriteBatch.Op op : batch.ops()) {
      if (copied.putIfAbsent(op.column(), true) == null) {
        next.put(op.column(), new TreeMap<>(next.get(op.column())));
      }
      NavigableMap<byte[], byte[]> m = next.get(op.column());
      if (op.rangeEnd() != null) {
        m.subMap(op.key(), true, op.rangeEnd(), false).clear();
      } else if (op.value() == null) {
        m.remove(op.key());
      } else {
        m.put(op.key(), op.value());
      }
    }
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
