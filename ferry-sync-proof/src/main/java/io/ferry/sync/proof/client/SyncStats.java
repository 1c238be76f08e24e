package io.ferry.sync.proof.client;

/**
 * A snapshot of a sync's progress, for progress bars and status pages.
 *
 * @param keys key-values received in verified proofs (range proof keys and change proof changes)
 * @param bytes their key and value bytes
 * @param proofs verified proofs applied
 * @param rangesDone completed ranges (adjacent ones at one root count as one)
 * @param covered the fraction of the key space done at the current target, 0 to 1 (estimated from
 *     the first 8 bytes of the range bounds, which is exact enough for hashed keys)
 * @param inFlight requests waiting for an answer
 * @param failures failed requests (timeouts, disconnects, busy servers, remote errors)
 * @param lies proofs that did not verify
 * @param targetUpdates how many times the target moved
 * @param fetchNanos time from start until every range was at the target (0 while fetching)
 * @param loadNanos time the final bulk load took (0 until done)
 */
public record SyncStats(
    long keys,
    long bytes,
    long proofs,
    int rangesDone,
    double covered,
    int inFlight,
    long failures,
    long lies,
    int targetUpdates,
    long fetchNanos,
    long loadNanos) {}
