package io.ferry.sync.proof;

import static io.ferry.sync.proof.Requests.UNLIMITED;
import static io.ferry.sync.proof.Requests.key;
import static org.assertj.core.api.Assertions.assertThat;

import com.google.protobuf.ByteString;
import io.ferry.core.Hash;
import io.ferry.core.KeyRange;
import io.ferry.merkledb.StateModel;
import io.ferry.net.memory.MemoryTransport;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.CompletableFuture;
import org.junit.jupiter.api.Test;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * Many clients syncing to one target root that the server's head has moved past: each range proof
 * at that root reads that revision from the server's history. Checks every proof and logs the time
 * per proof (at info; not asserted, the machine decides it): what reading the past revision lazily
 * from the history adds to a proof at the head.
 */
class HistoricalRangeProofTimingTest {
  private static final Logger log = LoggerFactory.getLogger(HistoricalRangeProofTimingTest.class);

  private static final int KEYS = 20_000;
  private static final int COMMITS_SINCE_TARGET = 30;
  private static final int CHANGES_PER_COMMIT = 500;
  private static final int PAGES = 40;

  @Test
  void rangeProofsAtARootBehindTheHeadVerify() {
    try (Harness h = Harness.start(COMMITS_SINCE_TARGET + 2)) {
      StateModel m = new StateModel(20);
      Hash target = m.fill(h.db, KEYS, 32).root();
      for (int i = 0; i < COMMITS_SINCE_TARGET; i++) {
        m.churn(h.db, KEYS, CHANGES_PER_COMMIT);
      }
      MemoryTransport client = h.client();
      int pageKeys = KEYS / PAGES;

      long t0 = System.nanoTime();
      List<ByteString> atHead = pages(h, client, h.db.root(), pageKeys);
      long t1 = System.nanoTime();
      List<ByteString> atTarget = pages(h, client, target, pageKeys);
      long t2 = System.nanoTime();

      for (int p = 0; p < PAGES; p++) {
        KeyRange range = range(p, pageKeys);
        var proof =
            Proofs.verifiedRange(atTarget.get(p), range, pageKeys, target, h.db.branchFactor());
        assertThat(proof.keyValues()).hasSize(pageKeys);
        Proofs.verifiedRange(atHead.get(p), range, pageKeys, h.db.root(), h.db.branchFactor());
      }
      log.info(
          "{} range proofs of {} keys: {} ms each at the head; {} ms each at a root {} commits"
              + " ({} changes each) behind it",
          PAGES,
          pageKeys,
          String.format("%.1f", (t1 - t0) / 1e6 / PAGES),
          String.format("%.1f", (t2 - t1) / 1e6 / PAGES),
          COMMITS_SINCE_TARGET,
          CHANGES_PER_COMMIT);
    }
  }

  /** Every page of {@code root}, requested as a sync client does: a few in parallel at a time. */
  private static List<ByteString> pages(
      Harness h, MemoryTransport client, Hash root, int pageKeys) {
    List<ByteString> answers = new ArrayList<>();
    List<CompletableFuture<ByteString>> batch = new ArrayList<>();
    for (int p = 0; p < PAGES; p++) {
      batch.add(h.send(client, page(root, p, pageKeys)));
      if (batch.size() == ProofServerConfig.DEFAULT_MAX_PER_PEER || p == PAGES - 1) {
        batch.forEach(f -> answers.add(Harness.await(f))); // within the per-peer allowance
        batch.clear();
      }
    }
    return answers;
  }

  private static KeyRange range(int page, int pageKeys) {
    return KeyRange.of(key(page * pageKeys), key((page + 1) * pageKeys - 1));
  }

  private static io.ferry.wire.v1.Request page(Hash root, int page, int pageKeys) {
    return Requests.range(root, range(page, pageKeys), pageKeys, UNLIMITED);
  }
}
