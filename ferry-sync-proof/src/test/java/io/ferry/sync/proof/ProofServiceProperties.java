package io.ferry.sync.proof;

import static io.ferry.sync.proof.Requests.key;
import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import com.google.protobuf.ByteString;
import io.ferry.core.Bytes;
import io.ferry.core.ErrorCode;
import io.ferry.core.FerryException;
import io.ferry.core.Hash;
import io.ferry.core.KeyRange;
import io.ferry.merkledb.BranchFactor;
import io.ferry.merkledb.KeyValue;
import io.ferry.merkledb.MerkleDB;
import io.ferry.merkledb.MerkleDBConfig;
import io.ferry.merkledb.StateModel;
import io.ferry.merkledb.View;
import io.ferry.merkledb.proof.RangeProof;
import io.ferry.wire.v1.GetChangeProofResponse;
import io.ferry.wire.v1.Request;
import java.util.ArrayList;
import java.util.List;
import java.util.Optional;
import net.jqwik.api.ForAll;
import net.jqwik.api.Property;
import net.jqwik.api.constraints.IntRange;

/**
 * The decoder and the proof service together, without the transport, over random stores, ranges and
 * limits: whatever a client asks, the answer verifies, holds the first keys of the range, and fits
 * the clamped limits; or it is the one typed error that fits.
 */
class ProofServiceProperties {
  private static final int KEYS = 60;
  private static final ProofServerConfig CONFIG =
      ProofServerConfig.defaults().withMaxKeyLimit(40).withMaxByteLimit(3000);

  private record Fixture(MerkleDB db, StateModel model) {}

  private static Fixture fixture(long seed, BranchFactor bf) {
    MerkleDB db =
        MerkleDB.inMemory(
            MerkleDBConfig.defaults()
                .withBranchFactor(bf)
                .withHistoryLength(6)
                .withSyncWrites(false));
    StateModel m = new StateModel(seed);
    m.fill(db, KEYS, 6);
    for (int i = 0; i < 4; i++) {
      m.churn(db, KEYS + 10, 15);
    }
    return new Fixture(db, m);
  }

  private static KeyRange range(int a, int b, boolean bounded) {
    if (!bounded) {
      return a % 3 == 0 ? KeyRange.ALL : KeyRange.from(key(Math.min(a, b)));
    }
    return KeyRange.of(key(Math.min(a, b)), key(Math.max(a, b)));
  }

  private static ByteString answer(MerkleDB db, Request request) {
    return new ProofService(db)
        .answer(RequestDecoder.decode(request.toByteString(), CONFIG), read -> {});
  }

  @Property(tries = 60)
  void rangeProofsVerifyAndHoldThePrefixOfTheRange(
      @ForAll long seed,
      @ForAll @IntRange(min = 1, max = 5) int height,
      @ForAll @IntRange(min = 0, max = KEYS + 10) int a,
      @ForAll @IntRange(min = 0, max = KEYS + 10) int b,
      @ForAll boolean bounded,
      @ForAll @IntRange(min = 1, max = 100) int keyLimit,
      @ForAll @IntRange(min = 100, max = 20_000) int byteLimit,
      @ForAll("branchFactors") BranchFactor bf) {
    Fixture f = fixture(seed, bf);
    try (MerkleDB db = f.db()) {
      Hash root = f.model().root((long) height);
      KeyRange range = range(a, b, bounded);
      ByteString response;
      try {
        response = answer(db, Requests.range(root, range, keyLimit, byteLimit));
      } catch (FerryException e) {
        assertThat(e.code()).isEqualTo(ErrorCode.LIMIT_EXCEEDED);
        assertThat(Math.min(byteLimit, CONFIG.maxByteLimit())).isLessThan(3000);
        return;
      }
      assertThat(response.size()).isLessThanOrEqualTo(Math.min(byteLimit, CONFIG.maxByteLimit()));
      RangeProof p = Proofs.verifiedRange(response, range, keyLimit, root, bf);
      int n = p.keyValues().size();
      assertThat(n).isLessThanOrEqualTo(Math.min(keyLimit, CONFIG.maxKeyLimit()));
      assertThat(p.keyValues())
          .isEqualTo(Proofs.firstInRange(f.model().state((long) height), range, n));
      if (byteLimit >= CONFIG.maxByteLimit()) {
        // small values and a generous byte limit: only the key limit or the range's end can cut
        assertThat((long) n)
            .isEqualTo(
                Math.min(
                    Math.min(keyLimit, CONFIG.maxKeyLimit()),
                    Proofs.countInRange(f.model().state((long) height), range)));
      }
    }
  }

  @Property(tries = 60)
  void changeProofsVerifyOrAreRefusedWhenTheyGoBackwards(
      @ForAll long seed,
      @ForAll @IntRange(min = 1, max = 5) int from,
      @ForAll @IntRange(min = 1, max = 5) int to,
      @ForAll @IntRange(min = 0, max = KEYS + 10) int a,
      @ForAll @IntRange(min = 0, max = KEYS + 10) int b,
      @ForAll boolean bounded,
      @ForAll @IntRange(min = 1, max = 100) int keyLimit) {
    Fixture f = fixture(seed, BranchFactor.BF16);
    try (MerkleDB db = f.db()) {
      StateModel m = f.model();
      Hash start = m.root((long) from);
      Hash end = m.root((long) to);
      KeyRange range = range(a, b, bounded);
      Request request = Requests.change(start, end, range, keyLimit, Requests.UNLIMITED);
      if (start.equals(end) || from > to) {
        assertThatThrownBy(() -> answer(db, request))
            .isInstanceOfSatisfying(
                FerryException.class,
                e -> assertThat(e.code()).isEqualTo(ErrorCode.INVALID_ARGUMENT));
        return;
      }
      GetChangeProofResponse response = Proofs.changeResponse(answer(db, request));
      View applied =
          Proofs.verifiedChange(response, range, keyLimit, end, m.trieAt(from, BranchFactor.BF16));
      // up to where the proof stops (the range's end if it was not cut), the client now holds the
      // end state
      int n = response.getChangeProof().getKeyChangesCount();
      KeyRange done =
          n < Math.min(keyLimit, CONFIG.maxKeyLimit())
              ? range
              : new KeyRange(
                  range.start(),
                  Optional.of(
                      Bytes.wrap(
                          response.getChangeProof().getKeyChanges(n - 1).getKey().toByteArray())));
      List<KeyValue> got = new ArrayList<>();
      applied.scan(done, got::add);
      assertThat(got).isEqualTo(Proofs.firstInRange(m.state((long) to), done, Integer.MAX_VALUE));
    }
  }

  @net.jqwik.api.Provide
  net.jqwik.api.Arbitrary<BranchFactor> branchFactors() {
    return net.jqwik.api.Arbitraries.of(BranchFactor.values());
  }
}
