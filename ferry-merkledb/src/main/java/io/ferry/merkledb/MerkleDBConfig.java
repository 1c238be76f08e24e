package io.ferry.merkledb;

import io.ferry.core.ErrorCode;
import io.ferry.core.FerryException;

/**
 * How a {@link MerkleDB} is opened.
 *
 * @param branchFactor children per node; fixed when the store is created (default 16)
 * @param historyLength revisions that stay provable: the head and the N-1 before it (default 300)
 * @param nodeCacheEntries decoded nodes kept in memory (default 1,000,000)
 * @param blockCacheBytes RocksDB block cache (default 256 MiB)
 * @param syncWrites fsync each commit, so it survives power loss and not only a crash (default
 *     true)
 */
public record MerkleDBConfig(
    BranchFactor branchFactor,
    int historyLength,
    int nodeCacheEntries,
    long blockCacheBytes,
    boolean syncWrites) {
  public static final int DEFAULT_HISTORY_LENGTH = 300;

  public MerkleDBConfig {
    if (historyLength < 1) {
      throw new FerryException(
          ErrorCode.INVALID_ARGUMENT, "history length must be at least 1, not " + historyLength);
    }
    if (nodeCacheEntries < 0 || blockCacheBytes < 0) {
      throw new FerryException(ErrorCode.INVALID_ARGUMENT, "cache sizes cannot be negative");
    }
  }

  public static MerkleDBConfig defaults() {
    return new MerkleDBConfig(
        BranchFactor.BF16, DEFAULT_HISTORY_LENGTH, 1_000_000, 256L << 20, true);
  }

  public MerkleDBConfig withBranchFactor(BranchFactor bf) {
    return new MerkleDBConfig(bf, historyLength, nodeCacheEntries, blockCacheBytes, syncWrites);
  }

  public MerkleDBConfig withHistoryLength(int n) {
    return new MerkleDBConfig(branchFactor, n, nodeCacheEntries, blockCacheBytes, syncWrites);
  }

  public MerkleDBConfig withSyncWrites(boolean sync) {
    return new MerkleDBConfig(branchFactor, historyLength, nodeCacheEntries, blockCacheBytes, sync);
  }

  public MerkleDBConfig withNodeCacheEntries(int n) {
    return new MerkleDBConfig(branchFactor, historyLength, n, blockCacheBytes, syncWrites);
  }
}
