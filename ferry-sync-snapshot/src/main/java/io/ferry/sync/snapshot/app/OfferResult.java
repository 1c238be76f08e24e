package io.ferry.sync.snapshot.app;

/**
 * What an application answers to {@link SnapshotApplication#offerSnapshot} (ABCI's {@code
 * ResponseOfferSnapshot.Result}), and what the syncer does with it.
 */
public enum OfferResult {
  /** Restore this snapshot: the syncer fetches its chunks. */
  ACCEPT,
  /** Stop state sync altogether: the sync fails with {@code ABORTED}. */
  ABORT,
  /** Not this snapshot: it is never offered again; the next best one is. */
  REJECT,
  /** Not this format: no snapshot of the format is offered again. */
  REJECT_FORMAT,
  /** Not from these peers: every peer that advertised the snapshot is rejected for the sync. */
  REJECT_SENDER
}
