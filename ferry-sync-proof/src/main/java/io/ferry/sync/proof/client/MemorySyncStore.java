package io.ferry.sync.proof.client;

import io.ferry.core.Bytes;
import io.ferry.core.Hash;
import io.ferry.core.KeyRange;
import io.ferry.merkledb.KeyChange;
import io.ferry.merkledb.KeyValue;
import java.util.ArrayList;
import java.util.Iterator;
import java.util.List;
import java.util.Map;
import java.util.NavigableMap;
import java.util.Optional;
import java.util.TreeMap;

/**
 * A {@link SyncStore} in memory, kept as simple as possible: the model that tests check {@link
 * KvSyncStore} against, and a store for tests that need no durability. Not thread-safe.
 */
public final class MemorySyncStore implements SyncStore {
  private final TreeMap<Bytes, Bytes> data = new TreeMap<>();
  private Optional<Hash> target = Optional.empty();
  private List<CompletedRange> progress = List.of();

  @Override
  public Optional<Hash> target() {
    return target;
  }

  @Override
  public List<CompletedRange> progress() {
    return progress;
  }

  @Override
  public void apply(
      Optional<KeyRange> replace,
      List<KeyChange> changes,
      Hash target,
      List<CompletedRange> progress) {
    replace.ifPresent(r -> view(r).clear());
    for (KeyChange c : changes) {
      if (c.value().isPresent()) {
        data.put(c.key(), c.value().get());
      } else {
        data.remove(c.key());
      }
    }
    this.target = Optional.of(target);
    this.progress = List.copyOf(progress);
  }

  private NavigableMap<Bytes, Bytes> view(KeyRange r) {
    NavigableMap<Bytes, Bytes> m = data;
    if (r.start().isPresent()) {
      m = m.tailMap(r.start().get(), true);
    }
    if (r.end().isPresent()) {
      m = m.headMap(r.end().get(), true);
    }
    return m;
  }

  @Override
  public Optional<Bytes> get(Bytes key) {
    return Optional.ofNullable(data.get(key));
  }

  @Override
  public List<KeyValue> scan(KeyRange range) {
    List<KeyValue> out = new ArrayList<>();
    for (Map.Entry<Bytes, Bytes> e : view(range).entrySet()) {
      out.add(new KeyValue(e.getKey(), e.getValue()));
    }
    return out;
  }

  @Override
  public Iterator<KeyValue> iterator() {
    return scan(KeyRange.ALL).iterator();
  }

  @Override
  public long keyCount() {
    return data.size();
  }

  @Override
  public void clear() {
    data.clear();
    target = Optional.empty();
    progress = List.of();
  }

  @Override
  public void close() {}
}
