package io.ferry.core.archive;

import io.ferry.core.ErrorCode;
import io.ferry.core.FerryException;
import io.ferry.core.Hash;
import io.ferry.core.Limits;
import java.util.List;
import java.util.Optional;

/**
 * The snapshots a node offers, as Agave's {@code SnapshotHashes} gossip value carries them: its
 * newest full snapshot and incrementals built on that full one. The snapshot side makes it (see
 * {@code LatestSnapshots} in ferry-snapshot) and the gossip plane signs and spreads it; it lives in
 * ferry-core so that neither needs the other.
 *
 * <p>Invariants, checked on construction (a value decoded from a peer goes through them too): every
 * incremental is above the full snapshot's height, the incrementals ascend strictly by height (so
 * none repeats), and there are at most {@link Limits#MAX_INCREMENTAL_SNAPSHOT_HASHES}. Immutable.
 *
 * @param full the newest full snapshot
 * @param incrementals incrementals on {@code full}, oldest first; possibly empty
 */
public record SnapshotHashes(Slot full, List<Slot> incrementals) {
  /**
   * One snapshot: its height and its snapshot hash (the hash its archive name carries). Immutable.
   */
  public record Slot(long height, Hash hash) {
    public Slot {
      if (height < 0 || hash == null) {
        throw new FerryException(
            ErrorCode.INVALID_ARGUMENT, "a snapshot needs a height >= 0 and a hash: " + height);
      }
    }

    /** The height and hash an archive's name carries. */
    public static Slot of(ArchiveName archive) {
      return new Slot(archive.height(), archive.hash());
    }
  }

  public SnapshotHashes {
    if (full == null || incrementals == null) {
      throw new FerryException(ErrorCode.INVALID_ARGUMENT, "snapshot hashes need a full snapshot");
    }
    if (incrementals.size() > Limits.MAX_INCREMENTAL_SNAPSHOT_HASHES) {
      throw new FerryException(
          ErrorCode.LIMIT_EXCEEDED,
          incrementals.size()
              + " incremental snapshot hashes, above MAX_INCREMENTAL_SNAPSHOT_HASHES ("
              + Limits.MAX_INCREMENTAL_SNAPSHOT_HASHES
              + ")");
    }
    long below = full.height();
    for (Slot inc : incrementals) {
      if (inc == null) {
        throw new FerryException(ErrorCode.INVALID_ARGUMENT, "a null incremental snapshot");
      }
      if (inc.height() <= below) {
        throw new FerryException(
            ErrorCode.INVALID_ARGUMENT,
            "incremental snapshot at height "
                + inc.height()
                + " is not above "
                + below
                + " (incrementals ascend, above the full snapshot at "
                + full.height()
                + ")");
      }
      below = inc.height();
    }
    incrementals = List.copyOf(incrementals);
  }

  /** Only a full snapshot. */
  public static SnapshotHashes of(Slot full) {
    return new SnapshotHashes(full, List.of());
  }

  /** A full snapshot and one incremental on it. */
  public static SnapshotHashes of(Slot full, Slot incremental) {
    return new SnapshotHashes(full, List.of(incremental));
  }

  /** The highest incremental, if any. */
  public Optional<Slot> newestIncremental() {
    return incrementals.isEmpty() ? Optional.empty() : Optional.of(incrementals.getLast());
  }
}
