package io.ferry.gossip.head;

import static org.assertj.core.api.Assertions.assertThat;
import static org.awaitility.Awaitility.await;

import com.google.protobuf.ByteString;
import io.ferry.core.Bytes;
import io.ferry.core.ErrorCode;
import io.ferry.core.Hash;
import io.ferry.core.Limits;
import io.ferry.core.identity.NodeId;
import io.ferry.core.identity.NodeKey;
import io.ferry.core.runtime.ExecutorScheduler;
import io.ferry.core.runtime.ManualScheduler;
import io.ferry.net.PeerAddress;
import io.ferry.net.ProtocolHandler;
import io.ferry.net.ProtocolId;
import io.ferry.net.Responder;
import io.ferry.net.TransportConfig;
import io.ferry.net.TransportException;
import io.ferry.net.memory.MemoryNetwork;
import io.ferry.net.memory.MemoryTransport;
import io.ferry.wire.v1.GossipMessage;
import io.ferry.wire.v1.GossipRequest;
import io.ferry.wire.v1.HeadRequest;
import io.ferry.wire.v1.HeadResponse;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.CopyOnWriteArrayList;
import java.util.concurrent.ExecutionException;
import java.util.concurrent.TimeUnit;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.Test;

/** Head gossip between real protocol instances over in-memory transports. */
class HeadExchangeTest {
  private static final Duration NEVER = Duration.ofHours(1);
  private static final Duration TIMEOUT = Duration.ofSeconds(5);

  private final MemoryNetwork network = new MemoryNetwork();
  private final List<AutoCloseable> open = new ArrayList<>();
  private final NodeKey producerKey = NodeKey.generate();
  private final NodeKey otherKey = NodeKey.generate();
  private int ports;

  /** One node: a transport, a scheduler and its head exchange. */
  private final class Peer {
    final MemoryTransport transport;
    final HeadExchange heads;
    final List<SignedHead> learned = new CopyOnWriteArrayList<>();

    Peer(NodeKey key, HeadTrust trust, Duration poll) {
      transport = transport(key);
      ExecutorScheduler scheduler = new ExecutorScheduler("gossip-test", 1);
      open.add(scheduler);
      heads = HeadExchange.start(transport, scheduler, trust, poll, TIMEOUT, learned::add);
      open.add(heads);
    }

    void dial(MemoryTransport to) {
      connect(transport, to);
    }

    int scoreOf(MemoryTransport peer) {
      return transport.peerManager().standing(peer.localId()).score();
    }
  }

  private MemoryTransport transport(NodeKey key) {
    MemoryTransport t =
        new MemoryTransport(
            network, key.id(), PeerAddress.of("node" + ports++, 1), TransportConfig.DEFAULT);
    open.add(t);
    return t;
  }

  private static void connect(MemoryTransport from, MemoryTransport to) {
    try {
      from.connect(to.address().withId(to.localId())).get(5, TimeUnit.SECONDS);
    } catch (Exception e) {
      throw new AssertionError("connect failed", e);
    }
  }

  /** A peer that answers every head request with {@code answer} and runs no exchange. */
  private MemoryTransport liar(ByteString answer) {
    MemoryTransport t = transport(NodeKey.generate());
    t.register(
        ProtocolId.GOSSIP,
        new ProtocolHandler() {
          @Override
          public void onRequest(NodeId from, ByteString payload, Responder responder) {
            responder.respond(answer);
          }
        });
    return t;
  }

  private static ByteString answering(SignedHead head) {
    return HeadResponse.newBuilder().setHead(head.toProto()).build().toByteString();
  }

  private static ByteString announcing(SignedHead head) {
    return GossipMessage.newBuilder().setHead(head.toProto()).build().toByteString();
  }

  private static Hash root(int n) {
    byte[] b = new byte[32];
    b[0] = (byte) n;
    b[31] = 1;
    return Hash.of(b);
  }

  @AfterEach
  void closeAll() throws Exception {
    for (int i = open.size() - 1; i >= 0; i--) {
      open.get(i).close();
    }
  }

  @Test
  void aFollowerLearnsHeadsOnConnectAndFromAnnouncements() {
    Peer producer = new Peer(producerKey, HeadTrust.none(), Duration.ZERO);
    producer.heads.publish(SignedHead.sign(producerKey, 1, root(1)));
    await().until(() -> producer.heads.newest().isPresent());

    Peer follower = new Peer(NodeKey.generate(), HeadTrust.producer(producerKey.id()), NEVER);
    follower.dial(producer.transport);
    await().until(() -> follower.learned.size() == 1);
    assertThat(follower.learned.get(0).height()).isEqualTo(1);

    // The next poll is an hour away: only the announcement can bring this one.
    producer.heads.publish(SignedHead.sign(producerKey, 2, root(2)));
    await().until(() -> follower.learned.size() == 2);
    assertThat(follower.heads.newest().orElseThrow().root()).isEqualTo(root(2));
    assertThat(follower.heads.stats().accepted()).isEqualTo(2);
  }

  @Test
  void followersRelayHeadsToPeersThatCannotReachTheProducer() {
    Peer producer = new Peer(producerKey, HeadTrust.none(), Duration.ZERO);
    Peer middle = new Peer(NodeKey.generate(), HeadTrust.producer(producerKey.id()), NEVER);
    Peer far = new Peer(NodeKey.generate(), HeadTrust.producer(producerKey.id()), NEVER);
    middle.dial(producer.transport);
    far.dial(middle.transport);
    producer.heads.publish(SignedHead.sign(producerKey, 7, root(7)));
    await().until(() -> far.heads.newest().map(SignedHead::height).orElse(0L) == 7);
    assertThat(far.transport.peers()).containsExactly(middle.transport.localId());
    assertThat(far.learned.get(0).verifies()).isTrue();
  }

  @Test
  void aPollingFollowerPicksUpHeadsItWasNotToldOf() {
    MemoryTransport liarTransport = liar(answering(SignedHead.sign(producerKey, 3, root(3))));
    Peer follower =
        new Peer(NodeKey.generate(), HeadTrust.producer(producerKey.id()), Duration.ofMillis(50));
    follower.dial(liarTransport);
    await().until(() -> follower.heads.newest().isPresent());
    assertThat(follower.heads.newest().orElseThrow().height()).isEqualTo(3);
  }

  @Test
  void aHeadFromAnotherProducerIsRefusedWithoutPenalty() {
    MemoryTransport honestStranger = liar(answering(SignedHead.sign(otherKey, 50, root(50))));
    Peer follower = new Peer(NodeKey.generate(), HeadTrust.producer(producerKey.id()), NEVER);
    follower.dial(honestStranger);
    await().until(() -> follower.heads.stats().foreign() == 1);
    assertThat(follower.heads.newest()).isEmpty();
    assertThat(follower.learned).isEmpty();
    assertThat(follower.scoreOf(honestStranger)).isZero();
  }

  @Test
  void aForgedHeadIsRefusedAndItsSenderScoredAsALiar() {
    SignedHead real = SignedHead.sign(producerKey, 10, root(10));
    SignedHead forged = new SignedHead(producerKey.id(), 11, root(11), real.signature());
    MemoryTransport liarTransport = liar(answering(forged));
    Peer follower = new Peer(NodeKey.generate(), HeadTrust.producer(producerKey.id()), NEVER);
    follower.dial(liarTransport);
    await().until(() -> follower.heads.stats().forged() == 1);
    assertThat(follower.heads.newest()).isEmpty();
    assertThat(follower.scoreOf(liarTransport)).isNegative();

    // A second lie, this time announced, gets the liar banned and dropped.
    liarTransport.send(
        follower.transport.localId(),
        ProtocolId.GOSSIP,
        announcing(new SignedHead(producerKey.id(), 12, root(12), real.signature())));
    await().until(() -> follower.transport.peerManager().isBanned(liarTransport.localId()));
    assertThat(follower.heads.newest()).isEmpty();
  }

  @Test
  void garbageAndOversizedMessagesAreScoredAsMalformed() {
    MemoryTransport liarTransport = liar(ByteString.copyFrom(new byte[] {(byte) 0xff, 0x7f}));
    Peer follower = new Peer(NodeKey.generate(), HeadTrust.producer(producerKey.id()), NEVER);
    follower.dial(liarTransport);
    await().until(() -> follower.heads.stats().malformed() == 1);
    int afterGarbage = follower.scoreOf(liarTransport);
    assertThat(afterGarbage).isNegative();

    ByteString huge =
        GossipMessage.newBuilder()
            .setHead(
                SignedHead.sign(producerKey, 1, root(1)).toProto().toBuilder()
                    .setSignature(ByteString.copyFrom(new byte[Limits.MAX_GOSSIP_MESSAGE_BYTES])))
            .build()
            .toByteString();
    liarTransport.send(follower.transport.localId(), ProtocolId.GOSSIP, huge);
    await().until(() -> follower.heads.stats().malformed() == 2);
    assertThat(follower.heads.newest()).isEmpty();
  }

  @Test
  void aHeadWithBadFieldLengthsIsMalformedNotForged() {
    ByteString badRoot =
        HeadResponse.newBuilder()
            .setHead(
                SignedHead.sign(producerKey, 1, root(1)).toProto().toBuilder()
                    .setRoot(ByteString.copyFrom(new byte[31])))
            .build()
            .toByteString();
    MemoryTransport liarTransport = liar(badRoot);
    Peer follower = new Peer(NodeKey.generate(), HeadTrust.producer(producerKey.id()), NEVER);
    follower.dial(liarTransport);
    await().until(() -> follower.heads.stats().malformed() == 1);
    assertThat(follower.heads.stats().forged()).isZero();
  }

  @Test
  void headsNoNewerThanTheNewestAreIgnored() {
    Peer producer = new Peer(producerKey, HeadTrust.none(), Duration.ZERO);
    producer.heads.publish(SignedHead.sign(producerKey, 5, root(5)));
    Peer follower = new Peer(NodeKey.generate(), HeadTrust.producer(producerKey.id()), NEVER);
    await().until(() -> producer.heads.newest().isPresent());
    follower.dial(producer.transport);
    await().until(() -> follower.learned.size() == 1);

    MemoryTransport replayer = liar(answering(SignedHead.sign(producerKey, 4, root(4))));
    follower.dial(replayer);
    // A signature-valid head of the same height with another root: equivocation, not adopted.
    replayer.send(
        follower.transport.localId(),
        ProtocolId.GOSSIP,
        announcing(SignedHead.sign(producerKey, 5, root(55))));
    // The marker after them, from the producer, proves the follower has handled both.
    producer.heads.publish(SignedHead.sign(producerKey, 6, root(6)));
    await().until(() -> follower.learned.size() == 2);
    assertThat(follower.learned).extracting(SignedHead::height).containsExactly(5L, 6L);
    assertThat(follower.heads.stats().accepted()).isEqualTo(2);
    assertThat(follower.scoreOf(replayer)).isZero();
  }

  @Test
  void aNodeTrustingARootAcceptsOnlyHeadsNamingIt() {
    MemoryTransport a = liar(answering(SignedHead.sign(otherKey, 9, root(9))));
    MemoryTransport b = liar(answering(SignedHead.sign(producerKey, 8, root(8))));
    Peer follower = new Peer(NodeKey.generate(), HeadTrust.root(root(8)), NEVER);
    follower.dial(a);
    follower.dial(b);
    await().until(() -> follower.learned.size() == 1);
    await().until(() -> follower.heads.stats().foreign() == 1);
    assertThat(follower.heads.newest().orElseThrow().root()).isEqualTo(root(8));
  }

  @Test
  void headRequestsAreAnsweredAndBadOnesGetATypedError() throws Exception {
    Peer server = new Peer(NodeKey.generate(), HeadTrust.none(), Duration.ZERO);
    MemoryTransport client = transport(NodeKey.generate());
    connect(client, server.transport);
    ByteString request =
        GossipRequest.newBuilder()
            .setHeadRequest(HeadRequest.getDefaultInstance())
            .build()
            .toByteString();
    ByteString empty =
        client
            .request(server.transport.localId(), ProtocolId.GOSSIP, request, TIMEOUT)
            .get(5, TimeUnit.SECONDS);
    assertThat(HeadResponse.parseFrom(empty).hasHead()).isFalse();

    SignedHead own = SignedHead.sign(producerKey, 2, root(2));
    server.heads.publish(own);
    await().until(() -> server.heads.newest().isPresent());
    ByteString full =
        client
            .request(server.transport.localId(), ProtocolId.GOSSIP, request, TIMEOUT)
            .get(5, TimeUnit.SECONDS);
    assertThat(SignedHead.fromProto(HeadResponse.parseFrom(full).getHead())).isEqualTo(own);

    for (ByteString bad :
        List.of(
            ByteString.copyFrom(new byte[] {(byte) 0xff, 0x7f}),
            ByteString.copyFrom(new byte[Limits.MAX_GOSSIP_MESSAGE_BYTES + 1]))) {
      try {
        client
            .request(server.transport.localId(), ProtocolId.GOSSIP, bad, TIMEOUT)
            .get(5, TimeUnit.SECONDS);
        throw new AssertionError("expected a remote error");
      } catch (ExecutionException e) {
        TransportException te = (TransportException) e.getCause();
        assertThat(te.failure()).isEqualTo(TransportException.Failure.REMOTE);
        assertThat(te.code()).isEqualTo(ErrorCode.INVALID_ENCODING);
      }
    }
    // An unrecognised request kind (an empty message) is unsupported, not garbage.
    try {
      client
          .request(server.transport.localId(), ProtocolId.GOSSIP, ByteString.EMPTY, TIMEOUT)
          .get(5, TimeUnit.SECONDS);
      throw new AssertionError("expected a remote error");
    } catch (ExecutionException e) {
      assertThat(((TransportException) e.getCause()).code()).isEqualTo(ErrorCode.UNSUPPORTED);
    }
    assertThat(Bytes.wrap(own.signature().toByteArray())).isEqualTo(own.signature());
  }

  @Test
  void aNodeTrustingARootTakesOneHeadAndRelaysNone() {
    MemoryTransport first = liar(answering(SignedHead.sign(otherKey, 8, root(8))));
    Peer follower = new Peer(NodeKey.generate(), HeadTrust.root(root(8)), NEVER);
    // It accepts nothing, so a relayed head would show as foreign there.
    Peer listener = new Peer(NodeKey.generate(), HeadTrust.none(), Duration.ZERO);
    listener.dial(follower.transport);
    follower.dial(first);
    await().until(() -> follower.learned.size() == 1);

    // A stranger's key signs the trusted root at a height of its choosing: not taken, and the
    // marker after it (a head the follower refuses as foreign) proves it was handled.
    MemoryTransport stranger = liar(ByteString.EMPTY);
    follower.dial(stranger);
    NodeId to = follower.transport.localId();
    stranger.send(
        to, ProtocolId.GOSSIP, announcing(SignedHead.sign(NodeKey.generate(), 1L << 60, root(8))));
    stranger.send(
        to, ProtocolId.GOSSIP, announcing(SignedHead.sign(otherKey, (1L << 60) + 1, root(3))));
    await().until(() -> follower.heads.stats().foreign() == 1);
    assertThat(follower.learned).extracting(SignedHead::height).containsExactly(8L);
    assertThat(follower.heads.newest().orElseThrow().height()).isEqualTo(8);
    // Nothing was announced onward: the listener never polls, so only a relay could reach it. A
    // request over the same connection, answered after any relay, and a task on the listener's
    // scheduler after its handling make sure a relay would have been counted by now.
    ByteString request =
        GossipRequest.newBuilder()
            .setHeadRequest(HeadRequest.getDefaultInstance())
            .build()
            .toByteString();
    listener
        .transport
        .request(follower.transport.localId(), ProtocolId.GOSSIP, request, TIMEOUT)
        .join();
    listener.heads.refusalsRemembered();
    assertThat(listener.heads.stats().foreign()).isZero();
  }

  @Test
  void headsTheStoreHasPassedAreIgnoredBeforeTheirSignatureIsChecked() {
    MemoryTransport replayer = liar(ByteString.EMPTY);
    List<SignedHead> asked = new CopyOnWriteArrayList<>();
    MemoryTransport t = transport(NodeKey.generate());
    ExecutorScheduler scheduler = new ExecutorScheduler("gossip-test", 1);
    open.add(scheduler);
    List<SignedHead> learned = new CopyOnWriteArrayList<>();
    HeadExchange heads =
        HeadExchange.start(
            t,
            scheduler,
            HeadTrust.producer(producerKey.id()),
            NEVER,
            TIMEOUT,
            h -> {
              asked.add(h);
              return h.height() < 10;
            },
            learned::add);
    open.add(heads);
    connect(t, replayer);
    SignedHead real = SignedHead.sign(producerKey, 10, root(10));
    // A forged old head costs nothing: it is dropped before the signature check.
    replayer.send(
        t.localId(),
        ProtocolId.GOSSIP,
        announcing(new SignedHead(producerKey.id(), 4, root(4), real.signature())));
    replayer.send(
        t.localId(), ProtocolId.GOSSIP, announcing(SignedHead.sign(producerKey, 5, root(5))));
    replayer.send(t.localId(), ProtocolId.GOSSIP, announcing(real));
    await().until(() -> learned.size() == 1);
    assertThat(learned).containsExactly(real);
    assertThat(asked).extracting(SignedHead::height).containsExactly(4L, 5L, 10L);
    assertThat(heads.stats().forged()).isZero();
    assertThat(t.peerManager().standing(replayer.localId()).score()).isZero();
  }

  @Test
  void aPeerAnnouncingFasterThanItsRateIsCutOff() {
    // The exchange runs on a scheduler in virtual time: the rate is judged by its clock alone.
    MemoryTransport t = transport(NodeKey.generate());
    ManualScheduler scheduler = new ManualScheduler();
    HeadExchange heads =
        HeadExchange.start(
            t, scheduler, HeadTrust.producer(producerKey.id()), NEVER, TIMEOUT, h -> {});
    open.add(heads);
    MemoryTransport flooder = liar(ByteString.EMPTY);
    connect(t, flooder);
    int sent = 400;
    announceAll(flooder, t, 1, sent);
    scheduler.runDue();
    // No time passed: one burst is taken, the rest dropped before they are decoded.
    assertThat(heads.stats().accepted()).isEqualTo(Limits.MAX_GOSSIP_MESSAGE_BURST);
    assertThat(heads.stats().dropped()).isEqualTo(sent - Limits.MAX_GOSSIP_MESSAGE_BURST);

    // A second later the bucket has refilled by one second's rate, and no more.
    scheduler.advance(Duration.ofSeconds(1));
    announceAll(flooder, t, sent + 1, sent);
    scheduler.runDue();
    assertThat(heads.stats().accepted())
        .isEqualTo(
            Limits.MAX_GOSSIP_MESSAGE_BURST + Limits.MAX_GOSSIP_MESSAGES_PER_PEER_PER_SECOND);
    assertThat(heads.stats().dropped()).isEqualTo(2L * sent - heads.stats().accepted());
  }

  /**
   * Announces heads {@code from} .. {@code from + count - 1} from {@code sender} to {@code to}, and
   * returns once {@code to}'s exchange has them all queued on its scheduler.
   */
  private void announceAll(MemoryTransport sender, MemoryTransport to, int from, int count) {
    for (int h = from; h < from + count; h++) {
      sender.send(
          to.localId(), ProtocolId.GOSSIP, announcing(SignedHead.sign(producerKey, h, root(h))));
    }
    // A request over the same connection is handled after every message sent before it.
    ByteString request =
        GossipRequest.newBuilder()
            .setHeadRequest(HeadRequest.getDefaultInstance())
            .build()
            .toByteString();
    sender.request(to.localId(), ProtocolId.GOSSIP, request, TIMEOUT).join();
  }

  @Test
  void refusalsRememberedForLoggingAreBounded() {
    MemoryTransport strangers = transport(NodeKey.generate());
    strangers.register(
        ProtocolId.GOSSIP,
        new ProtocolHandler() {
          @Override
          public void onRequest(NodeId from, ByteString payload, Responder responder) {
            // Each answer comes from another producer this follower does not trust.
            responder.respond(answering(SignedHead.sign(NodeKey.generate(), 1, root(1))));
          }
        });
    Peer follower =
        new Peer(NodeKey.generate(), HeadTrust.producer(producerKey.id()), Duration.ofMillis(1));
    follower.dial(strangers);
    int more = HeadExchange.MAX_REFUSALS_LOGGED + 50;
    await().atMost(Duration.ofSeconds(30)).until(() -> follower.heads.stats().foreign() >= more);
    assertThat(follower.heads.refusalsRemembered()).isEqualTo(HeadExchange.MAX_REFUSALS_LOGGED);
    assertThat(follower.scoreOf(strangers)).isZero();
  }
}
