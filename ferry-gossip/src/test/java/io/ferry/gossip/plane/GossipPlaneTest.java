package io.ferry.gossip.plane;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;
import static org.awaitility.Awaitility.await;

import com.google.protobuf.ByteString;
import com.google.protobuf.UnknownFieldSet;
import io.ferry.core.Bytes;
import io.ferry.core.ErrorCode;
import io.ferry.core.Hash;
import io.ferry.core.Limits;
import io.ferry.core.archive.SnapshotHashes;
import io.ferry.core.identity.NodeId;
import io.ferry.core.identity.NodeKey;
import io.ferry.core.runtime.ManualClock;
import io.ferry.core.runtime.SeededRandomSource;
import io.ferry.gossip.head.HeadExchange;
import io.ferry.gossip.value.ContactInfo;
import io.ferry.gossip.value.SignedValue;
import io.ferry.gossip.value.SnapshotHashesCodec;
import io.ferry.gossip.value.ValueKind;
import io.ferry.gossip.value.ValueRules;
import io.ferry.net.ProtocolHandler;
import io.ferry.net.ProtocolId;
import io.ferry.net.Responder;
import io.ferry.net.TransportException;
import io.ferry.net.peers.Offence;
import io.ferry.net.testing.TestNet;
import io.ferry.net.testing.Wire;
import io.ferry.wire.v1.BloomFilter;
import io.ferry.wire.v1.GossipMessage;
import io.ferry.wire.v1.GossipRequest;
import io.ferry.wire.v1.Prune;
import io.ferry.wire.v1.PullRequest;
import io.ferry.wire.v1.PullResponse;
import io.ferry.wire.v1.Push;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.ExecutionException;
import java.util.concurrent.TimeUnit;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.Test;

/**
 * The gossip plane between real nodes on in-memory transports, deterministic: every node's protocol
 * code runs on one virtual-time scheduler and frames are handled in the order they were sent
 * ({@link TestNet}); keys and random streams come from fixed seeds.
 */
class GossipPlaneTest {
  private static final String NET = "test";
  private static final Duration NEVER = Duration.ofHours(1);

  private final TestNet net = new TestNet();

  /** One honest node. */
  private record Node(NodeKey key, Wire wire, GossipPlane plane) {
    NodeId id() {
      return key.id();
    }

    boolean holds(SignedValue v) {
      return plane.values(v.kind()).contains(v);
    }
  }

  @AfterEach
  void closeAll() throws Exception {
    net.close();
  }

  /** The defaults, without timed pulls: only pushes (and the pull on connect) move values. */
  private static GossipConfig pushOnly() {
    return GossipConfig.defaults(NET).withPullInterval(NEVER);
  }

  private static ValueRules rules(GossipConfig config) {
    return new ValueRules(config.network(), config.ttl(), config.maxDrift())
        .with(ValueKind.SIGNED_HEAD, HeadExchange.PAYLOAD_RULE);
  }

  private Node node(int seed, GossipConfig config) {
    return node(net, seed, config);
  }

  private static Node node(TestNet net, int seed, GossipConfig config) {
    NodeKey key = TestNet.key(seed);
    Wire wire = net.transport(key);
    GossipPlane plane =
        GossipPlane.start(
            wire, net.scheduler(), new SeededRandomSource(seed), key, config, rules(config));
    net.closeLater(plane);
    net.settle();
    return new Node(key, wire, plane);
  }

  private List<Node> nodes(int count, GossipConfig config) {
    List<Node> out = new ArrayList<>();
    for (int i = 0; i < count; i++) {
      out.add(node(i, config));
    }
    return out;
  }

  private void line(List<Node> nodes) {
    for (int i = 0; i + 1 < nodes.size(); i++) {
      net.connect(nodes.get(i).wire(), nodes.get(i + 1).wire());
    }
  }

  private static Bytes contact(int n, String network) {
    return new ContactInfo("node" + n + ":1", "", network, "test").encode();
  }

  private static Bytes snapshots(long full) {
    return SnapshotHashesCodec.encode(
        new SnapshotHashes(new SnapshotHashes.Slot(full, hash(full)), List.of()));
  }

  private static Hash hash(long n) {
    byte[] b = new byte[32];
    b[0] = (byte) n;
    b[1] = (byte) (n >> 8);
    b[31] = 7;
    return Hash.of(b);
  }

  /** Calendar milliseconds now, as values carry them. */
  private long now() {
    return net.scheduler().clock().instant().toEpochMilli();
  }

  private SignedValue signed(NodeKey key, long wallclock, Bytes payload) {
    return SignedValue.sign(key, NET, ValueKind.CONTACT_INFO, wallclock, Bytes.EMPTY, payload);
  }

  /** A node without a plane: it sends what a test makes it send and answers pulls with nothing. */
  private Wire raw(int seed, List<ByteString> received) {
    Wire wire = net.transport(TestNet.key(seed));
    wire.register(
        ProtocolId.GOSSIP,
        new ProtocolHandler() {
          @Override
          public void onMessage(NodeId from, ByteString payload) {
            received.add(payload);
          }

          @Override
          public void onRequest(NodeId from, ByteString payload, Responder responder) {
            responder.respond(PullResponse.getDefaultInstance().toByteString());
          }
        });
    return wire;
  }

  private static ByteString push(String network, SignedValue... values) {
    Push.Builder push = Push.newBuilder().setNetwork(network);
    for (SignedValue v : values) {
      push.addValues(v.toProto());
    }
    return GossipMessage.newBuilder().setPush(push).build().toByteString();
  }

  private static int score(Node at, Wire peer) {
    return at.wire().peerManager().standing(peer.localId()).score();
  }

  private static SignedValue own(Node n, ValueKind kind) {
    return n.plane().get(n.id(), kind).orElseThrow();
  }

  // ------------------------------------------------------------------ spreading

  @Test
  void aValuePublishedOnOneNodeReachesEveryNodeOfALineByPush() {
    List<Node> line = nodes(10, pushOnly());
    line(line);
    long pullsBefore = line.stream().mapToLong(n -> n.plane().stats().pulls()).sum();
    List<SignedValue> heardAtTheEnd = new ArrayList<>();
    List<NodeId> heardFrom = new ArrayList<>();
    line.getLast()
        .plane()
        .subscribe(
            ValueKind.CONTACT_INFO,
            (v, from) -> {
              heardAtTheEnd.add(v);
              heardFrom.add(from);
            });

    line.getFirst().plane().publish(ValueKind.CONTACT_INFO, contact(0, NET));
    // Nine hops, each at most one push interval.
    net.advance(GossipConfig.DEFAULT_PUSH_INTERVAL.multipliedBy(10));

    SignedValue v = own(line.getFirst(), ValueKind.CONTACT_INFO);
    assertThat(line).allSatisfy(n -> assertThat(n.holds(v)).isTrue());
    assertThat(heardAtTheEnd).containsExactly(v);
    assertThat(heardFrom).containsExactly(line.get(8).id());
    // No timed pull ran: push alone carried it.
    assertThat(line.stream().mapToLong(n -> n.plane().stats().pulls()).sum())
        .isEqualTo(pullsBefore);
  }

  @Test
  void everyNodeOfARingLearnsEveryOthersValuesByPush() {
    List<Node> ring = nodes(10, pushOnly().withFanout(2));
    line(ring);
    net.connect(ring.getLast().wire(), ring.getFirst().wire());
    for (int i = 0; i < ring.size(); i++) {
      ring.get(i).plane().publish(ValueKind.CONTACT_INFO, contact(i, NET));
      ring.get(i).plane().publish(ValueKind.SNAPSHOT_HASHES, snapshots(100 + i));
    }
    net.advance(Duration.ofSeconds(2));

    for (Node n : ring) {
      assertThat(n.plane().values(ValueKind.CONTACT_INFO)).hasSize(10);
      assertThat(n.plane().values(ValueKind.SNAPSHOT_HASHES)).hasSize(10);
      assertThat(n.plane().size()).isEqualTo(20);
    }
  }

  @Test
  void aRunReplaysExactly() {
    assertThat(replayable()).isEqualTo(replayable());
  }

  /**
   * Eight nodes, each with four peers of which it pushes to two chosen at random, publishing,
   * pulling and pruning for ten seconds: what each sent, and the order it stored values in.
   */
  private static List<String> replayable() {
    try (TestNet n = new TestNet()) {
      GossipConfig config = GossipConfig.defaults(NET).withFanout(2);
      List<Node> nodes = new ArrayList<>();
      for (int i = 0; i < 8; i++) {
        nodes.add(node(n, i, config));
      }
      for (int i = 0; i < nodes.size(); i++) {
        n.connect(nodes.get(i).wire(), nodes.get((i + 1) % 8).wire());
        n.connect(nodes.get(i).wire(), nodes.get((i + 3) % 8).wire());
      }
      for (int i = 0; i < nodes.size(); i++) {
        nodes.get(i).plane().publish(ValueKind.CONTACT_INFO, contact(i, NET));
        n.advance(Duration.ofMillis(30));
        nodes.get(i).plane().publish(ValueKind.SNAPSHOT_HASHES, snapshots(i));
      }
      n.advance(Duration.ofSeconds(10));
      List<String> out = new ArrayList<>();
      for (Node node : nodes) {
        assertThat(node.plane().size()).isEqualTo(16);
        List<String> order = new ArrayList<>();
        for (ValueKind kind : List.of(ValueKind.CONTACT_INFO, ValueKind.SNAPSHOT_HASHES)) {
          node.plane().values(kind).forEach(v -> order.add(v.hash().toHex().substring(0, 8)));
        }
        out.add(node.plane().stats() + " " + order);
      }
      return out;
    }
  }

  @Test
  void aNodeThatConnectsLateGetsEverythingByPullAndAPullBringsOnlyWhatItLacks() {
    GossipConfig config = GossipConfig.defaults(NET);
    List<Node> line = nodes(5, config);
    line(line);
    for (int i = 0; i < line.size(); i++) {
      line.get(i).plane().publish(ValueKind.CONTACT_INFO, contact(i, NET));
      line.get(i).plane().publish(ValueKind.SNAPSHOT_HASHES, snapshots(i));
    }
    net.advance(Duration.ofSeconds(1));
    assertThat(line).allSatisfy(n -> assertThat(n.plane().size()).isEqualTo(10));

    Node late = node(5, config);
    late.plane().publish(ValueKind.CONTACT_INFO, contact(5, NET));
    net.settle();
    assertThat(late.plane().size()).isEqualTo(1);
    // Values are pushed only when new, so only the pull on connect can bring the old ones.
    net.connect(late.wire(), line.get(2).wire());

    assertThat(late.plane().size()).isEqualTo(11);
    assertThat(late.plane().stats().pulls()).isEqualTo(1);
    assertThat(late.plane().stats().taken()).isEqualTo(10);
    // The late node's filter held its own value, so the answer did not bring it back. One value
    // came twice: the contact info the dialled node's own pull request carried, which was not in
    // the filter the late node had sent before it.
    assertThat(late.plane().stats().duplicates()).isEqualTo(1);
    // The node it dialled pulled from it in turn, and pushes the newcomer on.
    net.advance(Duration.ofSeconds(1));
    SignedValue newcomer = own(late, ValueKind.CONTACT_INFO);
    assertThat(line).allSatisfy(n -> assertThat(n.holds(newcomer)).isTrue());

    // Later pulls find nothing missing: their answers carry nothing it holds.
    long pulls = late.plane().stats().pulls();
    net.advance(config.pullInterval().multipliedBy(5));
    assertThat(late.plane().stats().pulls()).isGreaterThan(pulls);
    assertThat(late.plane().stats().duplicates()).isEqualTo(1);
    assertThat(late.plane().size()).isEqualTo(11);
  }

  @Test
  void prunesCutRedundantPushesWhileEveryNodeStillGetsEveryValue() {
    // Six nodes, all connected, each pushing to all others: at first every relay is redundant.
    List<Node> mesh = nodes(6, pushOnly().withFanout(5));
    for (int i = 0; i < mesh.size(); i++) {
      for (int j = i + 1; j < mesh.size(); j++) {
        net.connect(mesh.get(i).wire(), mesh.get(j).wire());
      }
    }
    Node origin = mesh.getFirst();
    List<Long> duplicatesPerRound = new ArrayList<>();
    long before = 0;
    for (int round = 0; round < 4; round++) {
      origin.plane().publish(ValueKind.SNAPSHOT_HASHES, snapshots(round));
      net.advance(Duration.ofSeconds(1));
      SignedValue v = own(origin, ValueKind.SNAPSHOT_HASHES);
      assertThat(mesh).allSatisfy(n -> assertThat(n.holds(v)).isTrue());
      long duplicates = mesh.stream().mapToLong(n -> n.plane().stats().duplicates()).sum();
      duplicatesPerRound.add(duplicates - before);
      before = duplicates;
    }

    // Round one: each of five receivers relays to the four others, which held it already.
    assertThat(duplicatesPerRound.getFirst()).isEqualTo(20);
    assertThat(mesh.stream().mapToLong(n -> n.plane().stats().pruned()).sum()).isPositive();
    // Then the relays have been pruned but one per receiver: each keeps two paths (the origin's
    // own push and the first relay's), so a round costs five duplicates, not twenty.
    assertThat(duplicatesPerRound.subList(1, 4)).containsOnly(5L);
  }

  @Test
  void aPruneOfTooManyOriginsOrOfABadOneIsMalformed() {
    Node a = node(0, pushOnly());
    Wire peer = raw(9, new ArrayList<>());
    net.connect(peer, a.wire());
    // A prune counts only from a peer a pushes to: its active set is filled at the next flush.
    net.advance(GossipConfig.DEFAULT_PUSH_INTERVAL);
    Prune.Builder atLimit = Prune.newBuilder();
    for (int i = 0; i < Limits.MAX_GOSSIP_PRUNE_ORIGINS; i++) {
      atLimit.addOrigins(ByteString.copyFrom(TestNet.key(100 + i).id().publicKey()));
    }
    peer.send(a.id(), ProtocolId.GOSSIP, prune(atLimit));
    net.settle();
    assertThat(a.plane().stats().pruned()).isEqualTo(Limits.MAX_GOSSIP_PRUNE_ORIGINS);
    assertThat(score(a, peer)).isZero();

    Prune.Builder tooMany =
        atLimit.addOrigins(ByteString.copyFrom(TestNet.key(99).id().publicKey()));
    peer.send(a.id(), ProtocolId.GOSSIP, prune(tooMany));
    net.settle();
    assertThat(score(a, peer)).isEqualTo(-Offence.MALFORMED_MESSAGE.penalty());

    peer.send(
        a.id(),
        ProtocolId.GOSSIP,
        prune(Prune.newBuilder().addOrigins(ByteString.copyFrom(new byte[NodeId.LENGTH - 1]))));
    net.settle();
    assertThat(score(a, peer)).isEqualTo(-2 * Offence.MALFORMED_MESSAGE.penalty());
    assertThat(a.plane().stats().pruned()).isEqualTo(Limits.MAX_GOSSIP_PRUNE_ORIGINS);
  }

  private static ByteString prune(Prune.Builder prune) {
    return GossipMessage.newBuilder().setPrune(prune).build().toByteString();
  }

  @Test
  void subscribersHearOfValuesFromPeersButNotOfTheirOwn() {
    List<Node> pair = nodes(2, pushOnly());
    line(pair);
    List<SignedValue> heard = new ArrayList<>();
    pair.getFirst().plane().subscribe(ValueKind.CONTACT_INFO, (v, from) -> heard.add(v));

    pair.getFirst().plane().publish(ValueKind.CONTACT_INFO, contact(0, NET));
    pair.get(1).plane().publish(ValueKind.CONTACT_INFO, contact(1, NET));
    net.advance(Duration.ofSeconds(1));

    assertThat(heard).containsExactly(own(pair.get(1), ValueKind.CONTACT_INFO));
  }

  // ------------------------------------------------------------------ lifetime

  @Test
  void valuesCarryCalendarTime() {
    Node a = node(0, pushOnly());
    net.advance(Duration.ofSeconds(3));
    a.plane().publish(ValueKind.CONTACT_INFO, contact(0, NET));
    net.settle();
    long wallclock = own(a, ValueKind.CONTACT_INFO).wallclock();
    assertThat(wallclock).isEqualTo(ManualClock.EPOCH.toEpochMilli() + 3_000);
  }

  @Test
  void aValueSignedAtCalendarTimeByAPeerIsTaken() {
    Node a = node(0, pushOnly());
    List<ByteString> ignored = new ArrayList<>();
    Wire peer = raw(1, ignored);
    net.connect(peer, a.wire());
    SignedValue v = signed(TestNet.key(1), now(), contact(1, NET));
    peer.send(a.id(), ProtocolId.GOSSIP, push(NET, v));
    net.settle();
    assertThat(a.holds(v)).isTrue();
    assertThat(a.plane().stats().offences()).isZero();
  }

  @Test
  void ownValuesAreRefreshedBeforeTheyExpireAndOthersExpireWhenTheirOriginStops() {
    GossipConfig config = pushOnly().withLifetime(Duration.ofSeconds(60), Duration.ofSeconds(20));
    List<Node> pair = nodes(2, config);
    line(pair);
    Node a = pair.getFirst();
    Node b = pair.get(1);
    a.plane().publish(ValueKind.CONTACT_INFO, contact(0, NET));
    net.advance(Duration.ofSeconds(1));
    long first = own(a, ValueKind.CONTACT_INFO).wallclock();
    assertThat(b.plane().get(a.id(), ValueKind.CONTACT_INFO)).isPresent();

    // Three lifetimes later it is still there, signed again with a newer wallclock.
    net.advance(Duration.ofSeconds(180));
    SignedValue refreshed = b.plane().get(a.id(), ValueKind.CONTACT_INFO).orElseThrow();
    assertThat(refreshed.wallclock()).isGreaterThan(first + 150_000);
    assertThat(refreshed.payload()).isEqualTo(contact(0, NET));
    assertThat(refreshed).isEqualTo(own(a, ValueKind.CONTACT_INFO));

    // Its origin stops: once the last value it signed has lived out its time, it is gone.
    a.plane().close();
    net.advance(Duration.ofSeconds(59));
    assertThat(b.plane().get(a.id(), ValueKind.CONTACT_INFO)).isPresent();
    net.advance(Duration.ofSeconds(2));
    assertThat(b.plane().get(a.id(), ValueKind.CONTACT_INFO)).isEmpty();
    assertThat(b.plane().size()).isZero();
  }

  @Test
  void anExpiredValueIsIgnoredWithoutPenalty() {
    Node a = node(0, pushOnly());
    Wire peer = raw(1, new ArrayList<>());
    net.connect(peer, a.wire());
    net.advance(Duration.ofMinutes(20));
    long old = now() - GossipConfig.DEFAULT_TTL.toMillis() - 1;
    peer.send(a.id(), ProtocolId.GOSSIP, push(NET, signed(TestNet.key(1), old, contact(1, NET))));
    net.settle();
    assertThat(a.plane().size()).isZero();
    assertThat(a.plane().stats().refused()).isEqualTo(1);
    assertThat(a.plane().stats().offences()).isZero();
    assertThat(score(a, peer)).isZero();
  }

  // ------------------------------------------------------------------ bad peers

  @Test
  void aPeerPushingABadSignatureIsReportedThenBannedAndItsValueGoesNowhere() {
    List<Node> pair = nodes(2, pushOnly());
    line(pair);
    Node a = pair.getFirst();
    Node b = pair.get(1);
    Wire liar = raw(9, new ArrayList<>());
    net.connect(liar, a.wire());

    SignedValue real = signed(TestNet.key(9), now(), contact(9, NET));
    byte[] sig = real.signature().toByteArray();
    sig[5] ^= 1;
    SignedValue forged =
        new SignedValue(
            real.origin(),
            real.kind(),
            real.wallclock(),
            real.index(),
            real.payload(),
            Bytes.wrap(sig));
    liar.send(a.id(), ProtocolId.GOSSIP, push(NET, forged));
    net.advance(Duration.ofSeconds(1));

    assertThat(a.plane().size()).isZero();
    assertThat(b.plane().size()).isZero();
    assertThat(a.plane().stats().offences()).isEqualTo(1);
    assertThat(score(a, liar)).isEqualTo(-Offence.INVALID_PROOF.penalty());

    // A second lie gets the liar banned and dropped.
    SignedValue another =
        new SignedValue(
            real.origin(),
            real.kind(),
            real.wallclock() + 1,
            real.index(),
            real.payload(),
            Bytes.wrap(sig));
    liar.send(a.id(), ProtocolId.GOSSIP, push(NET, another));
    net.settle();
    assertThat(a.wire().peerManager().isBanned(liar.localId())).isTrue();
    await().until(() -> !a.wire().isConnected(liar.localId()));
    net.advance(Duration.ofSeconds(1));
    assertThat(a.plane().size()).isZero();
    assertThat(b.plane().size()).isZero();
  }

  @Test
  void theRestOfAPushIsDroppedAfterABadValue() {
    Node a = node(0, pushOnly());
    Wire liar = raw(9, new ArrayList<>());
    net.connect(liar, a.wire());
    SignedValue good = signed(TestNet.key(9), now(), contact(9, NET));
    SignedValue foreign = signed(TestNet.key(9), now(), contact(9, "other"));
    SignedValue goodToo = signed(TestNet.key(8), now(), contact(8, NET));
    liar.send(a.id(), ProtocolId.GOSSIP, push(NET, good, foreign, goodToo));
    net.settle();
    // The contact info naming another network breaks its kind's rule: malformed.
    assertThat(a.holds(good)).isTrue();
    assertThat(a.holds(goodToo)).isFalse();
    assertThat(score(a, liar)).isEqualTo(-Offence.MALFORMED_MESSAGE.penalty());
  }

  @Test
  void aValueFromTheFutureIsRefusedAsAViolation() {
    Node a = node(0, pushOnly());
    Wire liar = raw(9, new ArrayList<>());
    net.connect(liar, a.wire());
    long drift = GossipConfig.DEFAULT_MAX_DRIFT.toMillis();

    SignedValue ahead = signed(TestNet.key(9), now() + drift + 1_000, contact(9, NET));
    liar.send(a.id(), ProtocolId.GOSSIP, push(NET, ahead));
    net.settle();
    assertThat(a.plane().size()).isZero();
    assertThat(score(a, liar)).isEqualTo(-Offence.PROTOCOL_VIOLATION.penalty());

    // Within the drift, a clock a little ahead is honest.
    SignedValue aLittleAhead = signed(TestNet.key(9), now() + drift - 1_000, contact(9, NET));
    liar.send(a.id(), ProtocolId.GOSSIP, push(NET, aLittleAhead));
    net.settle();
    assertThat(a.holds(aLittleAhead)).isTrue();
  }

  @Test
  void aPeerOfAnotherNetworkIsRefusedAndDisconnectedAndNoValueCrosses() {
    Node a = node(0, pushOnly());
    GossipConfig otherConfig = GossipConfig.defaults("other").withPullInterval(NEVER);
    Node x = node(1, otherConfig);
    a.plane().publish(ValueKind.CONTACT_INFO, contact(0, NET));
    x.plane().publish(ValueKind.CONTACT_INFO, contact(1, "other"));
    net.settle();

    net.connect(x.wire(), a.wire());
    await().until(() -> a.wire().peers().isEmpty() && x.wire().peers().isEmpty());
    net.advance(Duration.ofSeconds(1));

    assertThat(a.plane().size()).isEqualTo(1);
    assertThat(x.plane().size()).isEqualTo(1);
    assertThat(a.plane().stats().taken()).isZero();
    assertThat(x.plane().stats().taken()).isZero();
    assertThat(score(a, x.wire())).isNegative();
  }

  @Test
  void aPushNamingAnotherNetworkDisconnectsItsSender() {
    Node a = node(0, pushOnly());
    Wire stranger = raw(9, new ArrayList<>());
    net.connect(stranger, a.wire());
    stranger.send(
        a.id(), ProtocolId.GOSSIP, push("other", signed(TestNet.key(9), now(), contact(9, NET))));
    net.settle();
    await().until(() -> !a.wire().isConnected(stranger.localId()));
    assertThat(a.plane().size()).isZero();
    assertThat(score(a, stranger)).isEqualTo(-Offence.PROTOCOL_VIOLATION.penalty());
  }

  @Test
  void oversizedMessagesAreRefusedBeforeTheyAreDecoded() throws Exception {
    Node a = node(0, pushOnly());
    Wire peer = raw(9, new ArrayList<>());
    net.connect(peer, a.wire());

    // A well-formed push of a valid value, padded past the limit with a field no one knows: were
    // it decoded, the value would be taken.
    SignedValue v = signed(TestNet.key(9), now(), contact(9, NET));
    GossipMessage padded =
        GossipMessage.newBuilder()
            .setPush(Push.newBuilder().setNetwork(NET).addValues(v.toProto()))
            .setUnknownFields(
                UnknownFieldSet.newBuilder()
                    .addField(
                        99,
                        UnknownFieldSet.Field.newBuilder()
                            .addLengthDelimited(
                                ByteString.copyFrom(new byte[Limits.MAX_GOSSIP_MESSAGE_BYTES]))
                            .build())
                    .build())
            .build();
    assertThat(GossipMessage.parseFrom(padded.toByteString()).getPush().getValuesCount())
        .isEqualTo(1);
    peer.send(a.id(), ProtocolId.GOSSIP, padded.toByteString());
    net.settle();
    assertThat(a.plane().size()).isZero();
    assertThat(score(a, peer)).isEqualTo(-Offence.MALFORMED_MESSAGE.penalty());

    // A request over the limit gets a typed error.
    CompletableFuture<ByteString> answer =
        peer.request(
            a.id(),
            ProtocolId.GOSSIP,
            ByteString.copyFrom(new byte[Limits.MAX_GOSSIP_MESSAGE_BYTES + 1]),
            Duration.ofSeconds(5));
    net.settle();
    assertRemoteError(answer, ErrorCode.LIMIT_EXCEEDED);
  }

  @Test
  void garbageIsMalformedAndAnUnknownRequestIsUnsupported() throws Exception {
    Node a = node(0, pushOnly());
    Wire peer = raw(9, new ArrayList<>());
    net.connect(peer, a.wire());

    peer.send(a.id(), ProtocolId.GOSSIP, ByteString.copyFrom(new byte[] {(byte) 0xff, 0x7f}));
    net.settle();
    assertThat(score(a, peer)).isEqualTo(-Offence.MALFORMED_MESSAGE.penalty());

    CompletableFuture<ByteString> garbage =
        peer.request(
            a.id(),
            ProtocolId.GOSSIP,
            ByteString.copyFrom(new byte[] {(byte) 0xff, 0x7f}),
            Duration.ofSeconds(5));
    CompletableFuture<ByteString> empty =
        peer.request(a.id(), ProtocolId.GOSSIP, ByteString.EMPTY, Duration.ofSeconds(5));
    net.settle();
    assertRemoteError(garbage, ErrorCode.INVALID_ENCODING);
    // An empty request names no kind this node knows: perhaps a newer peer's, so no offence.
    assertRemoteError(empty, ErrorCode.UNSUPPORTED);
    assertThat(score(a, peer)).isEqualTo(-2 * Offence.MALFORMED_MESSAGE.penalty());
  }

  @Test
  void aPullRequestWithAnImpossibleMaskOrFilterIsRefused() throws Exception {
    Node a = node(0, pushOnly());
    BloomFilter filter = io.ferry.gossip.store.BloomFilter.forItems(1, 0.1, 1).toProto();
    BloomFilter tooBig =
        filter.toBuilder().setNumBits(Limits.MAX_BLOOM_FILTER_BYTES * 8 + 64).build();
    // mask_bits is a uint32: 2^32 - 1 arrives as -1. Each request from a peer of its own, since
    // each costs its sender.
    List<PullRequest.Builder> bad =
        List.of(
            PullRequest.newBuilder().setFilter(filter).setMaskBits(33),
            PullRequest.newBuilder().setFilter(filter).setMaskBits(-1),
            PullRequest.newBuilder().setFilter(tooBig));
    int seed = 10;
    for (PullRequest.Builder request : bad) {
      Wire peer = raw(seed++, new ArrayList<>());
      net.connect(peer, a.wire());
      CompletableFuture<ByteString> answer =
          peer.request(a.id(), ProtocolId.GOSSIP, pullRequest(request), Duration.ofSeconds(5));
      net.settle();
      assertRemoteError(answer, ErrorCode.LIMIT_EXCEEDED);
      assertThat(score(a, peer)).isEqualTo(-Offence.MALFORMED_MESSAGE.penalty());
    }
  }

  @Test
  void aPullRequestOfAnotherNetworkIsRefusedAndItsSenderDisconnected() {
    Node a = node(0, pushOnly());
    a.plane().publish(ValueKind.CONTACT_INFO, contact(0, NET));
    Wire peer = raw(9, new ArrayList<>());
    net.connect(peer, a.wire());
    CompletableFuture<ByteString> answer =
        peer.request(
            a.id(),
            ProtocolId.GOSSIP,
            GossipRequest.newBuilder()
                .setPullRequest(
                    PullRequest.newBuilder()
                        .setNetwork("other")
                        .setFilter(io.ferry.gossip.store.BloomFilter.forItems(1, 0.1, 1).toProto()))
                .build()
                .toByteString(),
            Duration.ofSeconds(5));
    net.settle();
    // Disconnected first, so the typed refusal may or may not make it: no value does.
    assertThatThrownBy(() -> answer.get(5, TimeUnit.SECONDS))
        .isInstanceOf(ExecutionException.class);
    await().until(() -> !a.wire().isConnected(peer.localId()));
    assertThat(score(a, peer)).isEqualTo(-Offence.PROTOCOL_VIOLATION.penalty());
  }

  private static ByteString pullRequest(PullRequest.Builder request) {
    return GossipRequest.newBuilder()
        .setPullRequest(request.setNetwork(NET))
        .build()
        .toByteString();
  }

  private static void assertRemoteError(CompletableFuture<ByteString> answer, ErrorCode code) {
    assertThatThrownBy(() -> answer.get(5, TimeUnit.SECONDS))
        .isInstanceOf(ExecutionException.class)
        .cause()
        .isInstanceOfSatisfying(
            TransportException.class,
            e -> {
              assertThat(e.failure()).isEqualTo(TransportException.Failure.REMOTE);
              assertThat(e.code()).isEqualTo(code);
            });
  }

  @Test
  void aValueOfAKindThisNodeDoesNotKnowCostsNothing() {
    Node a = node(0, pushOnly());
    Wire newer = raw(9, new ArrayList<>());
    net.connect(newer, a.wire());
    // A kind a newer node may add: its number means nothing here.
    SignedValue known = signed(TestNet.key(9), now(), contact(9, NET));
    io.ferry.wire.v1.SignedValue unknown = known.toProto().toBuilder().setKindValue(99).build();
    Push push =
        Push.newBuilder().setNetwork(NET).addValues(unknown).addValues(known.toProto()).build();
    newer.send(
        a.id(), ProtocolId.GOSSIP, GossipMessage.newBuilder().setPush(push).build().toByteString());
    net.settle();
    assertThat(a.holds(known)).isTrue();
    assertThat(a.plane().size()).isEqualTo(1);
    assertThat(score(a, newer)).isZero();
  }

  @Test
  void aPeerSendingFasterThanItsRateIsCutOff() {
    Node a = node(0, pushOnly());
    Wire flooder = raw(9, new ArrayList<>());
    net.connect(flooder, a.wire());
    NodeKey key = TestNet.key(9);
    int sent = 400;
    // Each message a value newer than the last: every one that is read is taken.
    long base = now();
    for (int i = 0; i < sent; i++) {
      flooder.send(a.id(), ProtocolId.GOSSIP, push(NET, signed(key, base + i, contact(9, NET))));
    }
    net.settle();
    // No time passed: one burst is read, the rest dropped before they are decoded.
    assertThat(a.plane().stats().taken()).isEqualTo(Limits.MAX_GOSSIP_MESSAGE_BURST);

    net.advance(Duration.ofSeconds(1));
    base = now();
    for (int i = 0; i < sent; i++) {
      flooder.send(a.id(), ProtocolId.GOSSIP, push(NET, signed(key, base + i, contact(9, NET))));
    }
    net.settle();
    // A second later the bucket has refilled by one second's rate, and no more.
    assertThat(a.plane().stats().taken())
        .isEqualTo(
            Limits.MAX_GOSSIP_MESSAGE_BURST + Limits.MAX_GOSSIP_MESSAGES_PER_PEER_PER_SECOND);
    assertThat(score(a, flooder)).isZero();
  }

  @Test
  void aStaleValueOfItsOwnKeyFromBeforeARestartExpiresLikeAnyOther() throws Exception {
    GossipConfig config = pushOnly().withLifetime(Duration.ofSeconds(60), Duration.ofSeconds(20));
    Node a = node(0, config);
    Node b = node(1, config);
    net.connect(a.wire(), b.wire());
    a.plane().publish(ValueKind.CONTACT_INFO, contact(0, NET));
    a.plane().publish(ValueKind.SNAPSHOT_HASHES, snapshots(1));
    net.advance(Duration.ofSeconds(1));
    assertThat(b.plane().size()).isEqualTo(2);

    // A restarts, and no longer has snapshots to advertise.
    a.plane().close();
    a.wire().close();
    await().until(() -> b.wire().peers().isEmpty());
    Wire again = net.transport(a.key());
    GossipPlane restarted =
        GossipPlane.start(
            again, net.scheduler(), new SeededRandomSource(10), a.key(), config, rules(config));
    net.closeLater(restarted);
    restarted.publish(ValueKind.CONTACT_INFO, contact(0, NET));
    net.connect(again, b.wire());
    // It pulled its old snapshot hashes back from b.
    assertThat(restarted.get(a.id(), ValueKind.SNAPSHOT_HASHES)).isPresent();

    net.advance(Duration.ofSeconds(90));
    assertThat(restarted.get(a.id(), ValueKind.SNAPSHOT_HASHES)).isEmpty();
    assertThat(b.plane().get(a.id(), ValueKind.SNAPSHOT_HASHES)).isEmpty();
    assertThat(restarted.get(a.id(), ValueKind.CONTACT_INFO)).isPresent();
    assertThat(b.plane().get(a.id(), ValueKind.CONTACT_INFO)).isPresent();
  }
}
