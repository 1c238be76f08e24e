package io.ferry.merkledb;

/**
 * A key-value with its value digest ({@link io.ferry.merkledb.trie.NodeHasher#valueDigest}) already
 * computed, as the verifier of a range proof computes it: what {@link MerkleDB#bulkLoadDigested}
 * takes so that a synced state is not hashed twice. Immutable by convention (the digest array is
 * not copied).
 */
public record DigestedKeyValue(KeyValue keyValue, byte[] valueDigest) {}
