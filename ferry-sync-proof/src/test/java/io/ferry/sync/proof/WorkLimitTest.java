package io.ferry.sync.proof;

import static io.ferry.sync.proof.Requests.UNLIMITED;
import static org.assertj.core.api.Assertions.assertThat;
import static org.awaitility.Awaitility.await;

import com.google.protobuf.ByteString;
import io.ferry.core.ErrorCode;
import io.ferry.core.Hash;
import io.ferry.core.KeyRange;
import io.ferry.merkledb.StateModel;
import io.ferry.net.TransportException;
import io.ferry.net.memory.MemoryTransport;
import io.ferry.wire.v1.Request;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.CompletableFuture;
import org.junit.jupiter.api.Test;

/**
 * Bounded work: a peer with K proofs in progress is told "busy" at once; other peers are not; a
 * request cancelled before its proof starts is never worked on. The executor here holds tasks until
 * the test runs them, so "in progress" is under the test's control.
 */
class WorkLimitTest {
  private static final int K = ProofServerConfig.DEFAULT_MAX_PER_PEER;

  private static Request someRequest(Hash root) {
    return Requests.range(root, KeyRange.ALL, 10, UNLIMITED);
  }

  @Test
  void aPeerWithKProofsInProgressIsToldBusyAtOnceWhileOthersAreServed() {
    ManualExecutor executor = new ManualExecutor();
    try (Harness h = Harness.start(4, ProofServerConfig.defaults(), executor)) {
      Hash root = new StateModel(10).fill(h.db, 100, 8).root();
      MemoryTransport greedy = h.client();
      MemoryTransport other = h.client();

      List<CompletableFuture<ByteString>> accepted = new ArrayList<>();
      for (int i = 0; i < K; i++) {
        accepted.add(h.send(greedy, someRequest(root)));
      }
      await().atMost(Duration.ofSeconds(5)).until(() -> executor.queued() == K);

      // the (K+1)th is refused without waiting for any of the K
      TransportException busy = Harness.awaitError(h.send(greedy, someRequest(root)));
      assertThat(busy.failure()).isEqualTo(TransportException.Failure.REMOTE);
      assertThat(busy.code()).isEqualTo(ErrorCode.UNAVAILABLE);
      assertThat(busy.getMessage()).contains("busy");
      assertThat(accepted).noneMatch(CompletableFuture::isDone);
      assertThat(h.server.stats().refusedBusy()).isEqualTo(1);

      // another peer has its own allowance
      CompletableFuture<ByteString> fromOther = h.send(other, someRequest(root));
      await().atMost(Duration.ofSeconds(5)).until(() -> executor.queued() == K + 1);

      assertThat(executor.runAll()).isEqualTo(K + 1);
      for (CompletableFuture<ByteString> f : accepted) {
        Proofs.verifiedRange(Harness.await(f), KeyRange.ALL, 10, root, h.db.branchFactor());
      }
      Harness.await(fromOther);

      // with the work done, the greedy peer is served again
      CompletableFuture<ByteString> again = h.send(greedy, someRequest(root));
      await().atMost(Duration.ofSeconds(5)).until(() -> executor.queued() == 1);
      executor.runAll();
      Harness.await(again);
      assertThat(h.server.stats().answered()).isEqualTo(K + 2);
    }
  }

  @Test
  void aRequestCancelledBeforeItsProofStartsIsNeverWorkedOnAndFreesItsSlot() {
    ManualExecutor executor = new ManualExecutor();
    try (Harness h = Harness.start(4, ProofServerConfig.defaults(), executor)) {
      Hash root = new StateModel(11).fill(h.db, 100, 8).root();
      MemoryTransport client = h.client();

      List<CompletableFuture<ByteString>> cancelled = new ArrayList<>();
      for (int i = 0; i < K; i++) {
        cancelled.add(h.send(client, someRequest(root)));
      }
      await().atMost(Duration.ofSeconds(5)).until(() -> executor.queued() == K);
      cancelled.forEach(f -> f.cancel(true)); // the transport sends the server a cancel each
      await().atMost(Duration.ofSeconds(5)).until(() -> h.server.stats().skippedCancelled() == K);

      // the slots are free again before the executor has even reached the cancelled tasks
      CompletableFuture<ByteString> next = h.send(client, someRequest(root));
      await().atMost(Duration.ofSeconds(5)).until(() -> executor.queued() == K + 1);

      executor.runAll();
      Harness.await(next);
      assertThat(h.server.stats().answered()).as("only the request not cancelled").isEqualTo(1);
    }
  }

  @Test
  void aRequestThatTimesOutAtTheClientIsSkippedToo() {
    ManualExecutor executor = new ManualExecutor();
    try (Harness h = Harness.start(4, ProofServerConfig.defaults(), executor)) {
      Hash root = new StateModel(12).fill(h.db, 100, 8).root();
      MemoryTransport client = h.client();
      CompletableFuture<ByteString> f =
          client.request(
              h.serverTransport.localId(),
              io.ferry.net.ProtocolId.PROOF_SYNC,
              someRequest(root).toByteString(),
              Duration.ofMillis(100));
      TransportException timeout = Harness.awaitError(f);
      assertThat(timeout.failure()).isEqualTo(TransportException.Failure.TIMEOUT);
      await().atMost(Duration.ofSeconds(5)).until(() -> h.server.stats().skippedCancelled() == 1);
      executor.runAll();
      assertThat(h.server.stats().answered()).isZero();
    }
  }

  @Test
  void theServerWideBoundRefusesOnceEveryPeerTogetherReachesIt() {
    ManualExecutor executor = new ManualExecutor();
    ProofServerConfig config = ProofServerConfig.defaults().withMaxPerPeer(2).withMaxPending(3);
    try (Harness h = Harness.start(4, config, executor)) {
      Hash root = new StateModel(13).fill(h.db, 100, 8).root();
      MemoryTransport a = h.client();
      MemoryTransport b = h.client();
      List<CompletableFuture<ByteString>> accepted =
          List.of(
              h.send(a, someRequest(root)),
              h.send(a, someRequest(root)),
              h.send(b, someRequest(root)));
      await().atMost(Duration.ofSeconds(5)).until(() -> executor.queued() == 3);
      TransportException busy = Harness.awaitError(h.send(b, someRequest(root)));
      assertThat(busy.code()).isEqualTo(ErrorCode.UNAVAILABLE);
      executor.runAll();
      accepted.forEach(Harness::await);
    }
  }

  @Test
  void aClosedServerAnswersUnavailable() {
    ManualExecutor executor = new ManualExecutor();
    try (Harness h = Harness.start(4, ProofServerConfig.defaults(), executor)) {
      Hash root = new StateModel(14).fill(h.db, 100, 8).root();
      MemoryTransport client = h.client();
      CompletableFuture<ByteString> queued = h.send(client, someRequest(root));
      await().atMost(Duration.ofSeconds(5)).until(() -> executor.queued() == 1);
      h.server.close();
      executor.runAll();
      assertThat(Harness.awaitError(queued).code()).isEqualTo(ErrorCode.UNAVAILABLE);
      assertThat(Harness.awaitError(h.send(client, someRequest(root))).code())
          .isEqualTo(ErrorCode.UNAVAILABLE);
    }
  }

  /**
   * Change proofs are charged by the history records they read: a peer whose proofs read more than
   * its budget (ten seconds' worth of {@code historyPerSecond}) is told "busy" until its reads have
   * run down on the server's clock; another peer is served meanwhile.
   */
  @Test
  void aPeerWhoseChangeProofsReadTooMuchHistoryIsToldBusyUntilItsReadsRunDown() {
    ManualExecutor executor = new ManualExecutor();
    ProofServerConfig config = ProofServerConfig.defaults().withHistoryPerSecond(100);
    try (Harness h = Harness.start(50, config, executor)) {
      StateModel model = new StateModel(15);
      Hash start = model.fill(h.db, 2_000, 8).root();
      for (int i = 0; i < 20; i++) {
        model.churn(h.db, 2_000, 100); // 20 commits of up to 100 changes: ~2,000 records
      }
      Hash end = h.db.root();
      Request costly = Requests.change(start, end, KeyRange.ALL, 2048, UNLIMITED);
      MemoryTransport greedy = h.client();
      MemoryTransport other = h.client();

      CompletableFuture<ByteString> first = h.send(greedy, costly);
      await().atMost(Duration.ofSeconds(5)).until(() -> executor.queued() == 1);
      executor.runAll();
      Harness.await(first);

      // Over 1,000 records (10 s at 100 a second) read for it: refused, though nothing is running.
      TransportException busy = Harness.awaitError(h.send(greedy, costly));
      assertThat(busy.code()).isEqualTo(ErrorCode.UNAVAILABLE);
      assertThat(busy.getMessage()).contains("history records");

      CompletableFuture<ByteString> fromOther = h.send(other, someRequest(end));
      await().atMost(Duration.ofSeconds(5)).until(() -> executor.queued() == 1);
      executor.runAll();
      Harness.await(fromOther);

      // Paid off at 100 records a second: served again.
      h.clock.advance(Duration.ofSeconds(30));
      CompletableFuture<ByteString> later = h.send(greedy, costly);
      await().atMost(Duration.ofSeconds(5)).until(() -> executor.queued() == 1);
      executor.runAll();
      Harness.await(later);
    }
  }
}
