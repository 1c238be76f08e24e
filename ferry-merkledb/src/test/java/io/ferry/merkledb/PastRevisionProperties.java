package io.ferry.merkledb;

import static io.ferry.merkledb.MerkleTestSupport.apply;
import static io.ferry.merkledb.MerkleTestSupport.batchOf;
import static io.ferry.merkledb.MerkleTestSupport.kvs;
import static io.ferry.merkledb.MerkleTestSupport.rangeOf;
import static io.ferry.merkledb.MerkleTestSupport.rootOf;
import static io.ferry.merkledb.MerkleTestSupport.slice;
import static org.assertj.core.api.Assertions.assertThat;

import io.ferry.core.Bytes;
import io.ferry.core.KeyRange;
import io.ferry.core.Limits;
import io.ferry.merkledb.MerkleTestSupport.Op;
import io.ferry.merkledb.proof.ChangeProof;
import io.ferry.merkledb.proof.ProofGenerator;
import io.ferry.merkledb.proof.ProofVerifier;
import io.ferry.merkledb.proof.RangeProof;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.Random;
import java.util.TreeMap;
import java.util.TreeSet;
import net.jqwik.api.Arbitrary;
import net.jqwik.api.ForAll;
import net.jqwik.api.Property;
import net.jqwik.api.Provide;
import net.jqwik.api.constraints.IntRange;

/**
 * Past revisions read lazily from the node and key histories against a model of every height's
 * contents: random commits (deletes, keys re-created, commits undone so that roots repeat, heights
 * that jump across the node history's epochs, a bulk load that starts the history over), then at
 * every retained revision, for random ranges, values, range proofs and change proofs equal what the
 * head with the later changes undone in a view gives (the former way of building a past trie), and
 * verify.
 */
class PastRevisionProperties implements MerkleArbitraries {
  private static final int BYTES = Limits.DEFAULT_PROOF_BYTE_LIMIT;

  @Provide
  Arbitrary<List<List<Op>>> histories() {
    return MerkleTestSupport.histories(24, 10);
  }

  @Property(tries = 200)
  void pastRevisionsAreTheModelsAndTheirProofsAreTheViewsAndVerify(
      @ForAll BranchFactor bf,
      @ForAll("histories") List<List<Op>> history,
      @ForAll @IntRange(min = 1, max = 200) int length,
      @ForAll @IntRange(min = 1, max = 50) int maxStep,
      @ForAll boolean bulkLoadFirst,
      @ForAll long seed) {
    Random random = new Random(seed);
    Map<Long, TreeMap<Bytes, Bytes>> states = new TreeMap<>();
    TreeMap<Bytes, Bytes> model = new TreeMap<>();
    states.put(0L, new TreeMap<>());
    MerkleDBConfig config =
        MerkleDBConfig.defaults()
            .withBranchFactor(bf)
            .withHistoryLength(length)
            .withNodeCacheEntries(64);
    try (MerkleDB db = MerkleDB.inMemory(config)) {
      long height = 0;
      TreeMap<Bytes, Bytes> previous = model;
      for (int i = 0; i < history.size(); i++) {
        height += 1 + random.nextInt(maxStep);
        TreeMap<Bytes, Bytes> before = new TreeMap<>(model);
        if (i == 0 && bulkLoadFirst && !history.get(0).isEmpty()) {
          apply(model, history.get(0));
          if (model.isEmpty()) {
            db.commit(batchOf(history.get(0)), height);
          } else {
            db.bulkLoad(kvs(model).iterator(), height);
          }
        } else if (i > 1 && random.nextInt(5) == 0) {
          // Undo the last commit: the root of two commits ago comes back.
          db.commit(undone(model, previous), height);
          model = new TreeMap<>(previous);
        } else {
          apply(model, history.get(i));
          db.commit(batchOf(history.get(i)), height);
        }
        previous = before;
        states.put(height, new TreeMap<>(model));
      }
      check(db, bf, states, random);
    }
  }

  private static void check(
      MerkleDB db, BranchFactor bf, Map<Long, TreeMap<Bytes, Bytes>> states, Random random) {
    List<Revision> revs = db.revisions();
    assertThat(revs.getLast()).isEqualTo(db.revision());
    try (StateSnapshot head = db.snapshot()) {
      for (Revision r : revs) {
        TreeMap<Bytes, Bytes> state = states.get(r.height());
        assertThat(r.root()).as("root at %d", r.height()).isEqualTo(rootOf(state, bf));
        TrieReader past = db.trieAt(head, r.root());
        View undone = undone(head, states.get(db.height()), state);
        assertThat(undone.root()).isEqualTo(r.root());
        // values, one key at a time and by range
        TreeSet<Bytes> probes = new TreeSet<>(states.get(db.height()).navigableKeySet());
        probes.addAll(state.keySet());
        probes.add(Bytes.fromHex("42"));
        for (Bytes k : probes) {
          assertThat(past.get(k))
              .as("%s at %d", k, r.height())
              .isEqualTo(Optional.ofNullable(state.get(k)));
        }
        for (int i = 0; i < 3; i++) {
          KeyRange range = randomRange(random);
          int limit = 1 + random.nextInt(6);
          assertThat(MerkleTestSupport.scan(past, range)).isEqualTo(slice(state, range));
          RangeProof p = db.rangeProof(r.root(), range, limit, BYTES);
          assertThat(p).isEqualTo(ProofGenerator.rangeProof(undone, range, limit, BYTES));
          ProofVerifier.verifyRangeProof(p, range, limit, r.root(), bf);
          List<KeyValue> expected = slice(state, range);
          assertThat(p.keyValues())
              .isEqualTo(expected.subList(0, Math.min(limit, expected.size())));
        }
      }
      // change proofs between random pairs of retained revisions, the end one behind the head too
      for (int i = 0; i < 6 && revs.size() > 1; i++) {
        int a = random.nextInt(revs.size() - 1);
        int b = a + 1 + random.nextInt(revs.size() - 1 - a);
        Revision from = revs.get(a);
        Revision to = revs.get(b);
        if (from.root().equals(to.root())) {
          continue;
        }
        KeyRange range = randomRange(random);
        int limit = 1 + random.nextInt(6);
        ChangeProof cp = db.changeProof(from.root(), to.root(), range, limit, BYTES);
        TreeMap<Bytes, Bytes> fromState = states.get(from.height());
        TreeMap<Bytes, Bytes> toState = states.get(to.height());
        List<KeyChange> changes = diff(fromState, toState, range);
        View endTrie = undone(head, states.get(db.height()), toState);
        assertThat(cp).isEqualTo(ProofGenerator.changeProof(endTrie, changes, range, limit, BYTES));
        TrieReader local = View.of(TrieReader.empty(bf), Batch.of(kvs(fromState)));
        ProofVerifier.verifyChangeProof(cp, range, limit, to.root(), local);
      }
    }
  }

  /** The head with the changes since {@code past} undone: how past tries were built before. */
  private static View undone(StateSnapshot head, Map<Bytes, Bytes> now, Map<Bytes, Bytes> past) {
    return View.of(head, undone(now, past));
  }

  /** A batch that takes {@code now} back to {@code past}. */
  private static Batch undone(Map<Bytes, Bytes> now, Map<Bytes, Bytes> past) {
    Batch undo = new Batch();
    TreeSet<Bytes> keys = new TreeSet<>(now.keySet());
    keys.addAll(past.keySet());
    keys.forEach(k -> undo.set(k, Optional.ofNullable(past.get(k))));
    return undo;
  }

  private static List<KeyChange> diff(
      Map<Bytes, Bytes> from, Map<Bytes, Bytes> to, KeyRange range) {
    TreeSet<Bytes> keys = new TreeSet<>(from.keySet());
    keys.addAll(to.keySet());
    List<KeyChange> out = new ArrayList<>();
    for (Bytes k : keys) {
      Optional<Bytes> a = Optional.ofNullable(from.get(k));
      Optional<Bytes> b = Optional.ofNullable(to.get(k));
      if (range.contains(k) && !a.equals(b)) {
        out.add(new KeyChange(k, b));
      }
    }
    return out;
  }

  private static KeyRange randomRange(Random random) {
    Optional<Bytes> a = random.nextInt(4) == 0 ? Optional.empty() : Optional.of(randomKey(random));
    Optional<Bytes> b = random.nextInt(4) == 0 ? Optional.empty() : Optional.of(randomKey(random));
    return rangeOf(a, b);
  }

  /** Keys like the histories' (from a small alphabet), so ranges cut through them. */
  private static Bytes randomKey(Random random) {
    byte[] alphabet = {0x00, 0x01, 0x10, 0x11, 0x1f, 0x7f, (byte) 0x80, (byte) 0xff};
    byte[] k = new byte[random.nextInt(4)];
    for (int i = 0; i < k.length; i++) {
      k[i] = alphabet[random.nextInt(alphabet.length)];
    }
    return Bytes.wrap(k);
  }
}
