package io.ferry.sync.snapshot.app;

import io.ferry.core.Bytes;
import io.ferry.core.identity.NodeId;
import java.util.BitSet;
import java.util.List;
import java.util.Optional;

/**
 * The state machine that snapshot state sync serves and restores: ABCI's four snapshot calls, so
 * that any Java application can be state-synced by Ferry. Ferry's MerkleDB is one ({@code
 * io.ferry.sync.snapshot.archive.ArchiveApplication}); the tests hold another, unrelated one.
 *
 * <p>Serving: {@link #listSnapshots} and {@link #loadSnapshotChunk} may be called from several
 * threads at once. Restoring: the syncer makes {@link #offerSnapshot}, {@link #appliedChunks} and
 * {@link #applySnapshotChunk} calls one at a time, never overlapping, on an executor of its own; an
 * application may block in them (write to disk, build its store).
 *
 * <p>Two things go beyond ABCI, both optional: {@link #appliesOutOfOrder} lets chunks be applied as
 * they arrive instead of in index order, and {@link #appliedChunks} lets a restarted sync skip the
 * chunks an earlier run already applied (CometBFT deletes them and starts over).
 */
public interface SnapshotApplication {

  /** The snapshots this node can serve, at most {@code Limits.MAX_SNAPSHOTS_PER_LISTING} used. */
  List<Snapshot> listSnapshots();

  /**
   * Whether to restore {@code snapshot}. {@code trustedAppHash} is what the node trusts the state
   * at the snapshot's height to hash to (CometBFT gets it from its light client); an application
   * must not accept a snapshot it cannot tie to it, since the snapshot itself comes from an
   * untrusted peer.
   */
  OfferResult offerSnapshot(Snapshot snapshot, Bytes trustedAppHash);

  /**
   * Chunk {@code index} of the snapshot at ({@code height}, {@code format}), or empty when this
   * node does not have it (the peer is told {@code missing}).
   */
  Optional<Bytes> loadSnapshotChunk(long height, int format, int index);

  /**
   * Applies chunk {@code index} of the snapshot last accepted. {@code sender} is the peer that sent
   * it, for {@link ChunkApplied#rejectSenders}. When the last chunk is applied the restored state
   * must be complete and checked against the trusted app hash: answer {@link
   * ApplyResult#REJECT_SNAPSHOT} if it is not.
   */
  ChunkApplied applySnapshotChunk(int index, Bytes chunk, NodeId sender);

  /**
   * Whether the chunks of {@code snapshot} (accepted) may be applied in any order. Default false:
   * in index order, as CometBFT.
   */
  default boolean appliesOutOfOrder(Snapshot snapshot) {
    return false;
  }

  /**
   * The chunks of {@code snapshot} (just accepted) that an earlier, interrupted sync already
   * applied and that survive in the application's storage; the syncer neither fetches nor applies
   * them again. Default none. For an application that applies in order, a prefix.
   */
  default BitSet appliedChunks(Snapshot snapshot) {
    return new BitSet();
  }
}
