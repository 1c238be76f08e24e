package io.ferry.sync.snapshot.client;

import io.ferry.core.identity.NodeId;
import io.ferry.sync.snapshot.app.Snapshot;
import java.time.Duration;
import java.util.Map;
import java.util.Set;

/**
 * A finished state sync: the snapshot restored and what it took. Immutable.
 *
 * @param snapshot the snapshot the application restored
 * @param chunksFetched chunk responses taken (a chunk fetched again counts again)
 * @param chunksReused chunks an earlier run had fetched or applied, not fetched again
 * @param bytesFetched bytes of chunks taken
 * @param bytesByPeer bytes of chunks taken from each peer
 * @param missing {@code missing} answers
 * @param timeouts chunk requests that timed out
 * @param unsolicited chunk responses dropped because nobody asked for them
 * @param rejectedPeers peers rejected during the sync
 * @param offers snapshots offered to the application, the restored one included
 * @param elapsed from start to the last chunk applied, on the scheduler's clock
 * @param fetching from the accepted offer to the last chunk applied (for an application that builds
 *     its state at the last chunk, that build included)
 * @param fetched from the accepted offer to the last chunk taken from a peer: what the transfer
 *     took, verification of every chunk but the last included where it keeps pace (fetching pauses
 *     while chunks wait for the application)
 */
public record SyncOutcome(
    Snapshot snapshot,
    long chunksFetched,
    long chunksReused,
    long bytesFetched,
    Map<NodeId, Long> bytesByPeer,
    long missing,
    long timeouts,
    long unsolicited,
    Set<NodeId> rejectedPeers,
    int offers,
    Duration elapsed,
    Duration fetching,
    Duration fetched) {
  public SyncOutcome {
    bytesByPeer = Map.copyOf(bytesByPeer);
    rejectedPeers = Set.copyOf(rejectedPeers);
  }
}
