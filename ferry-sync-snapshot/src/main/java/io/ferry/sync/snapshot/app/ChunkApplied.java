package io.ferry.sync.snapshot.app;

import io.ferry.core.identity.NodeId;
import java.util.List;
import java.util.Set;

/**
 * An application's answer to one {@link SnapshotApplication#applySnapshotChunk} call (ABCI's {@code
 * ResponseApplySnapshotChunk}). Immutable.
 *
 * @param result what to do next
 * @param refetchChunks chunks to discard and fetch again (from another peer if their sender is also
 *     rejected), whatever the result
 * @param rejectSenders peers to stop using for this sync: their chunks not yet applied are
 *     discarded and fetched elsewhere, and the transport scores them as liars
 */
public record ChunkApplied(
    ApplyResult result, List<Integer> refetchChunks, Set<NodeId> rejectSenders) {
  public ChunkApplied {
    refetchChunks = List.copyOf(refetchChunks);
    rejectSenders = Set.copyOf(rejectSenders);
  }

  public static ChunkApplied accept() {
    return new ChunkApplied(ApplyResult.ACCEPT, List.of(), Set.of());
  }

  public static ChunkApplied of(ApplyResult result) {
    return new ChunkApplied(result, List.of(), Set.of());
  }

  /** The chunk is bad: fetch it again, and never again from its sender. */
  public static ChunkApplied badChunk(int index, NodeId sender) {
    return new ChunkApplied(ApplyResult.RETRY, List.of(index), Set.of(sender));
  }
}
