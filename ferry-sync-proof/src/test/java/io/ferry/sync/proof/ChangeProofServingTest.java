package io.ferry.sync.proof;

import static io.ferry.sync.proof.Requests.UNLIMITED;
import static io.ferry.sync.proof.Requests.key;
import static org.assertj.core.api.Assertions.assertThat;

import com.google.protobuf.ByteString;
import io.ferry.core.Bytes;
import io.ferry.core.Hash;
import io.ferry.core.KeyRange;
import io.ferry.merkledb.BranchFactor;
import io.ferry.merkledb.KeyValue;
import io.ferry.merkledb.StateModel;
import io.ferry.merkledb.View;
import io.ferry.merkledb.proof.ProofCodec;
import io.ferry.merkledb.proof.ProofVerifier;
import io.ferry.merkledb.proof.RangeProof;
import io.ferry.net.memory.MemoryTransport;
import io.ferry.wire.v1.GetChangeProofResponse;
import java.util.ArrayList;
import java.util.List;
import org.junit.jupiter.api.Test;

/**
 * Change proofs over the transport: between committed revisions they verify against the client's
 * start state and bring it to the end state; without the start root in history the server answers
 * with a range proof at the end root instead.
 */
class ChangeProofServingTest {

  @Test
  void changeProofsBetweenCommittedRevisionsBringTheStartStateToTheEndState() {
    try (Harness h = Harness.start(8)) {
      StateModel m = new StateModel(6);
      m.fill(h.db, 400, 8);
      for (int i = 0; i < 4; i++) {
        m.churn(h.db, 500, 60);
      }
      MemoryTransport client = h.client();
      BranchFactor bf = h.db.branchFactor();
      List<KeyRange> ranges =
          List.of(KeyRange.ALL, KeyRange.of(key(50), key(250)), KeyRange.from(key(420)));
      for (long from = 1; from <= 4; from++) {
        for (long to = from + 1; to <= 5; to++) {
          for (KeyRange range : ranges) {
            Hash end = m.root(to);
            ByteString bytes =
                Harness.await(
                    h.send(client, Requests.change(m.root(from), end, range, 2048, UNLIMITED)));
            View applied =
                Proofs.verifiedChange(
                    Proofs.changeResponse(bytes), range, 2048, end, m.trieAt(from, bf));
            assertThat(contents(applied, range))
                .as("%d -> %d over %s", from, to, range)
                .isEqualTo(Proofs.firstInRange(m.state(to), range, Integer.MAX_VALUE));
          }
        }
      }
    }
  }

  @Test
  void aChangeProofOverTheKeyLimitIsCutAtTheEndAndTheClientContinuesFromThere() {
    try (Harness h = Harness.start(8)) {
      StateModel m = new StateModel(7);
      m.fill(h.db, 400, 8);
      m.churn(h.db, 400, 300);
      Hash start = m.root(1L);
      Hash end = m.root(2L);
      MemoryTransport client = h.client();
      BranchFactor bf = h.db.branchFactor();

      // Page through the changes 25 at a time, as a sync client does, applying each page.
      View local = m.trieAt(1, bf);
      KeyRange remaining = KeyRange.ALL;
      int pages = 0;
      while (true) {
        ByteString bytes =
            Harness.await(h.send(client, Requests.change(start, end, remaining, 25, UNLIMITED)));
        GetChangeProofResponse response = Proofs.changeResponse(bytes);
        var proof = ProofCodec.decode(response.getChangeProof(), bf);
        assertThat(proof.keyChanges()).hasSizeLessThanOrEqualTo(25);
        local = ProofVerifier.verifyChangeProof(proof, remaining, 25, end, local);
        pages++;
        if (proof.keyChanges().size() < 25) {
          break;
        }
        Bytes last = proof.keyChanges().getLast().key();
        remaining = KeyRange.from(KeyRange.successor(last).orElseThrow());
      }
      assertThat(pages).isGreaterThan(2);
      assertThat(local.root()).isEqualTo(end);
    }
  }

  @Test
  void withoutTheStartRootInHistoryTheAnswerIsARangeProofAtTheEndRoot() {
    try (Harness h = Harness.start(3)) {
      StateModel m = new StateModel(8);
      m.fill(h.db, 300, 8);
      for (int i = 0; i < 4; i++) {
        m.churn(h.db, 300, 40);
      }
      Hash pruned = m.root(1L);
      assertThat(h.db.hasRoot(pruned)).isFalse();
      Hash neverSeen =
          Hash.of(
              new byte[] {
                9, 9, 9, 9, 9, 9, 9, 9, 9, 9, 9, 9, 9, 9, 9, 9,
                9, 9, 9, 9, 9, 9, 9, 9, 9, 9, 9, 9, 9, 9, 9, 9
              });
      Hash end = h.db.root();
      MemoryTransport client = h.client();
      KeyRange range = KeyRange.of(key(20), key(120));
      for (Hash start : List.of(pruned, neverSeen)) {
        ByteString bytes =
            Harness.await(h.send(client, Requests.change(start, end, range, 50, UNLIMITED)));
        GetChangeProofResponse response = Proofs.changeResponse(bytes);
        assertThat(response.hasRangeProof()).as("a range proof").isTrue();
        RangeProof p = ProofCodec.decode(response.getRangeProof(), h.db.branchFactor());
        ProofVerifier.verifyRangeProof(p, range, 50, end, h.db.branchFactor());
        assertThat(p.keyValues()).isEqualTo(Proofs.firstInRange(m.state(h.db.height()), range, 50));
      }
    }
  }

  @Test
  void theWholeChangeResponseFitsTheByteLimit() {
    try (Harness h = Harness.start(4)) {
      StateModel m = new StateModel(9);
      m.fill(h.db, 300, 8);
      m.churn(h.db, 300, 200);
      MemoryTransport client = h.client();
      for (int limit : new int[] {1200, 3000, 10_000}) {
        ByteString bytes =
            Harness.await(
                h.send(client, Requests.change(m.root(1L), m.root(2L), KeyRange.ALL, 2048, limit)));
        assertThat(bytes.size()).isLessThanOrEqualTo(limit);
        Proofs.verifiedChange(
            Proofs.changeResponse(bytes),
            KeyRange.ALL,
            2048,
            m.root(2L),
            m.trieAt(1, h.db.branchFactor()));
      }
    }
  }

  /** The key-values of {@code range} in a trie. */
  private static List<KeyValue> contents(View trie, KeyRange range) {
    List<KeyValue> out = new ArrayList<>();
    trie.scan(range, out::add);
    return out;
  }
}
