package io.ferry.node;

import io.ferry.core.ErrorCode;
import io.ferry.core.FerryException;
import io.ferry.merkledb.BranchFactor;
import io.ferry.merkledb.MerkleDB;
import io.ferry.merkledb.MerkleDBConfig;
import io.ferry.merkledb.store.KvStore;
import io.ferry.merkledb.store.RocksStore;
import io.ferry.sync.proof.client.KvSyncStore;
import io.ferry.sync.proof.client.SyncStores;
import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.Comparator;
import java.util.stream.Stream;

/** Opening and deleting a node's MerkleDB on RocksDB, and opening its sync staging store. */
public final class NodeStores {
  private NodeStores() {}

  /**
   * Opens the store in {@code stateDir}, creating it if it does not exist.
   *
   * @param branchFactor for a new store (null: 16); a stored one that differs is an error
   */
  public static MerkleDB open(Path stateDir, Integer branchFactor) {
    MerkleDBConfig config = MerkleDBConfig.defaults();
    RocksStore store = new RocksStore(stateDir, config.blockCacheBytes(), config.syncWrites());
    return open(store, stateDir.toString(), branchFactor);
  }

  /**
   * Opens the MerkleDB in {@code store}, which it then owns (a failure closes it).
   *
   * @param where names the store in errors
   * @param branchFactor for a new store (null: 16); a stored one that differs is an error
   */
  public static MerkleDB open(KvStore store, String where, Integer branchFactor) {
    MerkleDBConfig config = MerkleDBConfig.defaults();
    try {
      BranchFactor stored = MerkleDB.storedBranchFactor(store).orElse(null);
      BranchFactor asked = branchFactor == null ? null : BranchFactor.of(branchFactor);
      if (stored != null && asked != null && stored != asked) {
        throw new FerryException(
            ErrorCode.INVALID_ARGUMENT,
            "the store in "
                + where
                + " has branch factor "
                + stored.width()
                + "; --branch-factor "
                + asked.width()
                + " applies only to a new store");
      }
      BranchFactor bf = stored != null ? stored : asked != null ? asked : BranchFactor.BF16;
      return MerkleDB.open(store, config.withBranchFactor(bf));
    } catch (RuntimeException e) {
      store.close();
      throw e;
    }
  }

  /**
   * Opens the staging store of a proof sync in {@code dir} (creating it), as the node and {@code
   * ferry sync} keep it. Writes go to the write-ahead log without an fsync each: a killed process
   * loses nothing, and a power cut only the last proofs staged, each wholly with its progress
   * (RocksDB recovers the log up to its last whole write), which the sync fetches again. The sync
   * fsyncs once before its final build replaces the live store ({@link KvSyncStore#sync}).
   */
  public static KvSyncStore openStaging(Path dir) {
    return SyncStores.open(dir, false);
  }

  /** Deletes a store directory and everything in it; nothing when it does not exist. */
  public static void delete(Path dir) {
    if (!Files.exists(dir)) {
      return;
    }
    try (Stream<Path> walk = Files.walk(dir)) {
      for (Path p : walk.sorted(Comparator.reverseOrder()).toList()) {
        Files.delete(p);
      }
    } catch (IOException e) {
      throw new FerryException(ErrorCode.IO_ERROR, "cannot delete " + dir + ": " + e.getMessage());
    }
  }
}
