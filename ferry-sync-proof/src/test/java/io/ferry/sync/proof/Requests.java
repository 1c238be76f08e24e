package io.ferry.sync.proof;

import com.google.protobuf.ByteString;
import io.ferry.core.Bytes;
import io.ferry.core.Hash;
import io.ferry.core.KeyRange;
import io.ferry.merkledb.MerkleTestSupport;
import io.ferry.merkledb.StateModel;
import io.ferry.merkledb.proof.ProofCodec;
import io.ferry.wire.v1.GetChangeProofRequest;
import io.ferry.wire.v1.GetRangeProofRequest;
import io.ferry.wire.v1.Request;

/** Builds the raw {@code Request}s a proof sync client sends. */
final class Requests {
  private Requests() {}

  /** A uint32 of 2^32 - 1 on the wire: "as much as you will give". */
  static final int UNLIMITED = -1;

  static Request range(Hash root, KeyRange range, int keyLimit, int byteLimit) {
    return range(ByteString.copyFrom(root.toBytes()), range, keyLimit, byteLimit);
  }

  static Request range(ByteString root, KeyRange range, int keyLimit, int byteLimit) {
    var r =
        GetRangeProofRequest.newBuilder()
            .setRootHash(root)
            .setKeyLimit(keyLimit)
            .setBytesLimit(byteLimit);
    range.start().ifPresent(s -> r.setStartKey(ProofCodec.maybe(s)));
    range.end().ifPresent(e -> r.setEndKey(ProofCodec.maybe(e)));
    return Request.newBuilder().setRangeProofRequest(r).build();
  }

  static Request change(Hash start, Hash end, KeyRange range, int keyLimit, int byteLimit) {
    var r =
        GetChangeProofRequest.newBuilder()
            .setStartRootHash(ByteString.copyFrom(start.toBytes()))
            .setEndRootHash(ByteString.copyFrom(end.toBytes()))
            .setKeyLimit(keyLimit)
            .setBytesLimit(byteLimit);
    range.start().ifPresent(s -> r.setStartKey(ProofCodec.maybe(s)));
    range.end().ifPresent(e -> r.setEndKey(ProofCodec.maybe(e)));
    return Request.newBuilder().setChangeProofRequest(r).build();
  }

  /** A change request that carries the heights of its roots, as Ferry's catch-up sends it. */
  static Request change(
      Hash start,
      Hash end,
      KeyRange range,
      int keyLimit,
      int byteLimit,
      long startHeight,
      long endHeight) {
    var r =
        change(start, end, range, keyLimit, byteLimit).getChangeProofRequest().toBuilder()
            .setStartHeight(startHeight)
            .setEndHeight(endHeight);
    return Request.newBuilder().setChangeProofRequest(r).build();
  }

  /** The keys {@link StateModel} commits. */
  static Bytes key(int i) {
    return MerkleTestSupport.indexKey(i);
  }
}
