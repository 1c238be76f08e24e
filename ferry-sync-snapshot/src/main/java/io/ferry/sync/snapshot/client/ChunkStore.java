package io.ferry.sync.snapshot.client;

import io.ferry.core.Bytes;
import io.ferry.core.identity.NodeId;
import io.ferry.sync.snapshot.app.Snapshot;
import java.util.Optional;

/**
 * Where the syncer keeps the chunks it fetched until the sync ends, as CometBFT's chunk queue does
 * in a temporary directory: an application may ask to apply a chunk again ({@code RETRY}) or the
 * whole snapshot again ({@code RETRY_SNAPSHOT}), and then nothing is fetched twice. Unlike
 * CometBFT's, a store on disk ({@link DirectoryChunkStore}) survives a crash or restart, and the
 * next sync of the same snapshot reuses what it holds. Chunks are unverified here: the application
 * checks each when it is applied.
 *
 * <p>Implementations are used from one thread at a time.
 */
public interface ChunkStore extends AutoCloseable {

  /** A stored chunk and the peer it came from. */
  record Held(Bytes chunk, NodeId sender) {}

  /**
   * Opens the chunks of {@code snapshot}, dropping those of any other snapshot.
   *
   * @return the chunks already held for it, by index (read again when applied)
   */
  java.util.SortedMap<Integer, NodeId> open(Snapshot snapshot);

  void put(int index, Bytes chunk, NodeId sender);

  Optional<Held> get(int index);

  void discard(int index);

  /** Drops every chunk of the open snapshot: it is restored, or rejected. */
  void clear();

  @Override
  void close();
}
