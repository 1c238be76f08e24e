package io.ferry.merkledb;

import static io.ferry.merkledb.MerkleTestSupport.apply;
import static io.ferry.merkledb.MerkleTestSupport.batchOf;
import static io.ferry.merkledb.MerkleTestSupport.kvs;
import static io.ferry.merkledb.MerkleTestSupport.memoryDb;
import static io.ferry.merkledb.MerkleTestSupport.rangeOf;
import static io.ferry.merkledb.MerkleTestSupport.rootOf;
import static io.ferry.merkledb.MerkleTestSupport.scan;
import static io.ferry.merkledb.MerkleTestSupport.slice;
import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import io.ferry.core.Bytes;
import io.ferry.core.ErrorCode;
import io.ferry.core.FerryException;
import io.ferry.core.Hash;
import io.ferry.core.KeyRange;
import io.ferry.merkledb.MerkleTestSupport.Op;
import java.util.ArrayList;
import java.util.Collections;
import java.util.List;
import java.util.Optional;
import java.util.Random;
import java.util.Set;
import java.util.TreeMap;
import java.util.TreeSet;
import net.jqwik.api.Arbitrary;
import net.jqwik.api.ForAll;
import net.jqwik.api.Property;
import net.jqwik.api.Provide;

/** MerkleDB against a sorted-map model: contents, reads, roots and views. */
class MerkleDBProperties implements MerkleArbitraries {
  @Provide
  Arbitrary<List<List<Op>>> histories() {
    return MerkleTestSupport.histories(8, 12);
  }

  @Property(tries = 500)
  void everyCommitMatchesTheModel(
      @ForAll BranchFactor bf,
      @ForAll("histories") List<List<Op>> history,
      @ForAll("bounds") Optional<Bytes> a,
      @ForAll("bounds") Optional<Bytes> b,
      @ForAll long seed) {
    Random random = new Random(seed);
    KeyRange range = rangeOf(a, b);
    Set<Bytes> probes = new TreeSet<>();
    history.forEach(ops -> ops.forEach(op -> probes.add(op.key())));
    probes.add(Bytes.EMPTY);
    probes.add(Bytes.fromHex("42"));
    TreeMap<Bytes, Bytes> model = new TreeMap<>();
    try (MerkleDB db = memoryDb(bf, 4)) {
      long height = 0;
      for (List<Op> ops : history) {
        apply(model, ops);
        Revision rev = db.commit(batchOf(ops));
        height++;

        assertThat(rev.height()).isEqualTo(height);
        assertThat(db.height()).isEqualTo(height);
        assertThat(scan(db, KeyRange.ALL)).containsExactlyElementsOf(kvs(model));
        assertThat(scan(db, range)).containsExactlyElementsOf(slice(model, range));
        for (Bytes k : probes) {
          assertThat(db.get(k)).as("get %s", k).isEqualTo(Optional.ofNullable(model.get(k)));
        }
        Hash expected = rootOf(model, bf);
        assertThat(rev.root()).isEqualTo(expected);
        assertThat(db.root()).isEqualTo(expected);
        assertThat(model.isEmpty()).isEqualTo(expected.isZero());
        assertThat(shuffledBuild(model, bf, random)).isEqualTo(expected);
        try (StateSnapshot snap = db.snapshot()) {
          assertThat(snap.root()).isEqualTo(expected);
          assertThat(scan(snap, range)).containsExactlyElementsOf(slice(model, range));
        }
      }
      assertThat(db.revisions()).hasSize((int) Math.min(height + 1, 4));
    }
  }

  /**
   * Builds the model's trie by a random chain of views: keys inserted in shuffled order in chunks,
   * with keys not in the model inserted and deleted again along the way.
   */
  private static Hash shuffledBuild(TreeMap<Bytes, Bytes> model, BranchFactor bf, Random random) {
    List<Op> ops = new ArrayList<>();
    model.forEach((k, v) -> ops.add(new Op(k, Optional.of(v))));
    List<Bytes> noise = new ArrayList<>();
    for (int i = 0; i < 3; i++) {
      byte[] k = new byte[random.nextInt(3)];
      random.nextBytes(k);
      Bytes key = Bytes.wrap(k);
      if (!model.containsKey(key)) {
        noise.add(key);
        ops.add(new Op(key, Optional.of(Bytes.fromHex("99"))));
      }
    }
    // an existing key first written with another value, and later set right
    if (!model.isEmpty()) {
      ops.add(0, new Op(model.firstKey(), Optional.of(Bytes.fromHex("abcd"))));
    }
    Collections.shuffle(ops.subList(model.isEmpty() ? 0 : 1, ops.size()), random);
    List<Op> deletes = new ArrayList<>();
    noise.forEach(k -> deletes.add(new Op(k, Optional.empty())));
    if (!model.isEmpty()) {
      deletes.add(new Op(model.firstKey(), Optional.of(model.firstEntry().getValue())));
    }
    Collections.shuffle(deletes, random);
    ops.addAll(deletes);

    TrieReader trie = TrieReader.empty(bf);
    int i = 0;
    while (i < ops.size()) {
      int n = 1 + random.nextInt(3);
      Batch batch = new Batch();
      for (Op op : ops.subList(i, Math.min(ops.size(), i + n))) {
        batch.set(op.key(), op.value());
      }
      trie = View.of(trie, batch);
      i += n;
    }
    return trie.root();
  }

  @Property(tries = 500)
  void viewsOnViewsMatchAFreshBuildAndCommitTogether(
      @ForAll BranchFactor bf,
      @ForAll("batches") List<Op> first,
      @ForAll("batches") List<Op> second,
      @ForAll("batches") List<Op> third,
      @ForAll("bounds") Optional<Bytes> a,
      @ForAll("bounds") Optional<Bytes> b) {
    KeyRange range = rangeOf(a, b);
    TreeMap<Bytes, Bytes> model0 = new TreeMap<>();
    apply(model0, first);
    TreeMap<Bytes, Bytes> model1 = new TreeMap<>(model0);
    apply(model1, second);
    TreeMap<Bytes, Bytes> model2 = new TreeMap<>(model1);
    apply(model2, third);
    try (MerkleDB db = memoryDb(bf, 8)) {
      db.commit(batchOf(first));
      Hash root0 = db.root();

      View view1 = db.newView(batchOf(second));
      View view2 = view1.newView(batchOf(third));
      assertThat(view1.root()).isEqualTo(rootOf(model1, bf));
      assertThat(view2.root()).isEqualTo(rootOf(model2, bf));
      assertThat(scan(view1, KeyRange.ALL)).containsExactlyElementsOf(kvs(model1));
      assertThat(scan(view2, KeyRange.ALL)).containsExactlyElementsOf(kvs(model2));
      assertThat(scan(view2, range)).containsExactlyElementsOf(slice(model2, range));
      for (Op op : third) {
        assertThat(view2.get(op.key())).isEqualTo(Optional.ofNullable(model2.get(op.key())));
      }
      for (Op op : second) {
        assertThat(view2.get(op.key())).isEqualTo(Optional.ofNullable(model2.get(op.key())));
        assertThat(view1.get(op.key())).isEqualTo(Optional.ofNullable(model1.get(op.key())));
      }
      // building views leaves the store alone
      assertThat(db.root()).isEqualTo(root0);
      assertThat(db.height()).isEqualTo(1);

      Revision rev = db.commit(view2);
      assertThat(rev.height()).isEqualTo(2);
      assertThat(rev.root()).isEqualTo(view2.root());
      assertThat(scan(db, KeyRange.ALL)).containsExactlyElementsOf(kvs(model2));
      for (Op op : second) {
        assertThat(db.get(op.key())).isEqualTo(Optional.ofNullable(model2.get(op.key())));
      }
      // the store, reopened on its nodes, keeps building on the committed trie
      db.commit(new Batch().put(Bytes.fromHex("1011"), Bytes.fromHex("01")));
      TreeMap<Bytes, Bytes> model3 = new TreeMap<>(model2);
      model3.put(Bytes.fromHex("1011"), Bytes.fromHex("01"));
      assertThat(db.root()).isEqualTo(rootOf(model3, bf));

      // both views are now stale: their base is no longer the head
      assertThatThrownBy(() -> db.commit(view1))
          .isInstanceOfSatisfying(
              FerryException.class, e -> assertThat(e.code()).isEqualTo(ErrorCode.ILLEGAL_STATE));
      assertThat(db.root()).isEqualTo(rootOf(model3, bf));
    }
  }

  @Property(tries = 100)
  void aViewFromAnotherStoreIsRefused(@ForAll BranchFactor bf, @ForAll("batches") List<Op> ops) {
    try (MerkleDB db = memoryDb(bf, 4);
        MerkleDB other = memoryDb(bf, 4)) {
      View foreign = other.newView(batchOf(ops));
      assertThatThrownBy(() -> db.commit(foreign))
          .isInstanceOfSatisfying(
              FerryException.class, e -> assertThat(e.code()).isEqualTo(ErrorCode.ILLEGAL_STATE));
      View detached = View.of(TrieReader.empty(bf), batchOf(ops));
      assertThatThrownBy(() -> db.commit(detached)).isInstanceOf(FerryException.class);
      assertThat(db.height()).isZero();
    }
  }

  @Property(tries = 300)
  void bulkLoadBuildsTheTrieThatCommitsBuild(
      @ForAll BranchFactor bf,
      @ForAll("batches") List<Op> initial,
      @ForAll("batches") List<Op> later) {
    TreeMap<Bytes, Bytes> model = new TreeMap<>();
    apply(model, initial);
    try (MerkleDB db = memoryDb(bf, 4)) {
      Revision rev = db.bulkLoad(kvs(model).iterator());
      assertThat(rev.height()).isEqualTo(1);
      assertThat(rev.root()).isEqualTo(rootOf(model, bf));
      assertThat(db.revisions()).containsExactly(rev);
      assertThat(scan(db, KeyRange.ALL)).containsExactlyElementsOf(kvs(model));
      for (Bytes k : model.keySet()) {
        assertThat(db.get(k)).contains(model.get(k));
        io.ferry.merkledb.proof.ProofVerifier.verifyProof(db.proof(k), db.root(), bf);
      }
      // commits build on the bulk-loaded nodes
      apply(model, later);
      db.commit(batchOf(later));
      assertThat(db.root()).isEqualTo(rootOf(model, bf));
      assertThat(scan(db, KeyRange.ALL)).containsExactlyElementsOf(kvs(model));

      assertThatThrownBy(() -> db.bulkLoad(kvs(model).iterator()))
          .isInstanceOfSatisfying(
              FerryException.class, e -> assertThat(e.code()).isEqualTo(ErrorCode.ILLEGAL_STATE));
    }
  }

  @Property(tries = 100)
  void bulkLoadRefusesKeysOutOfOrderAndLeavesTheStoreEmpty(
      @ForAll BranchFactor bf, @ForAll("batches") List<Op> initial) {
    TreeMap<Bytes, Bytes> model = new TreeMap<>();
    apply(model, initial);
    if (model.isEmpty()) {
      return;
    }
    List<KeyValue> kvs = kvs(model);
    kvs.add(kvs.get(0)); // the first key again, last
    try (MerkleDB db = memoryDb(bf, 4)) {
      assertThatThrownBy(() -> db.bulkLoad(kvs.iterator()))
          .isInstanceOfSatisfying(
              FerryException.class,
              e -> assertThat(e.code()).isEqualTo(ErrorCode.INVALID_ARGUMENT));
      assertThat(db.height()).isZero();
      assertThat(db.root()).isEqualTo(Hash.ZERO);
      assertThat(scan(db, KeyRange.ALL)).isEmpty();
      assertThat(db.get(kvs.get(0).key())).isEmpty();
      // and it can still be loaded
      db.bulkLoad(kvs(model).iterator());
      assertThat(db.root()).isEqualTo(rootOf(model, bf));
    }
  }
}
