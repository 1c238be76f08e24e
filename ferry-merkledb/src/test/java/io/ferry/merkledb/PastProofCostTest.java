package io.ferry.merkledb;

import static org.assertj.core.api.Assertions.assertThat;

import io.ferry.core.Bytes;
import io.ferry.core.Hash;
import io.ferry.core.KeyRange;
import io.ferry.core.Limits;
import io.ferry.merkledb.proof.ChangeProof;
import io.ferry.merkledb.proof.ProofVerifier;
import io.ferry.merkledb.proof.RangeProof;
import io.ferry.merkledb.store.Column;
import io.ferry.merkledb.store.MemoryStore;
import java.util.ArrayList;
import java.util.List;
import java.util.Optional;
import java.util.Random;
import java.util.TreeMap;
import java.util.concurrent.atomic.AtomicLong;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.TestInstance;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * A one-key proof at the oldest of 300 retained roots reads a few records per commit and per node
 * on its paths, not the history: counted per column by the store under the MerkleDB. The history
 * holds 299 commits of 100 changes over 20,000 keys (29,900 key records, about 90,000 node
 * records); building the past trie from it, as before, read every key record above the root.
 */
@TestInstance(TestInstance.Lifecycle.PER_CLASS) // one history for all: building it takes seconds
class PastProofCostTest {
  private static final Logger log = LoggerFactory.getLogger(PastProofCostTest.class);
  private static final int KEYS = 20_000;
  private static final int COMMITS = 299;
  private static final int CHANGES = 100;
  private static final int BYTES = Limits.DEFAULT_PROOF_BYTE_LIMIT;

  private CountingStore store;
  private MerkleDB db;
  private final TreeMap<Bytes, Bytes> loaded = new TreeMap<>();
  private final List<Bytes> changedKeys = new ArrayList<>();

  @BeforeAll
  void fill() {
    store = new CountingStore(new MemoryStore());
    db = MerkleDB.open(store, MerkleDBConfig.defaults().withHistoryLength(COMMITS + 1));
    Random rnd = new Random(5);
    List<Bytes> keys = new ArrayList<>();
    for (int i = 0; i < KEYS; i++) {
      Bytes k = MerkleTestSupport.randomKey(rnd);
      loaded.put(k, MerkleTestSupport.randomValue(rnd, 40));
    }
    keys.addAll(loaded.keySet());
    List<KeyValue> kvs = new ArrayList<>();
    loaded.forEach((k, v) -> kvs.add(new KeyValue(k, v)));
    db.bulkLoad(kvs.iterator());
    for (int c = 0; c < COMMITS; c++) {
      Batch b = new Batch();
      for (int i = 0; i < CHANGES; i++) {
        Bytes k = keys.get(rnd.nextInt(keys.size()));
        b.put(k, MerkleTestSupport.randomValue(rnd, 40));
        if (c == COMMITS - 1) {
          changedKeys.add(k); // changed at the head, so the oldest root's value is history's
        }
      }
      db.commit(b);
    }
    assertThat(db.revisions()).hasSize(COMMITS + 1);
    assertThat(store.estimateKeys(Column.HISTORY)).isGreaterThanOrEqualTo(29_000);
    assertThat(store.estimateKeys(Column.NODE_HISTORY)).isGreaterThan(10_000); // the tall nodes
  }

  @AfterAll
  void close() {
    db.close();
  }

  private void logReads(String what) {
    StringBuilder sb = new StringBuilder(what);
    for (Column c : Column.MERKLEDB) {
      sb.append(String.format(" %s: %d scans, %d read;", c, store.scans(c), store.reads(c)));
    }
    log.info("{}", sb);
  }

  private long totalReads() {
    long n = 0;
    for (Column c : Column.MERKLEDB) {
      n += store.reads(c);
    }
    return n;
  }

  @Test
  void aOneKeyRangeProofAtTheOldestRootReadsAboutOneRecordPerCommitAndPerNode() {
    Revision oldest = db.revisions().getFirst();
    Bytes key = changedKeys.getFirst();
    KeyRange one = KeyRange.of(key, key);
    store.reset();

    RangeProof p = db.rangeProof(oldest.root(), one, 1, BYTES);

    logReads("range proof at the oldest root");
    ProofVerifier.verifyRangeProof(p, one, 1, oldest.root(), db.branchFactor());
    assertThat(p.keyValues()).containsExactly(new KeyValue(key, loaded.get(key)));
    assertThat(db.get(key)).isNotEqualTo(Optional.of(loaded.get(key)));
    // One cursor per later commit over the one-key range, each reading the key's record if that
    // commit changed it; one seek per node on the proof's path per epoch of 64 heights; and the
    // key's leaf and the branch over it, whose before-images are not stored, rebuilt from the
    // key-values under them: one cursor per later commit each, over a few keys.
    assertThat(store.scans(Column.HISTORY)).isLessThanOrEqualTo(3L * COMMITS);
    assertThat(store.entries(Column.HISTORY)).isLessThanOrEqualTo(60);
    assertThat(store.scans(Column.NODE_HISTORY)).isLessThanOrEqualTo(6L * 2 * 8);
    assertThat(store.reads(Column.NODE_HISTORY)).isLessThanOrEqualTo(2L * 8);
    assertThat(totalReads()).isLessThanOrEqualTo(200);
  }

  @Test
  void aOneKeyChangeProofBetweenTheOldestRootsReadsAboutOneRecordPerCommitAndPerNode() {
    List<Revision> revs = db.revisions();
    Hash start = revs.get(0).root();
    Hash end = revs.get(1).root();
    Bytes key = changedKeys.getFirst();
    KeyRange one = KeyRange.of(key, key);
    AtomicLong charged = new AtomicLong();
    store.reset();

    ChangeProof p = db.changeProof(start, end, one, 1, BYTES, charged::addAndGet);

    logReads("change proof between the two oldest roots");
    // The proof is bound to the end root, behind the head: it reads that root's nodes from the
    // node history (the leaf and the branch over leaves rebuilt from the key-values under them,
    // one cursor per later commit each), and only the one commit's key records in the range.
    assertThat(store.scans(Column.HISTORY)).isLessThanOrEqualTo(1 + 2L * COMMITS);
    assertThat(store.scans(Column.NODE_HISTORY)).isLessThanOrEqualTo(6L * 2 * 8);
    assertThat(totalReads()).isLessThanOrEqualTo(150);
    assertThat(charged.get())
        .isEqualTo(store.reads(Column.HISTORY) + store.reads(Column.NODE_HISTORY));
    try (MerkleDB local = MerkleDB.inMemory(db.config())) {
      List<KeyValue> kvs = new ArrayList<>();
      loaded.forEach((k, v) -> kvs.add(new KeyValue(k, v)));
      local.bulkLoad(kvs.iterator());
      assertThat(local.root()).isEqualTo(start);
      try (StateSnapshot base = local.snapshot()) {
        ProofVerifier.verifyChangeProof(p, one, 1, end, base);
      }
    }
  }
}
