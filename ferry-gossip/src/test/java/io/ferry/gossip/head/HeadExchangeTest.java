package io.ferry.gossip.head;

import static org.assertj.core.api.Assertions.assertThat;
import static org.awaitility.Awaitility.await;

import com.google.protobuf.ByteString;
import io.ferry.core.Bytes;
import io.ferry.core.Hash;
import io.ferry.core.identity.NodeId;
import io.ferry.core.identity.NodeKey;
import io.ferry.core.runtime.SeededRandomSource;
import io.ferry.gossip.plane.GossipConfig;
import io.ferry.gossip.plane.GossipPlane;
import io.ferry.gossip.value.SignedValue;
import io.ferry.gossip.value.ValueKind;
import io.ferry.gossip.value.ValueRules;
import io.ferry.net.ProtocolHandler;
import io.ferry.net.ProtocolId;
import io.ferry.net.Responder;
import io.ferry.net.peers.Offence;
import io.ferry.net.testing.TestNet;
import io.ferry.net.testing.Wire;
import io.ferry.wire.v1.GossipMessage;
import io.ferry.wire.v1.PullResponse;
import io.ferry.wire.v1.Push;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.function.Predicate;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.Test;

/**
 * Signed heads between real nodes, each a {@link GossipPlane} with a {@link HeadExchange} on an
 * in-memory transport, in virtual time ({@link TestNet}).
 *
 * <p>The head exchange no longer has requests of its own: heads are values of the plane, so a
 * follower learns them from the pull on connect, from pushes, and from timed pulls. And the plane
 * relays every value that is validly signed by its origin and obeys {@link
 * HeadExchange#PAYLOAD_RULE}, whatever a node's trust makes of the head: trust decides what a node
 * follows, not what it passes on (so a node trusting a root relays strangers' heads too).
 */
class HeadExchangeTest {
  private static final String NET = "test";
  private static final Duration NEVER = Duration.ofHours(1);
  private static final GossipConfig CONFIG = GossipConfig.defaults(NET).withPullInterval(NEVER);

  private final TestNet net = new TestNet();
  private final NodeKey producerKey = TestNet.key(100);
  private final NodeKey otherKey = TestNet.key(101);

  /** One node: its transport, plane and head exchange, and the heads it was told of. */
  private record Peer(Wire wire, GossipPlane plane, HeadExchange heads, List<SignedHead> learned) {
    NodeId id() {
      return wire.localId();
    }

    int scoreOf(Wire peer) {
      return wire.peerManager().standing(peer.localId()).score();
    }
  }

  @AfterEach
  void closeAll() {
    net.close();
  }

  private Peer peer(NodeKey key, HeadTrust trust) {
    return peer(key, trust, h -> false, CONFIG);
  }

  private Peer peer(
      NodeKey key, HeadTrust trust, Predicate<SignedHead> passed, GossipConfig config) {
    Wire wire = net.transport(key);
    ValueRules rules =
        new ValueRules(NET, config.ttl(), config.maxDrift())
            .with(ValueKind.SIGNED_HEAD, HeadExchange.PAYLOAD_RULE);
    GossipPlane plane =
        net.closeLater(
            GossipPlane.start(
                wire,
                net.scheduler(),
                new SeededRandomSource(key.id().hashCode()),
                key,
                config,
                rules));
    List<SignedHead> learned = new ArrayList<>();
    HeadExchange heads =
        net.closeLater(HeadExchange.start(plane, net.scheduler(), trust, passed, learned::add));
    net.settle();
    return new Peer(wire, plane, heads, learned);
  }

  private Peer follower(int seed) {
    return peer(TestNet.key(seed), HeadTrust.producer(producerKey.id()));
  }

  /**
   * A node without a plane: it sends what a test makes it, and answers every pull with {@code
   * answer}.
   */
  private Wire raw(int seed, SignedValue... answer) {
    Wire wire = net.transport(TestNet.key(seed));
    PullResponse.Builder response = PullResponse.newBuilder();
    for (SignedValue v : answer) {
      response.addValues(v.toProto());
    }
    ByteString bytes = response.build().toByteString();
    wire.register(
        ProtocolId.GOSSIP,
        new ProtocolHandler() {
          @Override
          public void onRequest(NodeId from, ByteString payload, Responder responder) {
            responder.respond(bytes);
          }
        });
    return wire;
  }

  private static Hash root(int n) {
    byte[] b = new byte[32];
    b[0] = (byte) n;
    b[31] = 1;
    return Hash.of(b);
  }

  private long now() {
    return net.scheduler().clock().instant().toEpochMilli();
  }

  /** {@code head} as {@code origin}'s value, signed by {@code origin} at {@code wallclock}. */
  private static SignedValue value(NodeKey origin, long wallclock, SignedHead head) {
    return SignedValue.sign(
        origin,
        NET,
        ValueKind.SIGNED_HEAD,
        wallclock,
        Bytes.EMPTY,
        Bytes.wrap(head.toProto().toByteArray()));
  }

  /** The producer's head value, as its own plane would sign it. */
  private SignedValue headValue(NodeKey producer, long height, Hash root) {
    return value(producer, now(), SignedHead.sign(producer, height, root));
  }

  private void push(Wire from, Peer to, SignedValue... values) {
    Push.Builder push = Push.newBuilder().setNetwork(NET);
    for (SignedValue v : values) {
      push.addValues(v.toProto());
    }
    from.send(
        to.id(),
        ProtocolId.GOSSIP,
        GossipMessage.newBuilder().setPush(push).build().toByteString());
    net.settle();
  }

  private static List<Long> heights(List<SignedHead> heads) {
    return heads.stream().map(SignedHead::height).toList();
  }

  @Test
  void aFollowerLearnsTheHeadOnConnectAndLaterOnesByPush() {
    Peer producer = peer(producerKey, HeadTrust.none());
    producer.heads().publish(SignedHead.sign(producerKey, 1, root(1)));
    net.settle();
    assertThat(producer.heads().newest().orElseThrow().height()).isEqualTo(1);

    Peer follower = follower(1);
    net.connect(follower.wire(), producer.wire());
    assertThat(heights(follower.learned())).containsExactly(1L);

    // Timed pulls are an hour away: only a push can bring this one.
    producer.heads().publish(SignedHead.sign(producerKey, 2, root(2)));
    net.advance(Duration.ofSeconds(1));
    assertThat(heights(follower.learned())).containsExactly(1L, 2L);
    assertThat(follower.heads().newest().orElseThrow().root()).isEqualTo(root(2));
    assertThat(follower.heads().stats().accepted()).isEqualTo(2);
    // The producer publishes; it is not told of its own heads.
    assertThat(producer.learned()).isEmpty();
  }

  @Test
  void followersRelayHeadsToPeersThatCannotReachTheProducer() {
    Peer producer = peer(producerKey, HeadTrust.none());
    Peer middle = follower(1);
    Peer far = follower(2);
    net.connect(middle.wire(), producer.wire());
    net.connect(far.wire(), middle.wire());
    producer.heads().publish(SignedHead.sign(producerKey, 7, root(7)));
    net.advance(Duration.ofSeconds(1));
    assertThat(far.heads().newest().orElseThrow().height()).isEqualTo(7);
    assertThat(far.wire().peers()).containsExactly(middle.id());
    assertThat(far.learned().getFirst().verifies()).isTrue();
  }

  @Test
  void aHeadInAPullAnswerIsLearned() {
    Wire holder = raw(50, headValue(producerKey, 3, root(3)));
    Peer follower = follower(1);
    net.connect(follower.wire(), holder);
    assertThat(follower.heads().newest().orElseThrow().height()).isEqualTo(3);
  }

  @Test
  void aHeadFromAnotherProducerIsIgnoredWithoutPenalty() {
    Wire honestStranger = raw(50, headValue(otherKey, 50, root(50)));
    Peer follower = follower(1);
    net.connect(follower.wire(), honestStranger);
    assertThat(follower.heads().stats().foreign()).isEqualTo(1);
    assertThat(follower.heads().newest()).isEmpty();
    assertThat(follower.learned()).isEmpty();
    assertThat(follower.scoreOf(honestStranger)).isZero();
    // Stored all the same, to be relayed: it is validly signed by its producer.
    assertThat(follower.plane().get(otherKey.id(), ValueKind.SIGNED_HEAD)).isPresent();
  }

  @Test
  void aProducersHeadSignedByAnotherIsRefusedByThePlaneAndABadSignatureGetsTheLiarBanned() {
    Peer follower = follower(1);
    Wire liar = raw(50);
    NodeKey liarKey = TestNet.key(50);
    net.connect(follower.wire(), liar);

    // A real head of the producer, in a value the liar signed: the origin is not the producer.
    SignedHead real = SignedHead.sign(producerKey, 10, root(10));
    push(liar, follower, value(liarKey, now(), real));
    assertThat(follower.heads().newest()).isEmpty();
    assertThat(follower.plane().size()).isZero();
    assertThat(follower.scoreOf(liar)).isEqualTo(-Offence.MALFORMED_MESSAGE.penalty());

    // A value in the producer's name whose signature does not verify: a lie, and the second one.
    SignedValue signed = value(producerKey, now(), SignedHead.sign(producerKey, 11, root(11)));
    SignedValue forged =
        new SignedValue(
            signed.origin(),
            signed.kind(),
            signed.wallclock(),
            signed.index(),
            signed.payload(),
            value(liarKey, now(), real).signature());
    push(liar, follower, forged);
    assertThat(follower.wire().peerManager().isBanned(liar.localId())).isTrue();
    await().until(() -> !follower.wire().isConnected(liar.localId()));
    assertThat(follower.heads().newest()).isEmpty();
    assertThat(follower.plane().size()).isZero();
  }

  @Test
  void theValueSignatureOfItsProducerAuthenticatesAHeadWhoseOwnSignatureIsNotCheckedAgain() {
    // Only the producer's key can sign such a value: its signature vouches for the height and root
    // the payload names, so the head is followed (one signature check per head, not two), and the
    // relay, which could not have known better, costs nothing.
    SignedHead real = SignedHead.sign(producerKey, 10, root(10));
    SignedHead badHead = new SignedHead(producerKey.id(), 11, root(11), real.signature());
    Peer follower = follower(1);
    Wire relay = raw(50);
    net.connect(follower.wire(), relay);
    push(relay, follower, value(producerKey, now(), badHead));
    assertThat(follower.heads().newest()).contains(badHead);
    assertThat(follower.scoreOf(relay)).isZero();
  }

  @Test
  void aHeadThatDoesNotDecodeIsMalformedNotForged() {
    NodeKey liarKey = TestNet.key(50);
    SignedHead own = SignedHead.sign(liarKey, 1, root(1));
    Bytes badRoot =
        Bytes.wrap(
            own.toProto().toBuilder()
                .setRoot(ByteString.copyFrom(new byte[31]))
                .build()
                .toByteArray());
    Peer follower = follower(1);
    Wire liar = raw(50);
    net.connect(follower.wire(), liar);
    push(
        liar,
        follower,
        SignedValue.sign(liarKey, NET, ValueKind.SIGNED_HEAD, now(), Bytes.EMPTY, badRoot));
    assertThat(follower.scoreOf(liar)).isEqualTo(-Offence.MALFORMED_MESSAGE.penalty());

    push(
        liar,
        follower,
        SignedValue.sign(
            liarKey,
            NET,
            ValueKind.SIGNED_HEAD,
            now() + 1,
            Bytes.EMPTY,
            Bytes.wrap(new byte[] {(byte) 0xff, 0x7f})));
    assertThat(follower.scoreOf(liar)).isEqualTo(-2 * Offence.MALFORMED_MESSAGE.penalty());
    assertThat(follower.plane().size()).isZero();
  }

  @Test
  void headsNoNewerThanTheNewestAreIgnored() {
    Peer producer = peer(producerKey, HeadTrust.none());
    producer.heads().publish(SignedHead.sign(producerKey, 5, root(5)));
    net.settle();
    SignedValue five = producer.plane().get(producerKey.id(), ValueKind.SIGNED_HEAD).orElseThrow();
    SignedValue four =
        value(producerKey, five.wallclock() - 1, SignedHead.sign(producerKey, 4, root(4)));
    Peer follower = follower(1);
    net.connect(follower.wire(), producer.wire());
    assertThat(heights(follower.learned())).containsExactly(5L);

    Wire replayer = raw(50);
    net.connect(follower.wire(), replayer);
    // An older value of the producer: dropped by the store before its signature is checked.
    push(replayer, follower, four);
    // A signature-valid value of the same height with another root: equivocation, not adopted.
    net.advance(Duration.ofMillis(10));
    push(replayer, follower, value(producerKey, now(), SignedHead.sign(producerKey, 5, root(55))));
    assertThat(follower.heads().newest().orElseThrow().root()).isEqualTo(root(5));

    net.advance(Duration.ofMillis(10));
    producer.heads().publish(SignedHead.sign(producerKey, 6, root(6)));
    net.advance(Duration.ofSeconds(1));
    assertThat(heights(follower.learned())).containsExactly(5L, 6L);
    assertThat(follower.heads().stats().accepted()).isEqualTo(2);
    assertThat(follower.scoreOf(replayer)).isZero();
    assertThat(follower.plane().stats().duplicates()).isPositive();
  }

  @Test
  void headsTheStoreHasPassedAreIgnoredBeforeTheirSignatureIsChecked() {
    List<SignedHead> asked = new ArrayList<>();
    Peer follower =
        peer(
            TestNet.key(1),
            HeadTrust.producer(producerKey.id()),
            h -> {
              asked.add(h);
              return h.height() < 10;
            },
            CONFIG);
    Wire replayer = raw(50);
    net.connect(follower.wire(), replayer);
    SignedHead real = SignedHead.sign(producerKey, 10, root(10));
    long t = now();
    // A forged old head (in a value its producer signed) costs nothing: its own signature is not
    // even checked, since the store has passed its height.
    push(
        replayer,
        follower,
        value(producerKey, t, new SignedHead(producerKey.id(), 4, root(4), real.signature())));
    push(replayer, follower, value(producerKey, t + 1, SignedHead.sign(producerKey, 5, root(5))));
    push(replayer, follower, value(producerKey, t + 2, real));
    assertThat(follower.learned()).containsExactly(real);
    assertThat(heights(asked)).containsExactly(4L, 5L, 10L);
    assertThat(follower.scoreOf(replayer)).isZero();
  }

  @Test
  void aNodeTrustingARootAcceptsOnlyHeadsNamingIt() {
    Wire a = raw(50, headValue(otherKey, 9, root(9)));
    Wire b = raw(51, headValue(producerKey, 8, root(8)));
    Peer follower = peer(TestNet.key(1), HeadTrust.root(root(8)));
    net.connect(follower.wire(), a);
    net.connect(follower.wire(), b);
    assertThat(heights(follower.learned())).containsExactly(8L);
    assertThat(follower.heads().stats().foreign()).isEqualTo(1);
    assertThat(follower.heads().newest().orElseThrow().root()).isEqualTo(root(8));
  }

  @Test
  void aNodeTrustingARootTakesOneHeadButRelaysEveryValidValue() {
    Wire first = raw(50, headValue(otherKey, 8, root(8)));
    Peer follower = peer(TestNet.key(1), HeadTrust.root(root(8)));
    Peer listener = peer(TestNet.key(2), HeadTrust.none());
    net.connect(listener.wire(), follower.wire());
    net.connect(follower.wire(), first);
    assertThat(heights(follower.learned())).containsExactly(8L);

    // A stranger's key signs the trusted root at a height of its choosing: not taken; then a head
    // the follower refuses as foreign.
    NodeKey strangerKey = TestNet.key(60);
    Wire stranger = raw(60);
    net.connect(follower.wire(), stranger);
    push(stranger, follower, headValue(strangerKey, 1L << 60, root(8)));
    push(stranger, follower, headValue(TestNet.key(61), (1L << 60) + 1, root(3)));
    assertThat(follower.heads().stats().foreign()).isEqualTo(1);
    assertThat(heights(follower.learned())).containsExactly(8L);
    assertThat(follower.heads().newest().orElseThrow().height()).isEqualTo(8);

    // The plane passes both on: they are honestly signed by their origins.
    net.advance(Duration.ofSeconds(1));
    assertThat(listener.plane().get(strangerKey.id(), ValueKind.SIGNED_HEAD)).isPresent();
    assertThat(listener.plane().get(TestNet.key(61).id(), ValueKind.SIGNED_HEAD)).isPresent();
    assertThat(listener.learned()).isEmpty();
  }

  @Test
  void refusalsRememberedForLoggingAreBounded() {
    Peer follower = follower(1);
    Wire strangers = raw(50);
    net.connect(follower.wire(), strangers);
    int more = HeadExchange.MAX_REFUSALS_LOGGED + 50;
    // Each head from another producer this follower does not trust, a hundred to a push.
    List<SignedValue> batch = new ArrayList<>();
    for (int i = 0; i < more; i++) {
      batch.add(headValue(TestNet.key(1000 + i), 1, root(1)));
      if (batch.size() == 100 || i == more - 1) {
        push(strangers, follower, batch.toArray(SignedValue[]::new));
        batch.clear();
      }
    }
    assertThat(follower.heads().stats().foreign()).isEqualTo(more);
    assertThat(follower.heads().refusalsRemembered()).isEqualTo(HeadExchange.MAX_REFUSALS_LOGGED);
    assertThat(follower.scoreOf(strangers)).isZero();
  }
}
