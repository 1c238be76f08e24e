package io.ferry.merkledb;

import static org.assertj.core.api.Assertions.assertThatThrownBy;

import io.ferry.core.Bytes;
import io.ferry.core.Hash;
import io.ferry.core.KeyRange;
import io.ferry.core.Limits;
import io.ferry.merkledb.proof.ChangeProof;
import io.ferry.merkledb.proof.Proof;
import io.ferry.merkledb.proof.ProofException;
import io.ferry.merkledb.proof.ProofVerifier;
import io.ferry.merkledb.proof.RangeProof;
import java.util.ArrayList;
import java.util.List;
import java.util.Optional;
import java.util.Random;
import java.util.TreeMap;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.EnumSource;

/**
 * Proofs that claim a key where the trie has none must not verify: a key outside the root node's
 * path, between a boundary node and a boundary child with a compressed path, or under a child slot
 * the proof shows empty. (Each of these used to verify: the rebuild never hashed such a key.)
 */
class ProofForgeryTest {
  private static final int LIMIT = 1000;
  private static final Bytes X = Bytes.fromHex("78");

  static Bytes h(String hex) {
    return Bytes.fromHex(hex);
  }

  static MerkleDB db(BranchFactor bf, String... keys) {
    MerkleDB db = MerkleDB.inMemory(MerkleDBConfig.defaults().withBranchFactor(bf));
    Batch b = new Batch();
    for (String k : keys) {
      b.put(h(k), h("0" + k.length()));
    }
    db.commit(b);
    return db;
  }

  static void assertRejected(RangeProof p, KeyRange range, Hash root, BranchFactor bf) {
    assertThatThrownBy(() -> ProofVerifier.verifyRangeProof(p, range, LIMIT, root, bf))
        .isInstanceOf(ProofException.class);
  }

  /** The proof with {@code fake} added to its key-values, in order. */
  static RangeProof withKey(RangeProof p, KeyValue fake) {
    TreeMap<Bytes, Bytes> kvs = new TreeMap<>();
    p.keyValues().forEach(kv -> kvs.put(kv.key(), kv.value()));
    kvs.put(fake.key(), fake.value());
    List<KeyValue> out = new ArrayList<>();
    kvs.forEach((k, v) -> out.add(new KeyValue(k, v)));
    return new RangeProof(p.startProof(), p.endProof(), out);
  }

  @Test
  void aForgedInclusionProofDoesNotVerify() {
    try (MerkleDB db = db(BranchFactor.BF16, "1234", "1256", "125678")) {
      // 13: outside the root (at 12); 1240: under an empty slot; 1257: in the compressed path
      // below 125; 12 and 1256ff: above and below existing keys
      for (String k : List.of("13", "1240", "1257", "12", "1256ff", "", "00", "ff")) {
        Proof exclusion = db.proof(h(k));
        ProofVerifier.verifyProof(exclusion, db.root(), BranchFactor.BF16);
        Proof forged = new Proof(h(k), Optional.of(X), exclusion.path());
        assertThatThrownBy(() -> ProofVerifier.verifyProof(forged, db.root(), BranchFactor.BF16))
            .as("inclusion of %s", k)
            .isInstanceOf(ProofException.class);
      }
    }
  }

  @Test
  void aRangeProofWithAnInjectedKeyDoesNotVerify() {
    BranchFactor bf = BranchFactor.BF16;
    try (MerkleDB db = db(bf, "10", "20", "30")) {
      Hash root = db.root();
      // under a child slot the start path shows empty
      KeyRange r1 = KeyRange.of(h("45"), h("50"));
      RangeProof p1 = db.rangeProof(root, r1, LIMIT, Limits.DEFAULT_PROOF_BYTE_LIMIT);
      ProofVerifier.verifyRangeProof(p1, r1, LIMIT, root, bf);
      assertRejected(withKey(p1, new KeyValue(h("45"), X)), r1, root, bf);
      // between the root and the boundary child 10, which has a compressed path
      KeyRange r2 = KeyRange.of(h("15"), h("25"));
      RangeProof p2 = db.rangeProof(root, r2, LIMIT, Limits.DEFAULT_PROOF_BYTE_LIMIT);
      ProofVerifier.verifyRangeProof(p2, r2, LIMIT, root, bf);
      assertRejected(withKey(p2, new KeyValue(h("15"), X)), r2, root, bf);
      // a fake last key beyond the real one
      KeyRange r3 = KeyRange.of(h("10"), h("35"));
      RangeProof p3 = db.rangeProof(root, r3, LIMIT, Limits.DEFAULT_PROOF_BYTE_LIMIT);
      ProofVerifier.verifyRangeProof(p3, r3, LIMIT, root, bf);
      assertRejected(withKey(p3, new KeyValue(h("35"), X)), r3, root, bf);
    }
    try (MerkleDB db = db(bf, "1234", "1256")) {
      // outside the root node, which sits at 12
      KeyRange r = KeyRange.of(h("13"), h("13"));
      RangeProof p = db.rangeProof(db.root(), r, LIMIT, Limits.DEFAULT_PROOF_BYTE_LIMIT);
      ProofVerifier.verifyRangeProof(p, r, LIMIT, db.root(), bf);
      assertRejected(withKey(p, new KeyValue(h("13"), X)), r, db.root(), bf);
    }
  }

  @Test
  void aChangeProofThatLeavesAStaleKeyDoesNotVerify() {
    BranchFactor bf = BranchFactor.BF16;
    try (MerkleDB db = db(bf, "10", "15", "20", "30");
        MerkleDB local = db(bf, "10", "15", "20", "30")) {
      Hash start = db.root();
      db.commit(new Batch().delete(h("15")).put(h("20"), X));
      KeyRange range = KeyRange.from(h("12"));
      ChangeProof cp = db.changeProof(start, db.root(), range, LIMIT, Limits.MAX_PROOF_BYTES);
      try (StateSnapshot base = local.snapshot()) {
        ProofVerifier.verifyChangeProof(cp, range, LIMIT, db.root(), base);
        // without the delete of 15, which now lies between the root and 10
        ChangeProof forged =
            new ChangeProof(
                cp.startProof(),
                cp.endProof(),
                cp.keyChanges().stream().filter(c -> !c.key().equals(h("15"))).toList());
        assertThatThrownBy(
                () -> ProofVerifier.verifyChangeProof(forged, range, LIMIT, db.root(), base))
            .isInstanceOf(ProofException.class);
      }
    }
  }

  /** Random tries and ranges: the real proof verifies, any change to what it claims does not. */
  @ParameterizedTest
  @EnumSource(
      value = BranchFactor.class,
      names = {"BF2", "BF16", "BF256"})
  void randomForgeriesDoNotVerify(BranchFactor bf) {
    Random r = new Random(31 + bf.ordinal());
    byte[] alphabet = {0x00, 0x01, 0x10, 0x12, 0x7f, (byte) 0x80, (byte) 0xff};
    for (int round = 0; round < 150; round++) {
      TreeMap<Bytes, Bytes> model = new TreeMap<>();
      List<Bytes> space = new ArrayList<>();
      for (int len = 0; len <= 2; len++) {
        int count = len == 0 ? 1 : len == 1 ? alphabet.length : 12;
        for (int i = 0; i < count; i++) {
          byte[] k = new byte[len];
          for (int j = 0; j < len; j++) {
            k[j] = alphabet[r.nextInt(alphabet.length)];
          }
          space.add(Bytes.wrap(k));
        }
      }
      for (Bytes k : space) {
        if (r.nextInt(3) == 0) {
          model.put(k, Bytes.wrap(new byte[] {(byte) r.nextInt(256)}));
        }
      }
      try (MerkleDB db = MerkleDB.inMemory(MerkleDBConfig.defaults().withBranchFactor(bf))) {
        List<KeyValue> kvs = new ArrayList<>();
        model.forEach((k, v) -> kvs.add(new KeyValue(k, v)));
        db.commit(Batch.of(kvs));
        Hash root = db.root();
        Bytes a = space.get(r.nextInt(space.size()));
        Bytes b = space.get(r.nextInt(space.size()));
        Optional<Bytes> lo = r.nextInt(4) == 0 ? Optional.empty() : Optional.of(min(a, b));
        Optional<Bytes> hi = r.nextInt(4) == 0 ? Optional.empty() : Optional.of(max(a, b));
        KeyRange range = new KeyRange(lo, hi);
        int limit = 1 + r.nextInt(6);
        RangeProof p = db.rangeProof(root, range, limit, Limits.DEFAULT_PROOF_BYTE_LIMIT);
        ProofVerifier.verifyRangeProof(p, range, LIMIT, root, bf);
        if (root.isZero()) {
          continue;
        }
        Optional<Bytes> last =
            p.keyValues().isEmpty() ? range.end() : Optional.of(p.keyValues().getLast().key());
        for (Bytes k : space) {
          boolean inInterval = range.contains(k) && last.map(l -> k.compareTo(l) <= 0).orElse(true);
          if (!model.containsKey(k) && inInterval) {
            assertRejected(withKey(p, new KeyValue(k, X)), range, root, bf);
          }
        }
        for (int i = 0; i < p.keyValues().size(); i++) {
          List<KeyValue> changed = new ArrayList<>(p.keyValues());
          KeyValue kv = changed.get(i);
          byte[] other = java.util.Arrays.copyOf(kv.value().toByteArray(), kv.value().length() + 1);
          changed.set(i, new KeyValue(kv.key(), Bytes.wrap(other)));
          assertRejected(new RangeProof(p.startProof(), p.endProof(), changed), range, root, bf);
          if (i < p.keyValues().size() - 1) {
            List<KeyValue> dropped = new ArrayList<>(p.keyValues());
            dropped.remove(i);
            assertRejected(new RangeProof(p.startProof(), p.endProof(), dropped), range, root, bf);
          }
        }

        // a change proof to a changed trie, applied to a store at the first one
        TreeMap<Bytes, Bytes> next = new TreeMap<>(model);
        Batch changes = new Batch();
        for (int i = 0; i < 4; i++) {
          Bytes k = space.get(r.nextInt(space.size()));
          if (r.nextBoolean()) {
            next.remove(k);
            changes.delete(k);
          } else {
            Bytes v = Bytes.wrap(new byte[] {(byte) r.nextInt(256), 1});
            next.put(k, v);
            changes.put(k, v);
          }
        }
        Hash end = db.commit(changes).root();
        if (end.equals(root)) {
          continue;
        }
        ChangeProof cp = db.changeProof(root, end, range, limit, Limits.DEFAULT_PROOF_BYTE_LIMIT);
        try (MerkleDB local = MerkleDB.inMemory(db.config())) {
          local.commit(Batch.of(kvs));
          try (StateSnapshot base = local.snapshot()) {
            ProofVerifier.verifyChangeProof(cp, range, LIMIT, end, base);
            Optional<Bytes> cpLast =
                cp.keyChanges().isEmpty()
                    ? range.end()
                    : Optional.of(cp.keyChanges().getLast().key());
            List<List<KeyChange>> forgeries = new ArrayList<>();
            for (int i = 0; i < cp.keyChanges().size() - 1; i++) {
              List<KeyChange> dropped = new ArrayList<>(cp.keyChanges());
              dropped.remove(i);
              forgeries.add(dropped);
            }
            for (Bytes k : space) {
              boolean inInterval =
                  range.contains(k) && cpLast.map(l -> k.compareTo(l) <= 0).orElse(true);
              if (inInterval) {
                TreeMap<Bytes, Optional<Bytes>> forged = new TreeMap<>();
                cp.keyChanges().forEach(c -> forged.put(c.key(), c.value()));
                forged.put(k, next.containsKey(k) ? Optional.empty() : Optional.of(X));
                List<KeyChange> list = new ArrayList<>();
                forged.forEach((key, v) -> list.add(new KeyChange(key, v)));
                forgeries.add(list);
              }
            }
            for (List<KeyChange> f : forgeries) {
              ChangeProof bad = new ChangeProof(cp.startProof(), cp.endProof(), f);
              assertThatThrownBy(
                      () -> ProofVerifier.verifyChangeProof(bad, range, LIMIT, end, base))
                  .isInstanceOf(ProofException.class);
            }
          }
        }
      }
    }
  }

  static Bytes min(Bytes a, Bytes b) {
    return a.compareTo(b) <= 0 ? a : b;
  }

  static Bytes max(Bytes a, Bytes b) {
    return a.compareTo(b) <= 0 ? b : a;
  }
}
