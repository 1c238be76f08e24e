package io.ferry.sim.node;

import io.ferry.core.Hash;
import io.ferry.sim.SimDisk;
import io.ferry.sync.proof.client.CompletedRange;
import io.ferry.sync.proof.client.KvSyncStore;
import io.ferry.sync.proof.client.SyncStore;
import java.util.List;
import java.util.Optional;

/**
 * Proof-sync staging stores on a simulated node's {@link SimDisk}: the node's own {@link
 * KvSyncStore} over a {@link SimKvStore} that syncs every write, as a real node's staging store
 * fsyncs every write, so it survives a crash the way the real store's files do, and a new
 * incarnation reopens it by replaying the disk. The simulator adds only a check ({@link
 * CoverageCheckedSyncStore}); no staging code is its own. Stateless.
 */
public final class SimStaging {
  private SimStaging() {}

  /** What a staging store records besides its data. */
  public record Progress(Hash target, List<CompletedRange> ranges) {}

  /** Opens the staging store {@code disk} holds under {@code prefix}, empty if it holds none. */
  public static SyncStore open(SimDisk disk, String prefix) {
    return new CoverageCheckedSyncStore(openUnchecked(disk, prefix));
  }

  private static KvSyncStore openUnchecked(SimDisk disk, String prefix) {
    return new KvSyncStore(new SimKvStore(disk, prefix, true), "simulated disk at " + prefix);
  }

  /**
   * The progress of the staging store on {@code disk} under {@code prefix}, read as a restart would
   * read it, or empty if it holds no sync in progress.
   */
  public static Optional<Progress> progressOn(SimDisk disk, String prefix) {
    try (KvSyncStore store = openUnchecked(disk, prefix)) {
      return store.target().map(t -> new Progress(t, store.progress()));
    }
  }

  /**
   * Removes the staging store on {@code disk} under {@code prefix} if it holds no sync in progress,
   * as a real node deletes a finished sync's staging directory when it starts.
   *
   * @return true if there was a store to remove
   */
  public static boolean deleteIfFinished(SimDisk disk, String prefix) {
    if (disk.list(prefix).isEmpty() || progressOn(disk, prefix).isPresent()) {
      return false;
    }
    SimKvStore.delete(disk, prefix);
    return true;
  }
}
