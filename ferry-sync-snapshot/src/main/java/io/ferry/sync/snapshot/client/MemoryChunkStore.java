package io.ferry.sync.snapshot.client;

import io.ferry.core.Bytes;
import io.ferry.core.identity.NodeId;
import io.ferry.sync.snapshot.app.Snapshot;
import java.util.Optional;
import java.util.TreeMap;

/**
 * A {@link ChunkStore} in memory, for tests and the simulator; it keeps its chunks across {@link
 * #close} so a simulated restart can reuse them as a disk would. Not thread-safe.
 */
public final class MemoryChunkStore implements ChunkStore {
  private Snapshot snapshot;
  private final java.util.SortedMap<Integer, Held> chunks = new TreeMap<>();

  @Override
  public java.util.SortedMap<Integer, NodeId> open(Snapshot s) {
    if (!s.equals(snapshot)) {
      chunks.clear();
      snapshot = s;
    }
    java.util.SortedMap<Integer, NodeId> held = new TreeMap<>();
    chunks.forEach((i, h) -> held.put(i, h.sender()));
    return held;
  }

  @Override
  public void put(int index, Bytes chunk, NodeId sender) {
    chunks.put(index, new Held(chunk, sender));
  }

  @Override
  public Optional<Held> get(int index) {
    return Optional.ofNullable(chunks.get(index));
  }

  @Override
  public void discard(int index) {
    chunks.remove(index);
  }

  @Override
  public void clear() {
    chunks.clear();
    snapshot = null;
  }

  /** Chunks held now. */
  public int size() {
    return chunks.size();
  }

  @Override
  public void close() {}
}
