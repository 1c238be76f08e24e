package io.ferry.sync.push;

import static io.ferry.sync.push.PushRig.done;
import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.catchThrowable;

import com.google.protobuf.ByteString;
import io.ferry.core.ErrorCode;
import io.ferry.core.FerryException;
import io.ferry.core.Limits;
import io.ferry.core.identity.NodeId;
import io.ferry.net.ProtocolHandler;
import io.ferry.net.Responder;
import io.ferry.net.peers.Offence;
import io.ferry.net.testing.TestNet;
import io.ferry.sync.push.PushRig.Handed;
import io.ferry.sync.push.PushRig.Node;
import io.ferry.sync.push.PushRig.Raw;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.Optional;
import java.util.concurrent.CompletableFuture;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.ValueSource;

/**
 * Push sync end to end over memory transports in virtual time: a producer pushing every commit to
 * its subscribers, which re-apply them to their own stores; budgets, windows, refusals, liars,
 * disconnects, and how frames are routed.
 */
class PushSyncTest {
  private static final PushConfig CONFIG = PushConfig.DEFAULT;
  private final PushRig rig = new PushRig(CONFIG);

  @AfterEach
  void close() {
    rig.close();
  }

  private static int pushBytes(Commit... commits) {
    int entries = 0;
    for (Commit c : commits) {
      entries += Messages.commitEntry(c).size();
    }
    return Messages.pushSize(entries);
  }

  private static List<Long> heights(List<Commit> commits) {
    return commits.stream().map(Commit::height).toList();
  }

  // ------------------------------------------------------------------ pushing

  @Test
  void everyCommitReachesEverySubscriberAndTheRootsMatch() {
    List<Node> subs = new ArrayList<>();
    for (int i = 0; i < 5; i++) {
      subs.add(rig.subscriber(CONFIG));
    }
    assertThat(rig.producer.server.subscriptions()).hasSize(5);
    for (int i = 1; i <= 20; i++) {
      rig.commit(6);
      for (Node s : subs) {
        assertThat(s.db.height()).isEqualTo(i);
        assertThat(s.current()).as("subscriber at the producer's root after commit %d", i).isTrue();
      }
    }
    for (Node s : subs) {
      assertThat(s.handed).hasSize(20).allMatch(h -> h.applied() == Applied.APPLIED);
      assertThat(s.handed).allMatch(h -> h.from().equals(rig.producer.id()));
      assertThat(s.client.stats().applied()).isEqualTo(20);
      assertThat(s.source()).contains(rig.producer.id());
    }
    PushServer.Stats st = rig.producer.server.stats();
    assertThat(st.open()).isEqualTo(5);
    assertThat(st.commitsPushed()).isEqualTo(100);
    assertThat(st.pushes()).isEqualTo(100);
  }

  @Test
  void aSubscriberAFewCommitsBehindGetsThemOnSubscribe() {
    for (int i = 0; i < 5; i++) {
      rig.commit(4);
    }
    Node late = rig.subscriber(CONFIG);
    assertThat(late.current()).isTrue();
    assertThat(late.handed).extracting(Handed::height).containsExactly(1L, 2L, 3L, 4L, 5L);
    assertThat(late.handed).allMatch(h -> h.applied() == Applied.APPLIED);
    // In one push.
    assertThat(late.client.stats().pushes()).isEqualTo(1);
    rig.commit(4);
    assertThat(late.current()).isTrue();
  }

  @Test
  void aSubscriberTooFarBehindGetsNothingUntilItSaysNewHeads() {
    PushConfig keepTwo =
        new PushConfig(
            CONFIG.window(),
            CONFIG.budget(),
            CONFIG.maxGrantedWindow(),
            CONFIG.maxGrantedBudget(),
            2,
            CONFIG.recentBytes(),
            CONFIG.refusedPause(),
            CONFIG.retry(),
            CONFIG.requestTimeout());
    try (PushRig r = new PushRig(keepTwo)) {
      for (int i = 0; i < 4; i++) {
        r.commit(3);
      }
      Raw raw = r.raw(r.producer);
      assertThat(raw.subscribe(r.producer, 60, 1 << 20, new KnownHead(0, Chain.newDbRoot())))
          .isPresent();
      assertThat(raw.pushes).isEmpty();
      r.commit(3);
      assertThat(raw.pushes).isEmpty();
      // Said again from a head the pusher still holds, it is brought forward.
      assertThat(raw.subscribe(r.producer, 60, 1 << 20, r.chain.commits.get(3).after()))
          .isPresent();
      assertThat(heights(raw.commits())).containsExactly(5L);
    }
  }

  // ------------------------------------------------------------------ budget

  @Test
  void aSpentBudgetStopsPushesAndASubscribeRestoresThem() {
    Raw raw = rig.raw(rig.producer);
    Commit c1 = rig.chain.commitRandom(5);
    Commit c2 = rig.chain.commitRandom(5);
    Commit c3 = rig.chain.commitRandom(5);
    Commit c4 = rig.chain.commitRandom(5);
    long budget = pushBytes(c1) + pushBytes(c2) + pushBytes(c3) - 1;
    assertThat(raw.subscribe(rig.producer, 60, budget, new KnownHead(0, Chain.newDbRoot())))
        .contains(new Messages.Granted(60, budget));
    for (Commit c : List.of(c1, c2, c3, c4)) {
      rig.producer.server.onCommit(c);
      rig.net.settle();
    }
    assertThat(heights(raw.commits())).containsExactly(1L, 2L);
    Subscription s = rig.producer.server.subscriptions().get(raw.id());
    assertThat(s.remainingBytes()).isEqualTo(pushBytes(c3) - 1);
    assertThat(s.highest()).contains(c2.after());
    assertThat(rig.producer.server.stats().bytesPushed()).isEqualTo(budget - s.remainingBytes());

    // A new subscribe from where it is grants a new budget: the rest comes in one push.
    assertThat(raw.subscribe(rig.producer, 60, 1 << 20, c2.after())).isPresent();
    assertThat(heights(raw.commits())).containsExactly(1L, 2L, 3L, 4L);
    assertThat(raw.pushes.getLast().bytes()).isEqualTo(pushBytes(c3, c4));
  }

  @Test
  void aPusherGrantsNoMoreThanItsLargestBudgetAndLongestWindow() {
    PushConfig stingy =
        new PushConfig(
            CONFIG.window(),
            CONFIG.budget(),
            Duration.ofSeconds(30),
            5000,
            CONFIG.recentCommits(),
            CONFIG.recentBytes(),
            CONFIG.refusedPause(),
            CONFIG.retry(),
            CONFIG.requestTimeout());
    try (PushRig r = new PushRig(stingy)) {
      Raw raw = r.raw(r.producer);
      assertThat(raw.subscribe(r.producer, 3600, 1L << 40, new KnownHead(0, Chain.newDbRoot())))
          .contains(new Messages.Granted(30, 5000));
      Subscription s = r.producer.server.subscriptions().get(raw.id());
      assertThat(s.remainingBytes()).isEqualTo(5000);
      assertThat(s.closeTimeNanos()).isEqualTo(Duration.ofSeconds(30).toNanos());
    }
  }

  @ParameterizedTest(name = "sink taking {0} ms")
  @ValueSource(ints = {0, 5})
  void aSubscriberRenewsAtHalfItsBudgetAndNothingIsPushedTwice(int sinkMillis) {
    Commit probe = rig.chain.commitRandom(5);
    rig.producer.server.onCommit(probe);
    long budget = 5L * pushBytes(probe);
    Node s = rig.subscriber(CONFIG.withBudget(budget), Duration.ofMillis(sinkMillis));
    rig.net.advance(Duration.ofMillis(10));
    for (int i = 0; i < 30; i++) {
      Commit c = rig.commit(5);
      rig.net.advance(Duration.ofMillis(10));
      assertThat(s.db.height()).as("commit %d arrived", c.height()).isEqualTo(c.height());
    }
    assertThat(s.current()).isTrue();
    assertThat(s.client.stats().subscribes()).isGreaterThan(5);
    // A renewal says the heads the pushed commits made, so none is sent again.
    assertThat(s.handed).allMatch(h -> h.applied() == Applied.APPLIED);
    assertThat(s.handed).hasSize(31);
    long pushed = rig.producer.server.stats().bytesPushed();
    assertThat(pushed).isEqualTo(s.client.stats().bytes());
  }

  @Test
  void aSubscriberThatCatchesUpOnMoreThanHalfItsBudgetStillRenewsInTime() {
    for (int i = 0; i < 6; i++) {
      rig.commit(5);
    }
    long catchUp = pushBytes(rig.chain.commits.toArray(Commit[]::new));
    // The catch-up push spends most of the budget before the subscribe is even answered.
    Node s = rig.subscriber(CONFIG.withBudget(catchUp * 4 / 3));
    assertThat(s.current()).isTrue();
    for (int i = 0; i < 20; i++) {
      Commit c = rig.commit(5);
      assertThat(s.db.height()).as("commit %d arrived at once", c.height()).isEqualTo(c.height());
    }
    assertThat(s.handed).allMatch(h -> h.applied() == Applied.APPLIED);
  }

  @Test
  void aSinkThatKeepsNothingDoesNotMakeItRenewAgainAndAgain() {
    for (int i = 0; i < 6; i++) {
      rig.commit(5);
    }
    long catchUp = pushBytes(rig.chain.commits.toArray(Commit[]::new));
    Node s = rig.node(CONFIG);
    s.busy = Optional.of(Applied.NOT_NOW);
    rig.connect(s, rig.producer);
    s.subscribe(CONFIG.withBudget(catchUp + 10));
    // The catch-up push spent nearly all of the budget, but the store did not move: renewing
    // would only have the same commits pushed again.
    assertThat(s.handed).hasSize(6).allMatch(h -> h.applied() == Applied.NOT_NOW);
    assertThat(s.client.stats().subscribes()).isEqualTo(1);

    // Once the store can take them, the node says its heads moved and they come again.
    s.busy = Optional.empty();
    s.client.headsMoved();
    rig.net.settle();
    assertThat(s.current()).isTrue();
    // That push spent the budget again, and this time the store moved: it renews, once.
    assertThat(s.client.stats().subscribes()).isEqualTo(3);
    assertThat(rig.producer.server.subscriptions().get(s.id()).remainingBytes())
        .isEqualTo(catchUp + 10);
  }

  @Test
  void aSubscriberThatHoldsMoreHeadsThanASubscribeCarriesSaysTheNewest() {
    for (int i = 0; i < 3; i++) {
      rig.commit(5);
    }
    Node s = rig.node(CONFIG);
    s.heads =
        () -> {
          List<KnownHead> all = new ArrayList<>();
          for (int i = 0; i < 2 * Limits.MAX_HEADS_PER_SAMPLE; i++) {
            all.add(new KnownHead(0, Chain.newDbRoot()));
          }
          all.add(KnownHead.of(s.db.revision()));
          return all;
        };
    rig.connect(s, rig.producer);
    s.subscribe(CONFIG);
    assertThat(s.source()).contains(rig.producer.id());
    assertThat(rig.producer.server.subscriptions()).containsKey(s.id());
    assertThat(rig.producer.wire.peerManager().standing(s.id()).score()).isZero();
    assertThat(s.current()).isTrue();
  }

  // ------------------------------------------------------------------ window

  @Test
  void aSubscriptionExpiresByVirtualTime() {
    Raw raw = rig.raw(rig.producer);
    raw.subscribe(rig.producer, 5, 1 << 20, new KnownHead(0, Chain.newDbRoot()));
    rig.net.advance(Duration.ofSeconds(5));
    rig.commit(3);
    assertThat(heights(raw.commits())).containsExactly(1L);
    assertThat(rig.producer.server.subscriptions()).containsKey(raw.id());
    rig.net.advance(Duration.ofNanos(1));
    rig.commit(3);
    assertThat(heights(raw.commits())).containsExactly(1L);
    assertThat(rig.producer.server.subscriptions()).doesNotContainKey(raw.id());
  }

  @Test
  void renewalKeepsTheSubscriptionOpenOverManyWindows() {
    Node s = rig.subscriber(CONFIG.withWindow(Duration.ofSeconds(9)));
    for (int second = 1; second <= 120; second++) {
      rig.net.advance(Duration.ofSeconds(1));
      assertThat(rig.producer.server.subscriptions()).as("at %d s", second).containsKey(s.id());
      if (second % 4 == 0) {
        rig.commit(3);
        assertThat(s.current()).as("at %d s", second).isTrue();
      }
    }
    // Renewed at two thirds of each 9 s window.
    assertThat(s.client.stats().subscribes()).isBetween(20L, 21L);
    assertThat(s.applied()).isEqualTo(30);
  }

  // ------------------------------------------------------------------ the limit

  @Test
  void the129thSubscriberIsRefusedAndSubscribesToARelayInstead() {
    Node relay = rig.subscriber(CONFIG);
    relay.relay = true;
    for (int i = 1; i < Limits.MAX_OPEN_SUBSCRIPTIONS; i++) {
      rig.subscriber(CONFIG);
    }
    assertThat(rig.producer.server.stats().open()).isEqualTo(128);

    Node last = rig.node(CONFIG);
    rig.connect(last, rig.producer);
    rig.connect(last, relay);
    last.subscribe(CONFIG);
    assertThat(rig.producer.server.stats().refused()).isEqualTo(1);
    assertThat(rig.producer.server.subscriptions()).doesNotContainKey(last.id());
    assertThat(last.source()).contains(relay.id());
    assertThat(relay.server.subscriptions()).containsOnlyKeys(last.id());
    // Refusing is no offence.
    assertThat(last.score(rig.producer.id())).isZero();

    for (int i = 0; i < 3; i++) {
      rig.commit(4);
    }
    assertThat(relay.current()).isTrue();
    assertThat(last.current()).isTrue();
    assertThat(last.handed).allMatch(h -> h.from().equals(relay.id()));
    assertThat(last.applied()).isEqualTo(3);
  }

  @Test
  void aSubscriberRefusedEverywhereTriesAgainWhenTheFirstPauseEnds() {
    Duration pause = CONFIG.refusedPause();
    Node a = rig.node(CONFIG, 0);
    Node b = rig.node(CONFIG, 0);
    Node s = rig.node(CONFIG);
    rig.connect(s, a);
    s.subscribe(CONFIG);
    assertThat(a.server.stats().refused()).isEqualTo(1);
    rig.net.advance(Duration.ofSeconds(5));
    rig.connect(s, b);
    assertThat(b.server.stats().refused()).isEqualTo(1);
    // a's pause ends first; refused again, a's next pause ends after b's.
    rig.net.advance(pause.minusSeconds(5));
    assertThat(a.server.stats().refused()).isEqualTo(2);
    assertThat(b.server.stats().refused()).isEqualTo(1);
    rig.net.advance(Duration.ofSeconds(5));
    assertThat(b.server.stats().refused()).isEqualTo(2);
    assertThat(a.server.stats().refused()).isEqualTo(2);
    assertThat(s.source()).isEmpty();
  }

  // ------------------------------------------------------------------ liars

  /** A subscriber with only {@code liar} to subscribe to, then an honest peer as well. */
  private Node subscriberOfLiar(Node liar, Node honest) {
    Node s = rig.node(CONFIG);
    rig.connect(s, liar);
    s.subscribe(CONFIG);
    assertThat(s.source()).contains(liar.id());
    rig.connect(s, honest);
    assertThat(s.source()).contains(liar.id());
    return s;
  }

  @Test
  void aPusherWhoseBatchDoesNotMakeTheSignedRootIsPenalisedAndLeft() {
    Node liar = rig.node(CONFIG);
    Node honest = rig.node(CONFIG);
    Node s = subscriberOfLiar(liar, honest);

    Commit c = rig.chain.commitRandom(5);
    honest.server.onCommit(c);
    liar.server.onCommit(Chain.tampered(c));
    rig.net.settle();

    assertThat(s.handed)
        .containsExactly(
            new Handed(liar.id(), 1, Applied.WRONG_ROOT),
            new Handed(honest.id(), 1, Applied.APPLIED));
    assertThat(s.current()).isTrue();
    assertThat(s.score(liar.id())).isLessThanOrEqualTo(-Offence.INVALID_PROOF.penalty());
    assertThat(s.score(honest.id())).isZero();
    assertThat(s.source()).contains(honest.id());
    assertThat(s.client.stats().wrongRoots()).isEqualTo(1);
    // It told the liar it left.
    assertThat(liar.server.subscriptions()).doesNotContainKey(s.id());
    assertThat(honest.server.subscriptions()).containsKey(s.id());

    Commit next = rig.chain.commitRandom(5);
    honest.server.onCommit(next);
    liar.server.onCommit(Chain.tampered(next));
    rig.net.settle();
    assertThat(s.current()).isTrue();
  }

  @Test
  void aPusherOfAForgedHeadIsPenalisedAndLeftWithoutApplyingIt() {
    Node liar = rig.node(CONFIG);
    Node honest = rig.node(CONFIG);
    Node s = subscriberOfLiar(liar, honest);

    Commit c = rig.chain.commitRandom(5);
    honest.server.onCommit(c);
    liar.server.onCommit(Chain.forged(c));
    rig.net.settle();

    assertThat(s.handed).containsExactly(new Handed(honest.id(), 1, Applied.APPLIED));
    assertThat(s.current()).isTrue();
    assertThat(s.score(liar.id())).isLessThanOrEqualTo(-Offence.INVALID_PROOF.penalty());
    assertThat(s.source()).contains(honest.id());
    assertThat(liar.server.subscriptions()).doesNotContainKey(s.id());
  }

  @Test
  void aLiarIsBannedOnItsSecondLie() {
    Node liar = rig.node(CONFIG);
    Node s = rig.node(CONFIG);
    rig.connect(s, liar);
    s.subscribe(CONFIG);
    Commit c1 = rig.chain.commitRandom(5);
    liar.server.onCommit(Chain.tampered(c1));
    rig.net.settle();
    assertThat(s.source()).isEmpty();
    assertThat(s.wire.peerManager().isBanned(liar.id())).isFalse();
    // Back after its pause, it pushes the same lie again.
    rig.net.advance(CONFIG.refusedPause().plusSeconds(1));
    assertThat(s.client.stats().wrongRoots()).isEqualTo(2);
    assertThat(s.wire.peerManager().isBanned(liar.id())).isTrue();
    assertThat(s.db.height()).isZero();
  }

  @Test
  void commitsSignedBySomeoneElseAreSkippedWithoutBlame() {
    Node other = rig.node(CONFIG);
    Node s = rig.node(CONFIG);
    rig.connect(s, other);
    s.subscribe(CONFIG);
    try (Chain foreign = new Chain(TestNet.key(77), 77)) {
      other.server.onCommit(foreign.commitRandom(3));
      rig.net.settle();
    }
    assertThat(s.handed).isEmpty();
    assertThat(s.client.stats().dropped()).isEqualTo(1);
    assertThat(s.score(other.id())).isZero();
    assertThat(s.source()).contains(other.id());
  }

  // ------------------------------------------------------------------ connections

  @Test
  void aDisconnectDropsTheSubscriptionAtThePusher() {
    Node s = rig.subscriber(CONFIG);
    assertThat(rig.producer.server.subscriptions()).containsKey(s.id());
    s.wire.disconnect(rig.producer.id(), "test");
    // Both ends hear of the close on their transport's thread: wait for what it does.
    rig.net.settleUntil(
        () -> !rig.producer.server.subscriptions().containsKey(s.id()) && s.source().isEmpty());
    rig.commit(3);
    assertThat(rig.producer.server.stats().pushes()).isZero();
  }

  @Test
  void aSubscriberMovesToTheProducerWhenItConnects() {
    Node other = rig.node(CONFIG);
    other.relay = true;
    rig.connect(other, rig.producer);
    other.subscribe(CONFIG);
    Node s = rig.node(CONFIG);
    rig.connect(s, other);
    s.subscribe(CONFIG);
    assertThat(s.source()).contains(other.id());
    rig.connect(s, rig.producer);
    assertThat(s.source()).contains(rig.producer.id());
    assertThat(other.server.subscriptions()).doesNotContainKey(s.id());
    rig.commit(3);
    assertThat(s.handed).containsExactly(new Handed(rig.producer.id(), 1, Applied.APPLIED));
  }

  @Test
  void anUnsubscribeEndsTheSubscriptionAndClosingTheClientSendsOne() {
    Raw raw = rig.raw(rig.producer);
    raw.subscribe(rig.producer, 60, 1000, new KnownHead(0, Chain.newDbRoot()));
    raw.send(rig.producer, Messages.unsubscribe());
    assertThat(rig.producer.server.subscriptions()).isEmpty();
    // Again, with none: nothing happens, and it is no offence.
    raw.send(rig.producer, Messages.unsubscribe());
    assertThat(rig.producer.wire.peerManager().standing(raw.id()).score()).isZero();

    Node s = rig.subscriber(CONFIG);
    assertThat(rig.producer.server.subscriptions()).containsKey(s.id());
    s.client.close();
    rig.net.settle();
    assertThat(rig.producer.server.subscriptions()).doesNotContainKey(s.id());
  }

  // ------------------------------------------------------------------ routing

  @Test
  void aPollGoesToThePollHandlerAndItsAnswerComesBack() {
    List<NodeId> asked = new ArrayList<>();
    ProtocolHandler proofServer =
        new ProtocolHandler() {
          @Override
          public void onRequest(NodeId from, ByteString payload, Responder responder) {
            asked.add(from);
            responder.respond(ByteString.copyFromUtf8("proof for ").concat(payload));
          }
        };
    Node server = rig.node(CONFIG, Optional.of(proofServer));
    Raw raw = rig.raw(server);
    ByteString answer = done(raw.request(server, Messages.poll(ByteString.copyFromUtf8("range"))));
    assertThat(answer.toStringUtf8()).isEqualTo("proof for range");
    assertThat(asked).containsExactly(raw.id());
  }

  @Test
  void aPollToANodeWithoutAProofServerIsRefused() {
    Raw raw = rig.raw(rig.producer);
    CompletableFuture<ByteString> f =
        raw.request(rig.producer, Messages.poll(ByteString.copyFromUtf8("range")));
    assertThat(catchThrowable(() -> PushRig.done(f)))
        .rootCause()
        .isInstanceOfSatisfying(
            FerryException.class, e -> assertThat(e.code()).isEqualTo(ErrorCode.UNSUPPORTED));
  }

  @Test
  void aSubscribeSentOneWayIsAViolationAndOpensNothing() {
    Raw raw = rig.raw(rig.producer);
    raw.send(rig.producer, Messages.subscribe(60, 1000, List.of()));
    assertThat(rig.producer.server.subscriptions()).isEmpty();
    assertThat(rig.producer.wire.peerManager().standing(raw.id()).score())
        .isEqualTo(-Offence.PROTOCOL_VIOLATION.penalty());
  }

  @Test
  void aPushSentAsARequestIsAViolationAndRefused() {
    Node s = rig.node(CONFIG);
    rig.connect(s, rig.producer);
    s.subscribe(CONFIG);
    Raw raw = rig.raw(s);
    Commit c = rig.chain.commitRandom(3);
    CompletableFuture<ByteString> f =
        raw.request(s, Messages.push(List.of(Messages.commitEntry(c))));
    assertThat(catchThrowable(() -> PushRig.done(f)))
        .rootCause()
        .isInstanceOfSatisfying(
            FerryException.class, e -> assertThat(e.code()).isEqualTo(ErrorCode.INVALID_ARGUMENT));
    assertThat(s.score(raw.id())).isEqualTo(-Offence.PROTOCOL_VIOLATION.penalty());
    assertThat(s.handed).isEmpty();
  }

  @Test
  void aPushFromAPeerThatIsNotTheSourceIsDroppedAndOneWithNoClientCosts() {
    Node s = rig.subscriber(CONFIG);
    Raw stranger = rig.raw(s);
    Commit c = rig.chain.commitRandom(3);
    stranger.send(s, Messages.push(List.of(Messages.commitEntry(c))));
    assertThat(s.handed).isEmpty();
    assertThat(s.client.stats().dropped()).isEqualTo(1);

    // The producer subscribes to no one: a push to it was never asked for.
    Raw other = rig.raw(rig.producer);
    other.send(rig.producer, Messages.push(List.of(Messages.commitEntry(c))));
    assertThat(rig.producer.wire.peerManager().standing(other.id()).score())
        .isEqualTo(-Offence.UNREQUESTED_DATA.penalty());
  }

  @Test
  void aFrameThatDoesNotDecodeCostsItsSender() {
    Raw raw = rig.raw(rig.producer);
    raw.send(rig.producer, ByteString.copyFrom(new byte[] {(byte) 0xff, 0x01}));
    assertThat(rig.producer.wire.peerManager().standing(raw.id()).score())
        .isEqualTo(-Offence.MALFORMED_MESSAGE.penalty());
    CompletableFuture<ByteString> f =
        raw.request(rig.producer, Messages.subscribe(0, 10, List.of()));
    assertThat(catchThrowable(() -> PushRig.done(f)))
        .rootCause()
        .isInstanceOfSatisfying(
            FerryException.class, e -> assertThat(e.code()).isEqualTo(ErrorCode.INVALID_ENCODING));
    assertThat(rig.producer.wire.peerManager().standing(raw.id()).score())
        .isEqualTo(-2 * Offence.MALFORMED_MESSAGE.penalty());
    assertThat(rig.producer.server.subscriptions()).isEmpty();
  }
}
