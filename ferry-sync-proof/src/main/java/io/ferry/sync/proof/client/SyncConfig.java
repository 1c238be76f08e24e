package io.ferry.sync.proof.client;

import io.ferry.core.Limits;
import io.ferry.merkledb.BranchFactor;
import io.ferry.net.peers.Backoff;
import java.time.Duration;

/**
 * Settings of a proof sync.
 *
 * @param workLimit requests in flight at once, over all servers; must be positive (default 8)
 * @param keyLimit keys asked per proof
 * @param byteLimit bytes asked per proof
 * @param requestTimeout how long one proof request may take
 * @param backoff delay before retrying a failed range
 * @param branchFactor the trie's branch factor, which proofs are checked with
 */
public record SyncConfig(
    int workLimit,
    int keyLimit,
    int byteLimit,
    Duration requestTimeout,
    Backoff backoff,
    BranchFactor branchFactor) {

  public static final SyncConfig DEFAULT =
      new SyncConfig(
          8,
          Limits.DEFAULT_PROOF_KEY_LIMIT,
          Limits.DEFAULT_PROOF_BYTE_LIMIT,
          Duration.ofSeconds(30),
          new Backoff(Duration.ofMillis(100), Duration.ofSeconds(5)),
          BranchFactor.BF16);

  public SyncConfig {
    if (workLimit <= 0) {
      throw new io.ferry.core.FerryException(
          io.ferry.core.ErrorCode.INVALID_ARGUMENT, "the work limit must be at least 1");
    }
    if (keyLimit <= 0 || byteLimit <= 0) {
      throw new io.ferry.core.FerryException(
          io.ferry.core.ErrorCode.INVALID_ARGUMENT, "key and byte limits must be positive");
    }
  }

  public SyncConfig withWorkLimit(int n) {
    return new SyncConfig(n, keyLimit, byteLimit, requestTimeout, backoff, branchFactor);
  }

  public SyncConfig withBranchFactor(BranchFactor bf) {
    return new SyncConfig(workLimit, keyLimit, byteLimit, requestTimeout, backoff, bf);
  }

  public SyncConfig withLimits(int keys, int bytes) {
    return new SyncConfig(workLimit, keys, bytes, requestTimeout, backoff, branchFactor);
  }

  public SyncConfig withRequestTimeout(Duration d) {
    return new SyncConfig(workLimit, keyLimit, byteLimit, d, backoff, branchFactor);
  }
}
