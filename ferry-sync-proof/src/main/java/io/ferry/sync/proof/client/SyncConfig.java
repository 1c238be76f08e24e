package io.ferry.sync.proof.client;

import io.ferry.core.Limits;
import io.ferry.merkledb.BranchFactor;
import io.ferry.net.peers.Backoff;
import io.ferry.sync.proof.ProofServerConfig;
import java.time.Duration;

/**
 * Settings of a proof sync.
 *
 * @param workLimit requests in flight at once, over all servers; must be positive (default 8)
 * @param perServerLimit requests in flight at once to one server; must be positive (default 4, what
 *     a proof server takes from one peer by default: {@link
 *     ProofServerConfig#DEFAULT_MAX_PER_PEER})
 * @param keyLimit keys asked per proof
 * @param byteLimit bytes asked per proof
 * @param requestTimeout how long one proof request may take
 * @param backoff delay before retrying a failed range
 * @param branchFactor the trie's branch factor, which proofs are checked with
 */
public record SyncConfig(
    int workLimit,
    int perServerLimit,
    int keyLimit,
    int byteLimit,
    Duration requestTimeout,
    Backoff backoff,
    BranchFactor branchFactor) {

  public static final SyncConfig DEFAULT =
      new SyncConfig(
          8,
          ProofServerConfig.DEFAULT_MAX_PER_PEER,
          Limits.DEFAULT_PROOF_KEY_LIMIT,
          Limits.DEFAULT_PROOF_BYTE_LIMIT,
          Duration.ofSeconds(30),
          new Backoff(Duration.ofMillis(100), Duration.ofSeconds(5)),
          BranchFactor.BF16);

  public SyncConfig {
    if (workLimit <= 0 || perServerLimit <= 0) {
      throw new io.ferry.core.FerryException(
          io.ferry.core.ErrorCode.INVALID_ARGUMENT, "the work limits must be at least 1");
    }
    if (keyLimit <= 0 || byteLimit <= 0) {
      throw new io.ferry.core.FerryException(
          io.ferry.core.ErrorCode.INVALID_ARGUMENT, "key and byte limits must be positive");
    }
  }

  public SyncConfig withWorkLimit(int n) {
    return new SyncConfig(
        n, perServerLimit, keyLimit, byteLimit, requestTimeout, backoff, branchFactor);
  }

  public SyncConfig withPerServerLimit(int n) {
    return new SyncConfig(workLimit, n, keyLimit, byteLimit, requestTimeout, backoff, branchFactor);
  }

  public SyncConfig withBranchFactor(BranchFactor bf) {
    return new SyncConfig(
        workLimit, perServerLimit, keyLimit, byteLimit, requestTimeout, backoff, bf);
  }

  public SyncConfig withLimits(int keys, int bytes) {
    return new SyncConfig(
        workLimit, perServerLimit, keys, bytes, requestTimeout, backoff, branchFactor);
  }

  public SyncConfig withRequestTimeout(Duration d) {
    return new SyncConfig(workLimit, perServerLimit, keyLimit, byteLimit, d, backoff, branchFactor);
  }
}
