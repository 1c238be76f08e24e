package io.ferry.merkledb;

import static org.assertj.core.api.Assertions.assertThat;

import io.ferry.core.Bytes;
import io.ferry.core.Hash;
import io.ferry.core.KeyRange;
import io.ferry.core.Limits;
import io.ferry.merkledb.proof.ChangeProof;
import io.ferry.merkledb.proof.ProofVerifier;
import io.ferry.merkledb.proof.RangeProof;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.Random;
import java.util.TreeMap;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

class MerkleDBSmokeTest {
  @TempDir Path dir;

  static Bytes rnd(Random r, int max) {
    byte[] b = new byte[1 + r.nextInt(max)];
    r.nextBytes(b);
    return Bytes.wrap(b);
  }

  static Hash rootOf(Map<Bytes, Bytes> model, BranchFactor bf) {
    List<KeyValue> kvs = new ArrayList<>();
    model.forEach((k, v) -> kvs.add(new KeyValue(k, v)));
    return View.of(TrieReader.empty(bf), Batch.of(kvs)).root();
  }

  @Test
  void incrementalCommitsMatchAFreshBuildAndProofsVerify() {
    Random r = new Random(7);
    TreeMap<Bytes, Bytes> model = new TreeMap<>();
    List<Hash> roots = new ArrayList<>();
    try (MerkleDB db =
        MerkleDB.open(dir.resolve("db"), MerkleDBConfig.defaults().withHistoryLength(10))) {
      for (int c = 0; c < 20; c++) {
        Batch b = new Batch();
        for (int i = 0; i < 50; i++) {
          if (!model.isEmpty() && r.nextInt(3) == 0) {
            Bytes k = model.keySet().stream().skip(r.nextInt(model.size())).findFirst().get();
            b.delete(k);
            model.remove(k);
          } else {
            Bytes k = rnd(r, 4);
            Bytes v = rnd(r, 40);
            b.put(k, v);
            model.put(k, v);
          }
        }
        // a batch can put then delete the same key; the model followed the same order
        db.commit(b);
        roots.add(db.root());
        assertThat(db.root()).isEqualTo(rootOf(model, BranchFactor.BF16));
      }
      List<KeyValue> all = new ArrayList<>();
      db.scan(KeyRange.ALL, kv -> all.add(kv));
      assertThat(all).hasSize(model.size());
      for (KeyValue kv : all) {
        assertThat(model.get(kv.key())).isEqualTo(kv.value());
        ProofVerifier.verifyProof(db.proof(kv.key()), db.root(), BranchFactor.BF16);
      }
      ProofVerifier.verifyProof(
          db.proof(Bytes.fromHex("ffffffffff")), db.root(), BranchFactor.BF16);

      // range proofs in pieces at an older root
      Hash old = roots.get(15);
      Optional<Bytes> start = Optional.empty();
      int got = 0;
      while (true) {
        KeyRange range = new KeyRange(start, Optional.empty());
        RangeProof p = db.rangeProof(old, range, 37, Limits.DEFAULT_PROOF_BYTE_LIMIT);
        ProofVerifier.verifyRangeProof(p, range, 37, old, BranchFactor.BF16);
        got += p.keyValues().size();
        if (p.keyValues().size() < 37) {
          break;
        }
        byte[] last = p.keyValues().get(p.keyValues().size() - 1).key().toByteArray();
        start = Optional.of(Bytes.wrap(java.util.Arrays.copyOf(last, last.length + 1)));
      }
      assertThat(got).isGreaterThan(0);

      // change proof from root 15 to the head applied to a db at root 15
      try (MerkleDB other = MerkleDB.inMemory(MerkleDBConfig.defaults())) {
        List<KeyValue> at15 = new ArrayList<>();
        RangeProof full = db.rangeProof(old, KeyRange.ALL, 2048, Limits.MAX_PROOF_BYTES);
        at15.addAll(full.keyValues());
        other.commit(Batch.of(at15));
        assertThat(other.root()).isEqualTo(old);
        ChangeProof cp = db.changeProof(old, db.root(), KeyRange.ALL, 2048, Limits.MAX_PROOF_BYTES);
        try (StateSnapshot local = other.snapshot()) {
          View applied = ProofVerifier.verifyChangeProof(cp, KeyRange.ALL, 2048, db.root(), local);
          other.commit(applied);
        }
        assertThat(other.root()).isEqualTo(db.root());
      }
    }
    // reopen keeps the head
    try (MerkleDB db =
        MerkleDB.open(dir.resolve("db"), MerkleDBConfig.defaults().withHistoryLength(10))) {
      assertThat(db.root()).isEqualTo(rootOf(model, BranchFactor.BF16));
      assertThat(db.height()).isEqualTo(20);
      assertThat(db.revisions()).hasSize(10);
    }
  }

  @Test
  void bulkLoadMatchesViewBuild() {
    Random r = new Random(3);
    TreeMap<Bytes, Bytes> model = new TreeMap<>();
    for (int i = 0; i < 5000; i++) {
      model.put(rnd(r, 6), rnd(r, 50));
    }
    List<KeyValue> kvs = new ArrayList<>();
    model.forEach((k, v) -> kvs.add(new KeyValue(k, v)));
    try (MerkleDB db = MerkleDB.open(dir.resolve("bulk"))) {
      db.bulkLoad(kvs.iterator());
      assertThat(db.root()).isEqualTo(rootOf(model, BranchFactor.BF16));
      db.commit(new Batch().put(Bytes.fromHex("00"), Bytes.fromHex("01")));
      model.put(Bytes.fromHex("00"), Bytes.fromHex("01"));
      assertThat(db.root()).isEqualTo(rootOf(model, BranchFactor.BF16));
    }
  }
}
