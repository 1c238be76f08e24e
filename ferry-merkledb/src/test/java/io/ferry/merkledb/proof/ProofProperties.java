package io.ferry.merkledb.proof;

import static io.ferry.merkledb.MerkleTestSupport.apply;
import static io.ferry.merkledb.MerkleTestSupport.batchOf;
import static io.ferry.merkledb.MerkleTestSupport.kvs;
import static io.ferry.merkledb.MerkleTestSupport.memoryDb;
import static io.ferry.merkledb.MerkleTestSupport.rangeOf;
import static io.ferry.merkledb.MerkleTestSupport.scan;
import static io.ferry.merkledb.MerkleTestSupport.slice;
import static io.ferry.merkledb.MerkleTestSupport.successor;
import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import io.ferry.core.Bytes;
import io.ferry.core.Hash;
import io.ferry.core.KeyRange;
import io.ferry.core.Limits;
import io.ferry.merkledb.Batch;
import io.ferry.merkledb.BranchFactor;
import io.ferry.merkledb.KeyChange;
import io.ferry.merkledb.KeyValue;
import io.ferry.merkledb.MerkleDB;
import io.ferry.merkledb.MerkleTestSupport;
import io.ferry.merkledb.MerkleTestSupport.Op;
import io.ferry.merkledb.StateSnapshot;
import io.ferry.merkledb.View;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.Set;
import java.util.TreeMap;
import java.util.TreeSet;
import net.jqwik.api.Arbitraries;
import net.jqwik.api.Arbitrary;
import net.jqwik.api.ForAll;
import net.jqwik.api.Property;
import net.jqwik.api.Provide;
import net.jqwik.api.Tuple;
import net.jqwik.api.constraints.IntRange;
import net.jqwik.api.statistics.Statistics;

/** Honest proofs of random states always verify, cover what they claim, and survive the codec. */
class ProofProperties {
  private static final int HISTORY = 16;

  @Provide
  Arbitrary<List<List<Op>>> histories() {
    return MerkleTestSupport.histories(6, 30);
  }

  /** Mostly small, so that ranges are often cut by the key limit. */
  @Provide
  Arbitrary<Integer> keyLimits() {
    return Arbitraries.frequencyOf(
        Tuple.of(4, Arbitraries.integers().between(1, 6)),
        Tuple.of(2, Arbitraries.integers().between(7, 20)),
        Tuple.of(1, Arbitraries.integers().between(21, 50)));
  }

  @Provide
  Arbitrary<Optional<Bytes>> bounds() {
    return MerkleTestSupport.keys().optional(0.6);
  }

  /**
   * Where the byte limit falls between the size of a one-key proof (0) and the full proof (1); 1
   * stands for the default limit. Below 0, it is that share below the one-key size.
   */
  @Provide
  Arbitrary<Double> byteShares() {
    return Arbitraries.frequencyOf(
        Tuple.of(1, Arbitraries.just(1.0)), Tuple.of(2, Arbitraries.doubles().between(-0.2, 0.99)));
  }

  /** A store after a history, with the model of every height (all retained). */
  record State(MerkleDB db, List<TreeMap<Bytes, Bytes>> models, List<Hash> roots) {
    /** The latest height with {@code root}: the one the store resolves a root to. */
    int heightOf(Hash root) {
      return roots.lastIndexOf(root);
    }
  }

  static State build(BranchFactor bf, List<List<Op>> history) {
    MerkleDB db = memoryDb(bf, HISTORY);
    List<TreeMap<Bytes, Bytes>> models = new ArrayList<>();
    List<Hash> roots = new ArrayList<>();
    TreeMap<Bytes, Bytes> model = new TreeMap<>();
    models.add(new TreeMap<>(model));
    roots.add(db.root());
    for (List<Op> ops : history) {
      apply(model, ops);
      db.commit(batchOf(ops));
      models.add(new TreeMap<>(model));
      roots.add(db.root());
    }
    return new State(db, models, roots);
  }

  // ------------------------------------------------------------------ single-key proofs

  @Property(tries = 300)
  void everySingleKeyProofVerifies(
      @ForAll BranchFactor bf, @ForAll("histories") List<List<Op>> history) {
    State s = build(bf, history);
    try (MerkleDB db = s.db()) {
      TreeMap<Bytes, Bytes> model = s.models().get(s.models().size() - 1);
      Set<Bytes> probes = new TreeSet<>(model.keySet());
      history.forEach(ops -> ops.forEach(op -> probes.add(op.key())));
      probes.add(Bytes.EMPTY);
      probes.add(Bytes.fromHex("7f7f7f7f"));
      Hash previous = s.roots().get(s.roots().size() - 2);
      for (Bytes k : probes) {
        Proof p = db.proof(k);
        assertThat(p.key()).isEqualTo(k);
        assertThat(p.value()).isEqualTo(Optional.ofNullable(model.get(k)));
        ProofVerifier.verifyProof(p, db.root(), bf);
        Proof decoded = roundTrip(p, bf);
        ProofVerifier.verifyProof(decoded, db.root(), bf);
        if (!previous.equals(db.root())) {
          assertThatThrownBy(() -> ProofVerifier.verifyProof(p, previous, bf))
              .isInstanceOf(ProofException.class);
        }
        // the other claim about the same key never verifies
        Proof flipped =
            new Proof(
                k,
                p.value().isPresent() ? Optional.empty() : Optional.of(Bytes.fromHex("00")),
                p.path());
        assertThatThrownBy(() -> ProofVerifier.verifyProof(flipped, db.root(), bf))
            .isInstanceOf(ProofException.class);
      }
    }
  }

  // ------------------------------------------------------------------ range proofs

  @Property(tries = 400)
  void rangeProofsVerifyAreCutOnlyAtTheEndAndReassembleTheRange(
      @ForAll BranchFactor bf,
      @ForAll("histories") List<List<Op>> history,
      @ForAll("bounds") Optional<Bytes> a,
      @ForAll("bounds") Optional<Bytes> b,
      @ForAll("keyLimits") int keyLimit,
      @ForAll("byteShares") double byteShare,
      @ForAll @IntRange(min = 0, max = 100) int at) {
    KeyRange range = rangeOf(a, b);
    State s = build(bf, history);
    try (MerkleDB db = s.db()) {
      int height = at % s.roots().size();
      Hash root = s.roots().get(height);
      List<KeyValue> expected = slice(s.models().get(height), range);
      int oneKey =
          ProofCodec.encode(db.rangeProof(root, range, 1, Limits.MAX_PROOF_BYTES))
              .getSerializedSize();
      int fullSize =
          ProofCodec.encode(db.rangeProof(root, range, keyLimit, Limits.MAX_PROOF_BYTES))
              .getSerializedSize();
      int byteLimit = Limits.DEFAULT_PROOF_BYTE_LIMIT;
      if (byteShare < 0) {
        byteLimit = (int) (oneKey * (1 + byteShare));
      } else if (byteShare < 1) {
        byteLimit = oneKey + (int) ((fullSize - oneKey) * byteShare);
      }
      byteLimit = Math.max(1, byteLimit); // the empty trie's proof is zero bytes

      RangeProof p;
      try {
        p = db.rangeProof(root, range, keyLimit, byteLimit);
      } catch (ProofException e) {
        // only when not even one key-value fits
        assertThat(e.reason()).isEqualTo(ProofError.MIN_PROOF_SIZE_TOO_LARGE);
        RangeProof smallest = db.rangeProof(root, range, 1, Limits.MAX_PROOF_BYTES);
        assertThat(ProofCodec.encode(smallest).getSerializedSize()).isGreaterThan(byteLimit);
        Statistics.label("cannot be sent").collect(true);
        return;
      }
      assertThat(ProofCodec.encode(p).getSerializedSize()).isLessThanOrEqualTo(byteLimit);
      ProofVerifier.verifyRangeProof(p, range, keyLimit, root, bf);
      Statistics.label("cannot be sent").collect(false);
      Statistics.label("cannot be sent").coverage(c -> c.check(true).percentage(pct -> pct >= 3));
      int full = Math.min(keyLimit, expected.size());
      Statistics.label("cut by the byte limit").collect(p.keyValues().size() < full);
      Statistics.label("cut by the byte limit")
          .coverage(c -> c.check(true).percentage(pct -> pct >= 3));
      Statistics.label("cut by the key limit").collect(keyLimit < expected.size());
      Statistics.label("cut by the key limit")
          .coverage(c -> c.check(true).percentage(pct -> pct >= 2));
      assertThat(p.keyValues().size()).isLessThanOrEqualTo(keyLimit);
      assertThat(expected).startsWith(p.keyValues().toArray(KeyValue[]::new));
      if (byteLimit == Limits.DEFAULT_PROOF_BYTE_LIMIT) {
        assertThat(p.keyValues()).hasSize(Math.min(keyLimit, expected.size()));
      }
      RangeProof decoded = roundTrip(p, bf);
      ProofVerifier.verifyRangeProof(decoded, range, keyLimit, root, bf);

      // a client asking again after the last key it got reassembles the range exactly
      List<KeyValue> got = new ArrayList<>();
      Optional<Bytes> next = range.start();
      for (int round = 0; ; round++) {
        assertThat(round).isLessThanOrEqualTo(expected.size() + 1);
        KeyRange rest = new KeyRange(next, range.end());
        RangeProof part = db.rangeProof(root, rest, keyLimit, Limits.DEFAULT_PROOF_BYTE_LIMIT);
        ProofVerifier.verifyRangeProof(roundTrip(part, bf), rest, keyLimit, root, bf);
        if (part.keyValues().isEmpty()) {
          break;
        }
        got.addAll(part.keyValues());
        Bytes after = successor(part.keyValues().get(part.keyValues().size() - 1).key());
        if (range.end().isPresent() && after.compareTo(range.end().get()) > 0) {
          break;
        }
        next = Optional.of(after);
      }
      assertThat(got).containsExactlyElementsOf(expected);
    }
  }

  // ------------------------------------------------------------------ change proofs

  @Property(tries = 400)
  void changeProofsBringAStoreAtTheStartRootToTheEndRoot(
      @ForAll BranchFactor bf,
      @ForAll("histories") List<List<Op>> history,
      @ForAll("bounds") Optional<Bytes> a,
      @ForAll("bounds") Optional<Bytes> b,
      @ForAll("keyLimits") int keyLimit,
      @ForAll @IntRange(min = 0, max = 100) int i,
      @ForAll @IntRange(min = 0, max = 100) int j) {
    KeyRange range = rangeOf(a, b);
    State s = build(bf, history);
    try (MerkleDB db = s.db()) {
      Hash startRoot = s.roots().get(i % s.roots().size());
      Hash endRoot = s.roots().get(j % s.roots().size());
      if (s.heightOf(startRoot) > s.heightOf(endRoot)) {
        Hash t = startRoot;
        startRoot = endRoot;
        endRoot = t;
      }
      if (s.heightOf(startRoot) == s.heightOf(endRoot)) {
        return; // no change to prove; refused, see ProofAttackTest
      }
      syncChanges(db, s, startRoot, endRoot, range, keyLimit, bf);
      Statistics.label("rounds").coverage(c -> c.check("several").percentage(pct -> pct >= 5));
    }
  }

  @Property(tries = 300)
  void changeProofsOfOnlyDeletesApply(
      @ForAll BranchFactor bf,
      @ForAll("histories") List<List<Op>> history,
      @ForAll("bounds") Optional<Bytes> a,
      @ForAll("bounds") Optional<Bytes> b,
      @ForAll("keyLimits") int keyLimit,
      @ForAll long deleteMask,
      @ForAll boolean deleteAll) {
    KeyRange range = rangeOf(a, b);
    State s = build(bf, history);
    try (MerkleDB db = s.db()) {
      TreeMap<Bytes, Bytes> model = new TreeMap<>(s.models().get(s.models().size() - 1));
      Batch deletes = new Batch();
      int n = 0;
      for (Bytes k : new ArrayList<>(model.keySet())) {
        if (deleteAll || (deleteMask >>> (n++ % 64) & 1) == 1) {
          deletes.delete(k);
          model.remove(k);
        }
      }
      if (deletes.isEmpty()) {
        return; // nothing to delete: the root would not change
      }
      Hash startRoot = db.root();
      db.commit(deletes);
      Statistics.label("to the empty trie").collect(db.root().isZero());
      Statistics.label("to the empty trie")
          .coverage(c -> c.check(true).percentage(pct -> pct >= 10));
      s.models().add(model);
      s.roots().add(db.root());
      syncChanges(db, s, startRoot, db.root(), range, keyLimit, bf);
    }
  }

  @Property(tries = 200)
  void everyRetainedRootIsProvableAfterPruning(
      @ForAll BranchFactor bf,
      @ForAll("histories") List<List<Op>> history,
      @ForAll @IntRange(min = 1, max = 4) int historyLength) {
    List<TreeMap<Bytes, Bytes>> models = new ArrayList<>();
    List<Hash> roots = new ArrayList<>();
    TreeMap<Bytes, Bytes> model = new TreeMap<>();
    try (MerkleDB db = memoryDb(bf, historyLength)) {
      models.add(new TreeMap<>(model));
      roots.add(db.root());
      for (List<Op> ops : history) {
        apply(model, ops);
        db.commit(batchOf(ops));
        models.add(new TreeMap<>(model));
        roots.add(db.root());
      }
      int head = history.size();
      int oldest = Math.max(0, head - historyLength + 1);
      assertThat(db.revisions()).hasSize(head - oldest + 1);
      for (int h = 0; h <= head; h++) {
        Hash root = roots.get(h);
        boolean kept = roots.subList(oldest, head + 1).contains(root);
        assertThat(db.hasRoot(root)).isEqualTo(kept);
        if (!kept) {
          assertThatThrownBy(() -> db.rangeProof(root, KeyRange.ALL, 100, 100_000))
              .isInstanceOfSatisfying(
                  io.ferry.core.FerryException.class,
                  e ->
                      assertThat(e.code()).isEqualTo(io.ferry.core.ErrorCode.INSUFFICIENT_HISTORY));
          continue;
        }
        RangeProof p = db.rangeProof(root, KeyRange.ALL, 100, Limits.DEFAULT_PROOF_BYTE_LIMIT);
        ProofVerifier.verifyRangeProof(p, KeyRange.ALL, 100, root, bf);
        assertThat(p.keyValues()).containsExactlyElementsOf(kvs(models.get(h)));
      }
      Hash first = roots.get(oldest);
      if (roots.lastIndexOf(first) < head) {
        State s = new State(db, models, roots);
        syncChanges(db, s, first, db.root(), KeyRange.ALL, 7, bf);
      }
    }
  }

  /**
   * Brings a second store from the start root's state to the end root's in {@code range}, one
   * change proof at a time, checking each against the model.
   */
  private static void syncChanges(
      MerkleDB db,
      State s,
      Hash startRoot,
      Hash endRoot,
      KeyRange range,
      int keyLimit,
      BranchFactor bf) {
    TreeMap<Bytes, Bytes> before = s.models().get(s.heightOf(startRoot));
    TreeMap<Bytes, Bytes> after = s.models().get(s.heightOf(endRoot));
    List<KeyChange> diff = diff(before, after, range);
    try (MerkleDB local = memoryDb(bf, 4)) {
      local.commit(Batch.of(kvs(before)));
      assertThat(local.root()).isEqualTo(startRoot);
      List<KeyChange> got = new ArrayList<>();
      Optional<Bytes> next = range.start();
      int rounds = 0;
      for (int round = 0; ; round++) {
        rounds++;
        assertThat(round).isLessThanOrEqualTo(diff.size() + 1);
        KeyRange rest = new KeyRange(next, range.end());
        ChangeProof p =
            db.changeProof(startRoot, endRoot, rest, keyLimit, Limits.DEFAULT_PROOF_BYTE_LIMIT);
        assertThat(p.keyChanges().size()).isLessThanOrEqualTo(keyLimit);
        ChangeProof decoded = roundTrip(p, bf);
        try (StateSnapshot snap = local.snapshot()) {
          View applied = ProofVerifier.verifyChangeProof(decoded, rest, keyLimit, endRoot, snap);
          local.commit(applied);
        }
        if (p.keyChanges().isEmpty()) {
          break;
        }
        got.addAll(p.keyChanges());
        Bytes last = successor(p.keyChanges().get(p.keyChanges().size() - 1).key());
        if (range.end().isPresent() && last.compareTo(range.end().get()) > 0) {
          break;
        }
        next = Optional.of(last);
      }
      assertThat(got).containsExactlyElementsOf(diff);
      Statistics.label("rounds").collect(rounds > 1 ? "several" : "one");
      TreeMap<Bytes, Bytes> expected = new TreeMap<>(before);
      expected.keySet().removeIf(range::contains);
      slice(after, range).forEach(kv -> expected.put(kv.key(), kv.value()));
      assertThat(scan(local, KeyRange.ALL)).containsExactlyElementsOf(kvs(expected));
      if (range.isUnbounded()) {
        assertThat(local.root()).isEqualTo(endRoot);
      }
    }
  }

  /** Every key of {@code range} whose value differs, with its new state, in key order. */
  static List<KeyChange> diff(
      TreeMap<Bytes, Bytes> before, TreeMap<Bytes, Bytes> after, KeyRange range) {
    Map<Bytes, Optional<Bytes>> changes = new TreeMap<>();
    before.forEach(
        (k, v) -> {
          if (range.contains(k) && !v.equals(after.get(k))) {
            changes.put(k, Optional.ofNullable(after.get(k)));
          }
        });
    after.forEach(
        (k, v) -> {
          if (range.contains(k) && !v.equals(before.get(k))) {
            changes.put(k, Optional.of(v));
          }
        });
    List<KeyChange> out = new ArrayList<>();
    changes.forEach((k, v) -> out.add(new KeyChange(k, v)));
    return out;
  }

  // ------------------------------------------------------------------ codec

  static RangeProof roundTrip(RangeProof p, BranchFactor bf) {
    byte[] bytes = WireBytes.of(p);
    RangeProof decoded = WireBytes.rangeProof(bytes, bf);
    assertThat(decoded).isEqualTo(p);
    assertThat(WireBytes.of(decoded)).isEqualTo(bytes);
    return decoded;
  }

  static ChangeProof roundTrip(ChangeProof p, BranchFactor bf) {
    byte[] bytes = WireBytes.of(p);
    ChangeProof decoded = WireBytes.changeProof(bytes, bf);
    assertThat(decoded).isEqualTo(p);
    assertThat(WireBytes.of(decoded)).isEqualTo(bytes);
    return decoded;
  }

  static Proof roundTrip(Proof p, BranchFactor bf) {
    byte[] bytes = WireBytes.of(p);
    Proof decoded = WireBytes.proof(bytes, bf);
    assertThat(decoded).isEqualTo(p);
    assertThat(WireBytes.of(decoded)).isEqualTo(bytes);
    return decoded;
  }
}
