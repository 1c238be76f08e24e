package io.ferry.merkledb;

import static org.assertj.core.api.Assertions.assertThat;

import io.ferry.core.Bytes;
import io.ferry.core.Hash;
import io.ferry.core.KeyRange;
import io.ferry.core.Limits;
import io.ferry.merkledb.proof.ChangeProof;
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

/**
 * What a change proof costs is bounded by what it asks for, not by the history: with 200 commits of
 * 500 changes each kept, a proof of a few keys, or of a narrow range, reads a few history records
 * per commit between its roots (counted through the {@code historyRead} callback), and its changes
 * are the model's.
 */
@TestInstance(TestInstance.Lifecycle.PER_CLASS) // one history for all: building it takes seconds
class ChangeProofCostTest {
  private static final int COMMITS = 200;
  private static final int CHANGES = 500;

  private MerkleDB db;
  private final List<TreeMap<Bytes, Bytes>> states = new ArrayList<>();
  private final List<Hash> roots = new ArrayList<>();

  @BeforeAll
  void fill() {
    db =
        MerkleDB.inMemory(
            MerkleDBConfig.defaults().withHistoryLength(COMMITS + 1).withSyncWrites(false));
    Random rnd = new Random(7);
    TreeMap<Bytes, Bytes> state = new TreeMap<>();
    states.add(new TreeMap<>(state));
    roots.add(db.root());
    for (int c = 0; c < COMMITS; c++) {
      Batch b = new Batch();
      for (int i = 0; i < CHANGES; i++) {
        byte[] k = new byte[8];
        rnd.nextBytes(k);
        Bytes key = Bytes.wrap(k);
        Bytes value = Bytes.wrap(new byte[] {(byte) c, (byte) i});
        b.put(key, value);
        state.put(key, value);
      }
      roots.add(db.commit(b).root());
      states.add(new TreeMap<>(state));
    }
  }

  @AfterAll
  void close() {
    db.close();
  }

  /** The first {@code limit} keys of {@code range} whose values differ between two heights. */
  private List<KeyChange> model(int from, int to, KeyRange range, int limit) {
    TreeMap<Bytes, Optional<Bytes>> diff = new TreeMap<>();
    states.get(from).forEach((k, v) -> diff.put(k, Optional.empty()));
    states.get(to).forEach((k, v) -> diff.put(k, Optional.of(v)));
    List<KeyChange> out = new ArrayList<>();
    for (var e : diff.entrySet()) {
      Optional<Bytes> before = Optional.ofNullable(states.get(from).get(e.getKey()));
      if (range.contains(e.getKey()) && !before.equals(e.getValue()) && out.size() < limit) {
        out.add(new KeyChange(e.getKey(), e.getValue()));
      }
    }
    return out;
  }

  private ChangeProof proof(int from, int to, KeyRange range, int limit, AtomicLong read) {
    return db.changeProof(
        roots.get(from),
        roots.get(to),
        range,
        limit,
        Limits.DEFAULT_PROOF_BYTE_LIMIT,
        read::addAndGet);
  }

  @Test
  void aProofOfAFewKeysReadsAFewRecordsPerCommitNotTheHistory() {
    AtomicLong read = new AtomicLong();
    ChangeProof p = proof(0, COMMITS, KeyRange.ALL, 10, read);

    assertThat(p.keyChanges()).isEqualTo(model(0, COMMITS, KeyRange.ALL, 10));
    // Each commit's records up to the tenth changed key, and one past it: about one per commit,
    // where the whole history is 100,000.
    assertThat(read.get()).isLessThanOrEqualTo(2L * COMMITS);
  }

  @Test
  void aProofOfANarrowRangeReadsOnlyThatRangesRecords() {
    KeyRange narrow = KeyRange.of(Bytes.fromHex("8000"), Bytes.fromHex("80ff"));
    AtomicLong read = new AtomicLong();
    ChangeProof p = proof(20, 180, narrow, 2048, read);

    List<KeyChange> expected = model(20, 180, narrow, 2048);
    assertThat(expected).isNotEmpty();
    assertThat(p.keyChanges()).isEqualTo(expected);
    // 1/256 of 160 x 500 changes is about 312 records in the range; nothing outside it is read.
    assertThat(read.get()).isLessThanOrEqualTo(2L * expected.size());
  }

  @Test
  void pagesOfAProofReadWhatTheyReturnAndAgreeWithTheModel() {
    KeyRange rest = KeyRange.ALL;
    List<KeyChange> got = new ArrayList<>();
    long pages = 0;
    AtomicLong read = new AtomicLong();
    while (true) {
      ChangeProof p = proof(150, COMMITS, rest, 512, read);
      got.addAll(p.keyChanges());
      pages++;
      if (p.keyChanges().size() < 512) {
        break;
      }
      rest = rest.after(p.keyChanges().get(p.keyChanges().size() - 1).key()).orElseThrow();
    }
    List<KeyChange> expected = model(150, COMMITS, KeyRange.ALL, Integer.MAX_VALUE);
    assertThat(got).isEqualTo(expected);
    // Every record between the two heights is read about once over all the pages, plus one look
    // past each page's end per commit; re-scanning the history for each page would read
    // pages x 25,000.
    assertThat(read.get()).isLessThanOrEqualTo(50L * CHANGES + pages * 50);
  }
}
