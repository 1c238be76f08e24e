package io.ferry.sync.snapshot.app;

/**
 * What an application answers to {@link SnapshotApplication#applySnapshotChunk} (ABCI's {@code
 * ResponseApplySnapshotChunk.Result}), and what the syncer does with it. The {@link ChunkApplied}
 * that carries it also names chunks to fetch again and senders to reject, handled first.
 */
public enum ApplyResult {
  /** The chunk is applied; the next one follows. */
  ACCEPT,
  /** Stop state sync altogether: the sync fails with {@code ABORTED}. */
  ABORT,
  /** Apply this same chunk again (not fetched again unless also named in refetch). */
  RETRY,
  /**
   * Offer the same snapshot again and apply its chunks again from the first; chunks already fetched
   * are reused, not fetched again.
   */
  RETRY_SNAPSHOT,
  /** Give this snapshot up: it is rejected and the next best one is offered. */
  REJECT_SNAPSHOT
}
