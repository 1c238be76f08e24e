package io.ferry.sync.proof;

import static io.ferry.sync.proof.Requests.UNLIMITED;
import static io.ferry.sync.proof.Requests.key;
import static org.assertj.core.api.Assertions.assertThat;

import com.google.protobuf.ByteString;
import io.ferry.core.Hash;
import io.ferry.core.KeyRange;
import io.ferry.core.Limits;
import io.ferry.merkledb.BranchFactor;
import io.ferry.merkledb.StateModel;
import io.ferry.merkledb.proof.RangeProof;
import io.ferry.net.memory.MemoryTransport;
import java.util.List;
import org.junit.jupiter.api.Test;

/** Range proofs over the transport: they verify, hold the right keys, and respect the limits. */
class RangeProofServingTest {

  @Test
  void theHeadAndOlderRootsAreProvedOverEveryKindOfRange() {
    try (Harness h = Harness.start(10)) {
      StateModel m = new StateModel(1);
      m.fill(h.db, 500, 8);
      m.churn(h.db, 600, 100);
      m.churn(h.db, 600, 100);
      MemoryTransport client = h.client();
      BranchFactor bf = h.db.branchFactor();
      List<KeyRange> ranges =
          List.of(
              KeyRange.ALL,
              KeyRange.of(key(100), key(200)),
              KeyRange.from(key(550)),
              KeyRange.upTo(key(3)),
              KeyRange.of(key(9999), null)); // after every key: an empty proof of absence
      for (long height = 1; height <= 3; height++) {
        Hash root = m.root(height);
        for (KeyRange range : ranges) {
          ByteString response =
              Harness.await(h.send(client, Requests.range(root, range, 300, UNLIMITED)));
          RangeProof p = Proofs.verifiedRange(response, range, 300, root, bf);
          assertThat(p.keyValues())
              .as("height %d, range %s", height, range)
              .isEqualTo(Proofs.firstInRange(m.state(height), range, 300));
        }
      }
    }
  }

  @Test
  void aServerSwitchedToAnotherStoreServesItsRootsAndForgetsTheOldOnes() {
    try (Harness h = Harness.start(10);
        io.ferry.merkledb.MerkleDB rebuilt =
            io.ferry.merkledb.MerkleDB.inMemory(io.ferry.merkledb.MerkleDBConfig.defaults())) {
      Hash old = new StateModel(3).fill(h.db, 200, 4).root();
      StateModel m = new StateModel(4);
      Hash fresh = m.fill(rebuilt, 300, 4).root();
      MemoryTransport client = h.client();
      Harness.await(h.send(client, Requests.range(old, KeyRange.ALL, 50, UNLIMITED)));

      h.server.switchTo(rebuilt);

      ByteString response =
          Harness.await(h.send(client, Requests.range(fresh, KeyRange.ALL, 50, UNLIMITED)));
      RangeProof p =
          Proofs.verifiedRange(response, KeyRange.ALL, 50, fresh, rebuilt.branchFactor());
      assertThat(p.keyValues()).isEqualTo(Proofs.firstInRange(m.state(1L), KeyRange.ALL, 50));
      h.assertRemoteError(
          client,
          Requests.range(old, KeyRange.ALL, 50, UNLIMITED).toByteString(),
          io.ferry.core.ErrorCode.NOT_FOUND);
    }
  }

  @Test
  void aResponseHoldsAtMostTheDefault2048KeysAndIsCutAtTheEnd() {
    try (Harness h = Harness.start(4)) {
      StateModel m = new StateModel(2);
      Hash root = m.fill(h.db, 3000, 4).root();
      MemoryTransport client = h.client();
      BranchFactor bf = h.db.branchFactor();

      ByteString all =
          Harness.await(h.send(client, Requests.range(root, KeyRange.ALL, UNLIMITED, UNLIMITED)));
      RangeProof first = Proofs.verifiedRange(all, KeyRange.ALL, Integer.MAX_VALUE, root, bf);
      assertThat(first.keyValues()).hasSize(Limits.DEFAULT_PROOF_KEY_LIMIT);
      assertThat(first.keyValues()).isEqualTo(Proofs.firstInRange(m.state(1L), KeyRange.ALL, 2048));

      // the client asks for the rest from the key after the last one it got
      KeyRange rest = KeyRange.from(key(2048));
      ByteString more =
          Harness.await(h.send(client, Requests.range(root, rest, UNLIMITED, UNLIMITED)));
      assertThat(Proofs.verifiedRange(more, rest, Integer.MAX_VALUE, root, bf).keyValues())
          .hasSize(3000 - 2048);

      // a smaller limit is honoured
      ByteString some =
          Harness.await(h.send(client, Requests.range(root, KeyRange.ALL, 100, UNLIMITED)));
      assertThat(Proofs.verifiedRange(some, KeyRange.ALL, 100, root, bf).keyValues()).hasSize(100);
    }
  }

  @Test
  void aResponseStaysWithinTheDefaultByteLimitAndStartsAtTheRangeStart() {
    try (Harness h = Harness.start(4)) {
      StateModel m = new StateModel(3);
      Hash root = m.fill(h.db, 1500, 2048).root(); // 3 MB of values
      MemoryTransport client = h.client();
      KeyRange range = KeyRange.from(key(10));
      ByteString response =
          Harness.await(h.send(client, Requests.range(root, range, UNLIMITED, UNLIMITED)));
      assertThat(response.size()).isLessThanOrEqualTo(Limits.DEFAULT_PROOF_BYTE_LIMIT);
      RangeProof p = Proofs.verifiedRange(response, range, 2048, root, h.db.branchFactor());
      assertThat(p.keyValues()).isNotEmpty().hasSizeLessThan(1490);
      assertThat(p.keyValues())
          .isEqualTo(Proofs.firstInRange(m.state(1L), range, p.keyValues().size()));
    }
  }

  @Test
  void limitsAboveTheServersMaximaAreClampedDownAndLowerOnesHonoured() {
    ProofServerConfig config =
        ProofServerConfig.defaults().withMaxKeyLimit(100).withMaxByteLimit(16 * 1024);
    try (Harness h = Harness.start(4, config, null)) {
      StateModel m = new StateModel(4);
      Hash root = m.fill(h.db, 1000, 100).root();
      MemoryTransport client = h.client();
      BranchFactor bf = h.db.branchFactor();

      ByteString clampedKeys =
          Harness.await(h.send(client, Requests.range(root, KeyRange.ALL, 1000, UNLIMITED)));
      assertThat(clampedKeys.size()).isLessThanOrEqualTo(16 * 1024);
      RangeProof p = Proofs.verifiedRange(clampedKeys, KeyRange.ALL, 1000, root, bf);
      assertThat(p.keyValues()).hasSizeBetween(1, 100);
      assertThat(p.keyValues())
          .isEqualTo(Proofs.firstInRange(m.state(1L), KeyRange.ALL, p.keyValues().size()));

      ByteString fewer =
          Harness.await(h.send(client, Requests.range(root, KeyRange.ALL, 20, UNLIMITED)));
      assertThat(Proofs.verifiedRange(fewer, KeyRange.ALL, 20, root, bf).keyValues()).hasSize(20);

      ByteString smaller =
          Harness.await(h.send(client, Requests.range(root, KeyRange.ALL, 1000, 4096)));
      assertThat(smaller.size()).isLessThanOrEqualTo(4096);
      assertThat(Proofs.verifiedRange(smaller, KeyRange.ALL, 1000, root, bf).keyValues())
          .isNotEmpty();
    }
  }
}
