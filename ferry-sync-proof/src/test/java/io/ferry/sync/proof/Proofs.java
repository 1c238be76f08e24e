package io.ferry.sync.proof;

import static org.assertj.core.api.Assertions.assertThat;

import com.google.protobuf.ByteString;
import com.google.protobuf.InvalidProtocolBufferException;
import io.ferry.core.Bytes;
import io.ferry.core.Hash;
import io.ferry.core.KeyRange;
import io.ferry.merkledb.BranchFactor;
import io.ferry.merkledb.KeyValue;
import io.ferry.merkledb.TrieReader;
import io.ferry.merkledb.View;
import io.ferry.merkledb.proof.ChangeProof;
import io.ferry.merkledb.proof.ProofCodec;
import io.ferry.merkledb.proof.ProofVerifier;
import io.ferry.merkledb.proof.RangeProof;
import io.ferry.wire.v1.GetChangeProofResponse;
import java.util.List;
import java.util.Map;
import java.util.NavigableMap;

/** What a client does with a response: decode it and verify it against the root it trusts. */
final class Proofs {
  private Proofs() {}

  static RangeProof verifiedRange(
      ByteString response, KeyRange range, int keyLimit, Hash root, BranchFactor bf) {
    RangeProof p =
        ProofCodec.decode(parse(() -> io.ferry.wire.v1.RangeProof.parseFrom(response)), bf);
    ProofVerifier.verifyRangeProof(p, range, keyLimit, root, bf);
    return p;
  }

  static GetChangeProofResponse changeResponse(ByteString response) {
    return parse(() -> GetChangeProofResponse.parseFrom(response));
  }

  /** Verifies a change proof against {@code local} (the start state) and returns it applied. */
  static View verifiedChange(
      GetChangeProofResponse response,
      KeyRange range,
      int keyLimit,
      Hash endRoot,
      TrieReader local) {
    assertThat(response.hasChangeProof()).as("a change proof").isTrue();
    ChangeProof p = ProofCodec.decode(response.getChangeProof(), local.branchFactor());
    return ProofVerifier.verifyChangeProof(p, range, keyLimit, endRoot, local);
  }

  /** The first {@code n} key-values of {@code state} in {@code range}. */
  static List<KeyValue> firstInRange(NavigableMap<Bytes, Bytes> state, KeyRange range, int n) {
    return state.entrySet().stream()
        .filter(e -> range.contains(e.getKey()))
        .limit(n)
        .map(e -> new KeyValue(e.getKey(), e.getValue()))
        .toList();
  }

  static long countInRange(Map<Bytes, Bytes> state, KeyRange range) {
    return state.keySet().stream().filter(range::contains).count();
  }

  private interface Parse<T> {
    T run() throws InvalidProtocolBufferException;
  }

  private static <T> T parse(Parse<T> p) {
    try {
      return p.run();
    } catch (InvalidProtocolBufferException e) {
      throw new AssertionError("the server sent bytes that do not parse", e);
    }
  }
}
