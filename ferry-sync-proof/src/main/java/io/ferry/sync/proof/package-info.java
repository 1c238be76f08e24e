/**
 * Proof sync, after AvalancheGo's {@code x/sync}: a node syncs a {@link io.ferry.merkledb.MerkleDB}
 * from its peers with verified range proofs, and catches up with change proofs while the target
 * root moves. This package holds the server side, {@link io.ferry.sync.proof.ProofSyncServer}; the
 * messages are {@code ferry/wire/v1/sync.proto} ({@code Request}, {@code RangeProof}, {@code
 * GetChangeProofResponse}), carried on {@link io.ferry.net.ProtocolId#PROOF_SYNC}.
 */
package io.ferry.sync.proof;
