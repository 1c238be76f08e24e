package io.ferry.merkledb.proof;

import io.ferry.merkledb.BranchFactor;

/** Proofs to and from their protobuf bytes, as a peer sends and receives them. */
final class WireBytes {
  private WireBytes() {}

  static byte[] of(RangeProof p) {
    return ProofCodec.encode(p).toByteArray();
  }

  static byte[] of(ChangeProof p) {
    return ProofCodec.encode(p).toByteArray();
  }

  static byte[] of(Proof p) {
    return ProofCodec.encode(p).toByteArray();
  }

  static RangeProof rangeProof(byte[] bytes, BranchFactor bf) {
    io.ferry.wire.v1.RangeProof m =
        ProofCodec.parse(io.ferry.wire.v1.RangeProof::parseFrom, bytes, "range proof");
    return ProofCodec.decode(m, bf);
  }

  static ChangeProof changeProof(byte[] bytes, BranchFactor bf) {
    io.ferry.wire.v1.ChangeProof m =
        ProofCodec.parse(io.ferry.wire.v1.ChangeProof::parseFrom, bytes, "change proof");
    return ProofCodec.decode(m, bf);
  }

  static Proof proof(byte[] bytes, BranchFactor bf) {
    io.ferry.wire.v1.Proof m = ProofCodec.parse(io.ferry.wire.v1.Proof::parseFrom, bytes, "proof");
    return ProofCodec.decode(m, bf);
  }
}
