package io.ferry.merkledb;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import io.ferry.core.Bytes;
import io.ferry.core.ErrorCode;
import io.ferry.core.FerryException;
import io.ferry.core.Hash;
import io.ferry.core.KeyRange;
import io.ferry.core.Limits;
import io.ferry.merkledb.proof.ChangeProof;
import io.ferry.merkledb.proof.ProofVerifier;
import io.ferry.merkledb.proof.RangeProof;
import io.ferry.merkledb.store.Column;
import io.ferry.merkledb.store.MemoryStore;
import io.ferry.merkledb.store.StoreIterator;
import java.nio.charset.StandardCharsets;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.Random;
import java.util.TreeMap;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * The retained history: which revisions stay provable, range and change proofs at old roots,
 * pruning, persistence across reopen, and roots that occur more than once.
 */
class HistoryTest {
  private static final int N = 5;
  private static final int BIG = 100_000;

  @TempDir Path tmp;

  /** Keeps, per height, the model contents and root. */
  private static final class Model {
    final Map<Long, TreeMap<Bytes, Bytes>> states = new HashMap<>();
    final Map<Long, Hash> roots = new HashMap<>();
    final Random rnd;
    TreeMap<Bytes, Bytes> current = new TreeMap<>();

    Model(long seed) {
      rnd = new Random(seed);
      states.put(0L, new TreeMap<>());
      roots.put(0L, Hash.ZERO);
    }

    /** A random batch of puts and deletes over a small key space, applied to the model. */
    Batch nextBatch() {
      Batch b = new Batch();
      for (int i = 0; i < 40; i++) {
        byte[] k = new byte[1 + rnd.nextInt(2)];
        for (int j = 0; j < k.length; j++) {
          k[j] = (byte) ('a' + rnd.nextInt(6));
        }
        Bytes key = Bytes.wrap(k);
        if (rnd.nextInt(4) == 0) {
          b.delete(key);
          current.remove(key);
        } else {
          byte[] v = new byte[rnd.nextInt(50)];
          rnd.nextBytes(v);
          b.put(key, Bytes.wrap(v));
          current.put(key, Bytes.wrap(v));
        }
      }
      return b;
    }

    void commit(MerkleDB db) {
      Revision r = db.commit(nextBatch());
      states.put(r.height(), new TreeMap<>(current));
      roots.put(r.height(), r.root());
      assertThat(r.root()).isEqualTo(Stores.rootOf(kvs(current)));
    }
  }

  static List<KeyValue> kvs(Map<Bytes, Bytes> m) {
    List<KeyValue> out = new ArrayList<>();
    m.forEach((k, v) -> out.add(new KeyValue(k, v)));
    return out;
  }

  static Bytes b(String s) {
    return Bytes.wrap(s.getBytes(StandardCharsets.US_ASCII));
  }

  static MerkleDBConfig config(int history) {
    return MerkleDBConfig.defaults().withHistoryLength(history).withNodeCacheEntries(10_000);
  }

  static void assertCode(Runnable r, ErrorCode code) {
    assertThatThrownBy(r::run)
        .isInstanceOf(FerryException.class)
        .extracting(e -> ((FerryException) e).code())
        .isEqualTo(code);
  }

  /** A range proof of the whole trie at {@code root} verifies and holds exactly {@code state}. */
  static void assertProvable(MerkleDB db, Hash root, Map<Bytes, Bytes> state) {
    RangeProof p = db.rangeProof(root, KeyRange.ALL, BIG, Limits.MAX_PROOF_BYTES);
    ProofVerifier.verifyRangeProof(p, KeyRange.ALL, BIG, root, db.branchFactor());
    assertThat(p.keyValues()).isEqualTo(kvs(state));
    // and in pieces, over a bounded range
    KeyRange range = KeyRange.of(b("b"), b("e"));
    Optional<Bytes> start = range.start();
    List<KeyValue> got = new ArrayList<>();
    while (true) {
      KeyRange piece = new KeyRange(start, range.end());
      RangeProof rp = db.rangeProof(root, piece, 5, Limits.DEFAULT_PROOF_BYTE_LIMIT);
      ProofVerifier.verifyRangeProof(rp, piece, 5, root, db.branchFactor());
      got.addAll(rp.keyValues());
      if (rp.keyValues().size() < 5) {
        break;
      }
      byte[] last = rp.keyValues().getLast().key().toByteArray();
      Bytes next = Bytes.wrap(java.util.Arrays.copyOf(last, last.length + 1));
      if (range.endsBefore(next)) {
        break; // the last page ended exactly at the range's end
      }
      start = Optional.of(next);
    }
    assertThat(got)
        .isEqualTo(
            kvs(
                state.entrySet().stream()
                    .filter(e -> range.contains(e.getKey()))
                    .collect(
                        TreeMap::new, (m, e) -> m.put(e.getKey(), e.getValue()), Map::putAll)));
  }

  /**
   * A change proof from {@code from} to {@code to} over {@code range}, applied to a store holding
   * {@code fromState}, yields {@code toRoot}'s contents in the range.
   */
  static void assertChangeProvable(
      MerkleDB db,
      Hash from,
      Map<Bytes, Bytes> fromState,
      Hash to,
      Map<Bytes, Bytes> toState,
      KeyRange range) {
    ChangeProof cp = db.changeProof(from, to, range, BIG, Limits.MAX_PROOF_BYTES);
    try (MerkleDB local = MerkleDB.inMemory(db.config())) {
      local.commit(Batch.of(kvs(fromState)));
      assertThat(local.root()).isEqualTo(from);
      try (StateSnapshot base = local.snapshot()) {
        local.commit(ProofVerifier.verifyChangeProof(cp, range, BIG, to, base));
      }
      TreeMap<Bytes, Bytes> expected = new TreeMap<>(fromState);
      expected.keySet().removeIf(range::contains);
      toState.forEach(
          (k, v) -> {
            if (range.contains(k)) {
              expected.put(k, v);
            }
          });
      Stores.assertSameContents("change proof " + range, Stores.scanAll(local), kvs(expected));
      if (range.isUnbounded()) {
        assertThat(local.root()).isEqualTo(to);
      }
    }
  }

  @Test
  void theWindowHoldsTheLastNRevisionsAndOlderRootsAreInsufficientHistory() {
    Model m = new Model(1);
    try (MerkleDB db = MerkleDB.open(tmp.resolve("db"), config(N))) {
      for (int i = 0; i < N + 3; i++) {
        m.commit(db);
      }
      List<Revision> revs = db.revisions();
      assertThat(revs).hasSize(N);
      assertThat(revs.getLast()).isEqualTo(db.revision());
      assertThat(revs.getLast().height()).isEqualTo(N + 3);
      for (int i = 0; i < N; i++) {
        long h = N + 3 - N + 1 + i;
        assertThat(revs.get(i)).isEqualTo(new Revision(h, m.roots.get(h)));
        assertThat(db.hasRoot(m.roots.get(h))).isTrue();
      }

      // every retained root is provable, and so is every change between two of them
      for (Revision r : revs) {
        assertProvable(db, r.root(), m.states.get(r.height()));
        for (Revision later : revs) {
          if (later.height() > r.height()) {
            assertChangeProvable(
                db,
                r.root(),
                m.states.get(r.height()),
                later.root(),
                m.states.get(later.height()),
                KeyRange.ALL);
          }
        }
      }
      Revision oldest = revs.getFirst();
      assertChangeProvable(
          db,
          oldest.root(),
          m.states.get(oldest.height()),
          db.root(),
          m.states.get(db.height()),
          KeyRange.of(b("b"), b("d")));

      // older than the window
      for (long h = 0; h < oldest.height(); h++) {
        Hash old = m.roots.get(h);
        assertThat(db.hasRoot(old)).as("root of height %d", h).isFalse();
        assertThat(db.wasPruned(old)).as("root of height %d", h).isTrue();
        assertCode(
            () -> db.rangeProof(old, KeyRange.ALL, 10, Limits.DEFAULT_PROOF_BYTE_LIMIT),
            ErrorCode.INSUFFICIENT_HISTORY);
        assertCode(
            () -> db.changeProof(old, db.root(), KeyRange.ALL, 10, Limits.DEFAULT_PROOF_BYTE_LIMIT),
            ErrorCode.INSUFFICIENT_HISTORY);
        assertCode(
            () ->
                db.changeProof(
                    oldest.root(), old, KeyRange.ALL, 10, Limits.DEFAULT_PROOF_BYTE_LIMIT),
            ErrorCode.INSUFFICIENT_HISTORY);
      }
      Hash unknown =
          Hash.of(
              new byte[] {
                1, 2, 3, 4, 5, 6, 7, 8, 9, 10, 11, 12, 13, 14, 15, 16,
                17, 18, 19, 20, 21, 22, 23, 24, 25, 26, 27, 28, 29, 30, 31, 32
              });
      assertCode(
          () -> db.rangeProof(unknown, KeyRange.ALL, 10, Limits.DEFAULT_PROOF_BYTE_LIMIT),
          ErrorCode.INSUFFICIENT_HISTORY);
      // a server tells "too old" from "never had it" by wasPruned
      assertThat(db.wasPruned(unknown)).isFalse();
      assertThat(db.wasPruned(db.root())).isFalse();
      // backwards is a bad request, not missing history
      assertCode(
          () ->
              db.changeProof(
                  db.root(), oldest.root(), KeyRange.ALL, 10, Limits.DEFAULT_PROOF_BYTE_LIMIT),
          ErrorCode.INVALID_ARGUMENT);
    }
  }

  @Test
  void prunedHistoryLeavesTheStore() {
    MemoryStore store = new MemoryStore();
    Model m = new Model(2);
    try (MerkleDB db = MerkleDB.open(store, config(N))) {
      for (int i = 0; i < 40; i++) {
        m.commit(db);
      }
      long oldest = db.revisions().getFirst().height();
      assertThat(oldest).isEqualTo(40 - N + 1);
      // the history only needs the changes after the oldest retained revision
      try (StoreIterator it = store.scan(Column.HISTORY, null, null)) {
        while (it.next()) {
          assertThat(HistoryRecord.heightOf(it.key())).isGreaterThan(oldest);
        }
      }
      // and only the retained revisions keep a root record
      byte[] prefix = "rev/".getBytes(StandardCharsets.US_ASCII);
      int roots = 0;
      try (StoreIterator it = store.scan(Column.META, prefix, new byte[] {'r', 'e', 'v', '0'})) {
        while (it.next()) {
          roots++;
        }
      }
      assertThat(roots).isEqualTo(N);
      assertProvable(db, m.roots.get(oldest), m.states.get(oldest));
    }
  }

  @Test
  void prunedNodeHistoryLeavesTheStoreByWholeEpochs() {
    MemoryStore store = new MemoryStore();
    Model m = new Model(12);
    int commits = 3 * NodeHistory.EPOCH_HEIGHTS + 10;
    try (MerkleDB db = MerkleDB.open(store, config(N))) {
      for (int i = 0; i < commits; i++) {
        m.commit(db);
      }
      long oldest = db.revisions().getFirst().height();
      // Whole epochs below the oldest retained revision's are gone; the oldest's epoch stays whole
      // (its records below the window are never read: a lookup seeks past them).
      long firstKept = NodeHistory.epochOf(oldest + 1) * NodeHistory.EPOCH_HEIGHTS;
      long records = 0;
      long lowest = Long.MAX_VALUE;
      try (StoreIterator it = store.scan(Column.NODE_HISTORY, null, null)) {
        while (it.next()) {
          records++;
          long h = java.nio.ByteBuffer.wrap(it.key(), it.key().length - 8, 8).getLong();
          assertThat(NodeHistory.epochOf(h))
              .isEqualTo(java.nio.ByteBuffer.wrap(it.key(), 0, 8).getLong());
          lowest = Math.min(lowest, h);
        }
      }
      assertThat(records).isPositive();
      assertThat(lowest).isEqualTo(firstKept);
      for (Revision r : db.revisions()) {
        assertProvable(db, r.root(), m.states.get(r.height()));
      }
    }
  }

  @Test
  void aStoreOfTheFormerHistoryFormatKeepsOnlyItsHeadProvable() {
    MemoryStore store = new MemoryStore();
    Model m = new Model(13);
    List<Revision> before;
    try (MerkleDB db = MerkleDB.open(store, config(N))) {
      for (int i = 0; i < N + 2; i++) {
        m.commit(db);
      }
      before = db.revisions();
    }
    // What format 1 left: roots alone under rev/, no node history, no format record.
    io.ferry.merkledb.store.WriteBatch old = new io.ferry.merkledb.store.WriteBatch();
    for (Revision r : before) {
      old.put(Column.META, History.revKey(r.height()), r.root().toBytes());
    }
    old.deleteRange(Column.NODE_HISTORY, new byte[8], new byte[] {(byte) 0x80});
    old.delete(Column.META, History.FORMAT_KEY);
    store.write(old);

    try (MerkleDB db = MerkleDB.open(store, config(N))) {
      assertThat(db.revisions()).containsExactly(before.getLast());
      assertProvable(db, db.root(), m.current);
      assertCode(
          () ->
              db.rangeProof(
                  before.getFirst().root(), KeyRange.ALL, 10, Limits.DEFAULT_PROOF_BYTE_LIMIT),
          ErrorCode.INSUFFICIENT_HISTORY);
      try (StoreIterator it = store.scan(Column.HISTORY, null, null)) {
        assertThat(it.next()).as("history records left").isFalse();
      }
      // and history builds up again from there
      Hash migratedHead = db.root();
      TreeMap<Bytes, Bytes> migratedState = new TreeMap<>(m.current);
      m.commit(db);
      m.commit(db);
      assertProvable(db, migratedHead, migratedState);
      assertChangeProvable(db, migratedHead, migratedState, db.root(), m.current, KeyRange.ALL);
    }
    // a newer format than this code's is refused, and the store left as it is
    store.write(
        new io.ferry.merkledb.store.WriteBatch()
            .put(Column.META, History.FORMAT_KEY, new byte[] {0, 0, 0, 9}));
    assertCode(() -> MerkleDB.open(store, config(N)), ErrorCode.CORRUPT_DATA);
    assertThat(store.get(Column.META, History.FORMAT_KEY)).containsExactly(0, 0, 0, 9);
  }

  @Test
  void historySurvivesCloseAndReopen() {
    Path dir = tmp.resolve("db");
    Model m = new Model(3);
    List<Revision> before;
    try (MerkleDB db = MerkleDB.open(dir, config(N))) {
      for (int i = 0; i < N + 3; i++) {
        m.commit(db);
      }
      before = db.revisions();
    }
    try (MerkleDB db = MerkleDB.open(dir, config(N))) {
      assertThat(db.revisions()).isEqualTo(before);
      for (Revision r : before) {
        assertProvable(db, r.root(), m.states.get(r.height()));
      }
      assertChangeProvable(
          db,
          before.getFirst().root(),
          m.states.get(before.getFirst().height()),
          db.root(),
          m.current,
          KeyRange.ALL);
      m.commit(db);
      // the window slides on from where it was
      assertThat(db.revisions()).hasSize(N);
      assertThat(db.revisions().getFirst()).isEqualTo(before.get(1));
      assertThat(db.hasRoot(before.getFirst().root())).isFalse();
      assertThat(db.wasPruned(before.getFirst().root())).isTrue();
    }
    // pruned roots are remembered in memory only
    try (MerkleDB db = MerkleDB.open(dir, config(N))) {
      assertThat(db.wasPruned(before.getFirst().root())).isFalse();
    }
    // reopened with a shorter window, the next commit prunes down to it
    try (MerkleDB db = MerkleDB.open(dir, config(2))) {
      Revision oldest = db.revisions().getFirst();
      assertProvable(db, oldest.root(), m.states.get(oldest.height()));
      m.commit(db);
      assertThat(db.revisions())
          .extracting(Revision::height)
          .containsExactly((long) N + 4, (long) N + 5);
    }
  }

  @Test
  void pastRevisionsServeAcrossCommitsAndLeaveWithTheWindow() {
    Model m = new Model(9);
    try (MerkleDB db = MerkleDB.open(tmp.resolve("db"), config(8))) {
      for (int i = 0; i < 8; i++) {
        m.commit(db); // heights 1..8 retained
      }
      assertProvable(db, m.roots.get(2L), m.states.get(2L));
      m.commit(db); // 9: window 2..9
      assertProvable(db, m.roots.get(2L), m.states.get(2L));
      assertChangeProvable(
          db, m.roots.get(2L), m.states.get(2L), m.roots.get(3L), m.states.get(3L), KeyRange.ALL);
      m.commit(db); // 10: window 3..10; height 2 leaves
      assertCode(
          () -> db.rangeProof(m.roots.get(2L), KeyRange.ALL, 10, Limits.DEFAULT_PROOF_BYTE_LIMIT),
          ErrorCode.INSUFFICIENT_HISTORY);
      for (long h = 3; h <= 10; h++) {
        assertProvable(db, m.roots.get(h), m.states.get(h));
      }
    }
  }

  @Test
  void aShortHistorySurvivesReopenToo() {
    Path dir = tmp.resolve("db");
    Model m = new Model(4);
    List<Revision> before;
    try (MerkleDB db = MerkleDB.open(dir, config(N))) {
      m.commit(db);
      m.commit(db);
      before = db.revisions();
      for (Revision r : before) {
        assertProvable(db, r.root(), m.states.get(r.height()));
      }
    }
    try (MerkleDB db = MerkleDB.open(dir, config(N))) {
      assertThat(db.revisions()).isEqualTo(before);
      for (Revision r : before) {
        assertThat(db.hasRoot(r.root())).isTrue();
        assertProvable(db, r.root(), m.states.get(r.height()));
      }
    }
  }

  @Test
  void aWindowOfOneHoldsOnlyTheHead() {
    Model m = new Model(5);
    try (MerkleDB db = MerkleDB.open(tmp.resolve("db"), config(1))) {
      m.commit(db);
      m.commit(db);
      assertThat(db.revisions()).containsExactly(db.revision());
      assertProvable(db, db.root(), m.current);
      assertCode(
          () -> db.rangeProof(m.roots.get(1L), KeyRange.ALL, 10, Limits.DEFAULT_PROOF_BYTE_LIMIT),
          ErrorCode.INSUFFICIENT_HISTORY);
    }
  }

  @Test
  void rootsThatRepeatAreProvableAndChangeProofsUseTheRightOccurrence() {
    Map<Bytes, Bytes> s1 = new TreeMap<>(Map.of(b("a"), b("1"), b("b"), b("2")));
    Map<Bytes, Bytes> s2 = new TreeMap<>(s1);
    s2.put(b("c"), b("3"));
    Map<Bytes, Bytes> s3 = new TreeMap<>(s1);
    s3.put(b("d"), b("4"));
    try (MerkleDB db = MerkleDB.open(tmp.resolve("db"), config(10))) {
      Hash r1 = db.commit(Batch.of(kvs(s1))).root(); // 1
      Hash r2 = db.commit(new Batch().put(b("c"), b("3"))).root(); // 2
      assertThat(db.commit(new Batch().delete(b("c"))).root()).isEqualTo(r1); // 3: back to r1
      Hash r3 = db.commit(new Batch().put(b("d"), b("4"))).root(); // 4
      assertThat(db.commit(new Batch()).root()).isEqualTo(r3); // 5: an empty commit
      assertThat(db.commit(new Batch().put(b("d"), b("4"))).root()).isEqualTo(r3); // 6: same value
      assertThat(db.revisions())
          .extracting(Revision::root)
          .containsExactly(Hash.ZERO, r1, r2, r1, r3, r3, r3);

      assertProvable(db, r1, s1);
      assertProvable(db, r2, s2);
      assertProvable(db, r3, s3);
      // r1 occurs before and after r2: from r1 to r2 is the change of height 2
      assertChangeProvable(db, r1, s1, r2, s2, KeyRange.ALL);
      assertChangeProvable(db, r2, s2, r1, s1, KeyRange.ALL);
      assertChangeProvable(db, r1, s1, r3, s3, KeyRange.ALL);
      assertChangeProvable(db, r2, s2, r3, s3, KeyRange.ALL);
      assertChangeProvable(db, Hash.ZERO, Map.of(), r2, s2, KeyRange.ALL);
      // the same root at both ends, and r3 never precedes r1
      for (Hash r : List.of(r1, r3)) {
        assertCode(
            () -> db.changeProof(r, r, KeyRange.ALL, 10, Limits.DEFAULT_PROOF_BYTE_LIMIT),
            ErrorCode.INVALID_ARGUMENT);
      }
      assertCode(
          () -> db.changeProof(r3, r1, KeyRange.ALL, 10, Limits.DEFAULT_PROOF_BYTE_LIMIT),
          ErrorCode.INVALID_ARGUMENT);
    }
  }

  @Test
  void aRepeatedRootStaysWhileItsLatestOccurrenceIsInTheWindow() {
    Map<Bytes, Bytes> s1 = Map.of(b("a"), b("1"));
    try (MerkleDB db = MerkleDB.open(tmp.resolve("db"), config(3))) {
      Hash r1 = db.commit(Batch.of(kvs(s1))).root(); // 1
      Hash r2 = db.commit(new Batch().put(b("x"), b("2"))).root(); // 2
      db.commit(new Batch().delete(b("x"))); // 3: r1 again
      db.commit(new Batch().put(b("y"), b("3"))); // 4
      db.commit(new Batch().put(b("z"), b("4"))); // 5: window is 3..5
      assertThat(db.hasRoot(r1)).isTrue();
      assertThat(db.hasRoot(r2)).isFalse();
      assertProvable(db, r1, s1);
      assertCode(
          () -> db.changeProof(r2, r1, KeyRange.ALL, 10, Limits.DEFAULT_PROOF_BYTE_LIMIT),
          ErrorCode.INSUFFICIENT_HISTORY);
      db.commit(new Batch().put(b("w"), b("5"))); // 6: window is 4..6
      assertThat(db.hasRoot(r1)).isFalse();
      assertCode(
          () -> db.rangeProof(r1, KeyRange.ALL, 10, Limits.DEFAULT_PROOF_BYTE_LIMIT),
          ErrorCode.INSUFFICIENT_HISTORY);
    }
  }
}
