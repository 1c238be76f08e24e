package io.ferry.sync.proof.client;

import static org.assertj.core.api.Assertions.assertThat;

import io.ferry.core.Bytes;
import io.ferry.core.KeyRange;
import io.ferry.merkledb.BranchFactor;
import io.ferry.merkledb.KeyValue;
import io.ferry.merkledb.MerkleDB;
import io.ferry.merkledb.MerkleDBConfig;
import io.ferry.merkledb.proof.ProofVerifier;
import io.ferry.merkledb.proof.RangeProof;
import java.util.ArrayList;
import java.util.List;
import java.util.Optional;
import java.util.TreeMap;
import net.jqwik.api.Arbitraries;
import net.jqwik.api.Arbitrary;
import net.jqwik.api.ForAll;
import net.jqwik.api.Property;
import net.jqwik.api.Provide;
import net.jqwik.api.constraints.IntRange;

/**
 * The end proof read for "nothing left": when it says a range holds no key after a proof's last
 * one, the state agrees (never a range declared done early), and for a range without an end it says
 * so whenever that is true.
 */
class EndProofsProperties {

  /** Short keys over few byte values, so that keys are often prefixes of one another. */
  @Provide
  Arbitrary<Bytes> keys() {
    return Arbitraries.of((byte) 0, (byte) 1, (byte) 0x10, (byte) 0x7f, (byte) 0x80, (byte) 0xff)
        .list()
        .ofMinSize(1)
        .ofMaxSize(4)
        .map(
            l -> {
              byte[] a = new byte[l.size()];
              for (int i = 0; i < a.length; i++) {
                a[i] = l.get(i);
              }
              return Bytes.wrap(a);
            });
  }

  @Property(tries = 1500)
  void nothingAfterIsNeverWrong(
      @ForAll("states") TreeMap<Bytes, Bytes> state,
      @ForAll("keys") Bytes a,
      @ForAll("keys") Bytes b,
      @ForAll boolean bounded,
      @ForAll @IntRange(min = 1, max = 6) int keyLimit,
      @ForAll("factors") BranchFactor bf) {
    KeyRange range =
        a.compareTo(b) <= 0
            ? new KeyRange(Optional.of(a), bounded ? Optional.of(b) : Optional.empty())
            : new KeyRange(Optional.of(b), bounded ? Optional.of(a) : Optional.empty());
    try (MerkleDB db =
        MerkleDB.inMemory(MerkleDBConfig.defaults().withBranchFactor(bf).withSyncWrites(false))) {
      List<KeyValue> kvs = new ArrayList<>();
      state.forEach((k, v) -> kvs.add(new KeyValue(k, v)));
      var root = db.bulkLoad(kvs.iterator()).root();
      RangeProof proof = db.rangeProof(root, range, keyLimit, 1 << 20);
      ProofVerifier.verifyRangeProof(proof, range, keyLimit, root, bf);
      if (proof.keyValues().isEmpty()) {
        return;
      }
      Bytes last = proof.keyValues().get(proof.keyValues().size() - 1).key();
      boolean left =
          range
              .after(last)
              .map(rest -> state.keySet().stream().anyMatch(rest::contains))
              .orElse(false);
      boolean nothingAfter = EndProofs.nothingAfter(proof.endProof(), last, range, bf);
      if (nothingAfter) {
        assertThat(left).as("declared done, but a key of %s follows %s", range, last).isFalse();
      }
      if (range.end().isEmpty()) {
        assertThat(nothingAfter).isEqualTo(!left);
      }
    }
  }

  @Provide
  Arbitrary<TreeMap<Bytes, Bytes>> states() {
    return keys()
        .set()
        .ofMinSize(1)
        .ofMaxSize(12)
        .map(
            ks -> {
              TreeMap<Bytes, Bytes> m = new TreeMap<>();
              int i = 0;
              for (Bytes k : ks) {
                m.put(k, Bytes.wrap(new byte[] {(byte) i++}));
              }
              return m;
            });
  }

  @Provide
  Arbitrary<BranchFactor> factors() {
    return Arbitraries.of(BranchFactor.values());
  }
}
