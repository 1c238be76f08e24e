package io.ferry.sync.proof;

import io.ferry.core.ErrorCode;
import io.ferry.core.FerryException;
import io.ferry.core.Limits;

/**
 * Limits of a {@link ProofSyncServer}.
 *
 * @param maxKeyLimit most key-values (or key changes) in one response; a peer asking for more gets
 *     this many (default and upper bound {@link Limits#MAX_PROOF_KEY_LIMIT}, 2,048)
 * @param maxByteLimit most encoded bytes in one response; a peer asking for more gets this many
 *     (default {@link Limits#DEFAULT_PROOF_BYTE_LIMIT}, 2 MiB − 4 KiB; at most {@link
 *     Limits#MAX_PROOF_BYTES}, which fits a frame)
 * @param maxPerPeer proofs accepted and not yet answered for one peer; beyond it the peer's
 *     requests are refused at once with {@link ErrorCode#UNAVAILABLE} (default 4)
 * @param maxPending proofs accepted and not yet answered for all peers together, so the work queue
 *     is bounded (default 1,024)
 * @param threads threads generating proofs when the server owns its executor (default the number of
 *     cores)
 * @param historyPerSecond history records the server reads for one peer's change proofs per second
 *     on average, with bursts of ten seconds' worth; beyond that the peer's requests are refused
 *     with {@link ErrorCode#UNAVAILABLE} until its reads have run down (default 500,000: well above
 *     what honest syncs and catch-ups ask, about half a core of reading)
 */
public record ProofServerConfig(
    int maxKeyLimit,
    int maxByteLimit,
    int maxPerPeer,
    int maxPending,
    int threads,
    int historyPerSecond) {

  public static final int DEFAULT_MAX_PER_PEER = 4;
  public static final int DEFAULT_MAX_PENDING = 1024;
  public static final int DEFAULT_HISTORY_PER_SECOND = 500_000;

  public ProofServerConfig {
    check(
        maxKeyLimit >= 1 && maxKeyLimit <= Limits.MAX_PROOF_KEY_LIMIT, "maxKeyLimit", maxKeyLimit);
    check(
        maxByteLimit >= 1 && maxByteLimit <= Limits.MAX_PROOF_BYTES, "maxByteLimit", maxByteLimit);
    check(maxPerPeer >= 1, "maxPerPeer", maxPerPeer);
    check(maxPending >= maxPerPeer, "maxPending (at least maxPerPeer)", maxPending);
    check(threads >= 1, "threads", threads);
    check(historyPerSecond >= 1, "historyPerSecond", historyPerSecond);
  }

  private static void check(boolean ok, String name, int value) {
    if (!ok) {
      throw new FerryException(ErrorCode.INVALID_ARGUMENT, name + " is out of range: " + value);
    }
  }

  public static ProofServerConfig defaults() {
    return new ProofServerConfig(
        Limits.MAX_PROOF_KEY_LIMIT,
        Limits.DEFAULT_PROOF_BYTE_LIMIT,
        DEFAULT_MAX_PER_PEER,
        DEFAULT_MAX_PENDING,
        Runtime.getRuntime().availableProcessors(),
        DEFAULT_HISTORY_PER_SECOND);
  }

  public ProofServerConfig withMaxKeyLimit(int n) {
    return new ProofServerConfig(
        n, maxByteLimit, maxPerPeer, maxPending, threads, historyPerSecond);
  }

  public ProofServerConfig withMaxByteLimit(int n) {
    return new ProofServerConfig(maxKeyLimit, n, maxPerPeer, maxPending, threads, historyPerSecond);
  }

  public ProofServerConfig withMaxPerPeer(int n) {
    return new ProofServerConfig(
        maxKeyLimit, maxByteLimit, n, Math.max(n, maxPending), threads, historyPerSecond);
  }

  public ProofServerConfig withMaxPending(int n) {
    return new ProofServerConfig(
        maxKeyLimit, maxByteLimit, maxPerPeer, n, threads, historyPerSecond);
  }

  public ProofServerConfig withThreads(int n) {
    return new ProofServerConfig(
        maxKeyLimit, maxByteLimit, maxPerPeer, maxPending, n, historyPerSecond);
  }

  public ProofServerConfig withHistoryPerSecond(int n) {
    return new ProofServerConfig(maxKeyLimit, maxByteLimit, maxPerPeer, maxPending, threads, n);
  }
}
