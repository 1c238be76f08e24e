package io.ferry.merkledb;

import static org.assertj.core.api.Assertions.assertThat;

import io.ferry.core.Bytes;
import io.ferry.core.ErrorCode;
import io.ferry.core.KeyRange;
import io.ferry.core.Limits;
import io.ferry.merkledb.proof.ProofVerifier;
import io.ferry.merkledb.proof.RangeProof;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/** A store that keeps another's heights: bulk load and commits at given heights, with gaps. */
class ExplicitHeightTest {
  @TempDir Path tmp;

  private static Bytes b(String s) {
    return Bytes.wrap(s.getBytes(java.nio.charset.StandardCharsets.UTF_8));
  }

  @Test
  void bulkLoadAndCommitsKeepTheGivenHeightsAcrossGapsAndReopen() {
    List<KeyValue> kvs = new ArrayList<>();
    for (int i = 0; i < 100; i++) {
      kvs.add(new KeyValue(b(String.format("k%03d", i)), b("v" + i)));
    }
    Path dir = tmp.resolve("db");
    Revision loaded;
    Revision later;
    Revision last;
    try (MerkleDB db = MerkleDB.open(dir, HistoryTest.config(10))) {
      loaded = db.bulkLoad(kvs.iterator(), 40);
      assertThat(loaded.height()).isEqualTo(40);
      later = db.commit(new Batch().put(b("k005"), b("changed")), 43);
      assertThat(later.height()).isEqualTo(43);
      last = db.commit(new Batch().delete(b("k006")));
      assertThat(last.height()).isEqualTo(44);
      HistoryTest.assertCode(
          () -> db.commit(new Batch().put(b("x"), b("y")), 44), ErrorCode.INVALID_ARGUMENT);
      assertThat(db.height()).isEqualTo(44);
    }
    try (MerkleDB db = MerkleDB.open(dir, HistoryTest.config(10))) {
      assertThat(db.revisions()).containsExactly(loaded, later, last);
      // The oldest revision, across the gap, is still provable.
      RangeProof p =
          db.rangeProof(loaded.root(), KeyRange.ALL, Limits.MAX_PROOF_KEY_LIMIT, 1 << 20);
      ProofVerifier.verifyRangeProof(
          p, KeyRange.ALL, Limits.MAX_PROOF_KEY_LIMIT, loaded.root(), db.branchFactor());
      assertThat(p.keyValues()).hasSize(100);
      assertThat(p.keyValues().get(5).value()).isEqualTo(b("v5"));
      assertThat(
              db.changeProof(loaded.root(), last.root(), KeyRange.ALL, 100, 1 << 20).keyChanges())
          .hasSize(2);
    }
  }

  @Test
  void aBulkLoadBelowHeightOneIsRefused() {
    try (MerkleDB db = MerkleDB.inMemory(HistoryTest.config(4))) {
      HistoryTest.assertCode(
          () -> db.bulkLoad(List.<KeyValue>of().iterator(), 0), ErrorCode.INVALID_ARGUMENT);
    }
  }
}
