package io.ferry.sim.node;

import io.ferry.core.Bytes;
import io.ferry.core.Hash;
import io.ferry.core.KeyRange;
import io.ferry.merkledb.KeyChange;
import io.ferry.merkledb.KeyValue;
import io.ferry.sync.proof.client.CompletedRange;
import io.ferry.sync.proof.client.SyncStore;
import java.util.Iterator;
import java.util.List;
import java.util.Optional;

/**
 * A {@link SyncStore} that checks what the sync stores in it, for the simulator: the key ranges its
 * progress covers never shrink (a range the store holds data for stays listed, at the target or at
 * an older root, until the sync ends), since a range left out would be fetched again after a
 * restart. An {@link #apply} that would shrink them throws before it reaches the store, which fails
 * the simulation; a {@link #clear} starts over. Everything else goes to the store unchanged.
 *
 * <p>Not thread-safe, like the simulator.
 */
final class CoverageCheckedSyncStore implements SyncStore {
  private final SyncStore store;

  CoverageCheckedSyncStore(SyncStore store) {
    this.store = store;
  }

  @Override
  public void apply(
      Optional<KeyRange> replace,
      List<KeyChange> changes,
      Hash target,
      List<CompletedRange> progress) {
    String lost = Coverage.lost(store.progress(), progress);
    if (lost != null) {
      throw new IllegalStateException("the sync's progress no longer lists " + lost);
    }
    store.apply(replace, changes, target, progress);
  }

  @Override
  public Optional<Hash> target() {
    return store.target();
  }

  @Override
  public List<CompletedRange> progress() {
    return store.progress();
  }

  @Override
  public Optional<Bytes> get(Bytes key) {
    return store.get(key);
  }

  @Override
  public List<KeyValue> scan(KeyRange range) {
    return store.scan(range);
  }

  @Override
  public Iterator<KeyValue> iterator() {
    return store.iterator();
  }

  @Override
  public long keyCount() {
    return store.keyCount();
  }

  @Override
  public void clear() {
    store.clear();
  }

  @Override
  public void close() {
    store.close();
  }
}
