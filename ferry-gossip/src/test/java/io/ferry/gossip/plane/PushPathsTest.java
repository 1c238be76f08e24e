package io.ferry.gossip.plane;

import static org.assertj.core.api.Assertions.assertThat;

import com.google.protobuf.ByteString;
import com.google.protobuf.InvalidProtocolBufferException;
import io.ferry.core.Bytes;
import io.ferry.core.identity.NodeId;
import io.ferry.core.identity.NodeKey;
import io.ferry.core.runtime.SeededRandomSource;
import io.ferry.gossip.value.ContactInfo;
import io.ferry.gossip.value.SignedValue;
import io.ferry.gossip.value.ValueKind;
import io.ferry.gossip.value.ValueRules;
import io.ferry.net.ProtocolHandler;
import io.ferry.net.ProtocolId;
import io.ferry.net.Responder;
import io.ferry.net.testing.TestNet;
import io.ferry.net.testing.Wire;
import io.ferry.wire.v1.GossipMessage;
import io.ferry.wire.v1.PullResponse;
import io.ferry.wire.v1.Push;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.Test;

/**
 * Which pushers a node keeps as its paths for an origin, and which it prunes: the first {@link
 * GossipPlane#PUSH_PATHS_KEPT} that push it the origin's values in a rotation, whether their push
 * brought a value first or as a duplicate. A value brings only one peer fresh, and a value taken by
 * pull brings none, so counting only fresh pushes kept one path per origin, or none at all for an
 * origin first heard of by pull: then every pusher was pruned and the origin's next values reached
 * the node only by its next pull (in a 100-node simulation, 5–7 s after publishing instead of under
 * one).
 */
class PushPathsTest {
  private static final String NET = "test";

  private final TestNet net = new TestNet();
  private final NodeKey originKey = TestNet.key(50);
  private final SignedValue value =
      SignedValue.sign(
          originKey,
          NET,
          ValueKind.CONTACT_INFO,
          net.scheduler().clock().instant().toEpochMilli(),
          Bytes.EMPTY,
          new ContactInfo("origin:1", "", NET, "test").encode());

  @AfterEach
  void closeAll() throws Exception {
    net.close();
  }

  /** The node under test, on its wire. */
  private record Node(Wire wire, GossipPlane plane) {}

  /** The node under test: the defaults, with no timed pull (only the pull on connect). */
  private Node node() {
    GossipConfig config = GossipConfig.defaults(NET).withPullInterval(Duration.ofHours(1));
    NodeKey key = TestNet.key(0);
    Wire wire = net.transport(key);
    GossipPlane plane =
        GossipPlane.start(
            wire,
            net.scheduler(),
            new SeededRandomSource(0),
            key,
            config,
            new ValueRules(NET, config.ttl(), config.maxDrift()));
    net.closeLater(plane);
    net.settle();
    return new Node(wire, plane);
  }

  /** A peer without a plane: records what it is sent and answers pulls with {@code answer}. */
  private Wire peer(int seed, List<ByteString> received, List<SignedValue> answer) {
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
            PullResponse.Builder r = PullResponse.newBuilder();
            answer.forEach(v -> r.addValues(v.toProto()));
            responder.respond(r.build().toByteString());
          }
        });
    return wire;
  }

  private void push(Wire from, NodeId to) {
    ByteString push =
        GossipMessage.newBuilder()
            .setPush(Push.newBuilder().setNetwork(NET).addValues(value.toProto()))
            .build()
            .toByteString();
    from.send(to, ProtocolId.GOSSIP, push);
    net.settle();
  }

  /** Whether any message in {@code received} prunes the origin. */
  private boolean prunedTheOrigin(List<ByteString> received) throws InvalidProtocolBufferException {
    ByteString origin = ByteString.copyFrom(originKey.id().publicKey());
    for (ByteString m : received) {
      GossipMessage message = GossipMessage.parseFrom(m);
      if (message.hasPrune() && message.getPrune().getOriginsList().contains(origin)) {
        return true;
      }
    }
    return false;
  }

  /** Connects {@code count} pushers to {@code node}; each pushes the value once, in turn. */
  private List<List<ByteString>> pushers(Node node, int firstSeed, int count) {
    List<List<ByteString>> received = new ArrayList<>();
    for (int seed = firstSeed; seed < firstSeed + count; seed++) {
      List<ByteString> got = new ArrayList<>();
      received.add(got);
      Wire pusher = peer(seed, got, List.of());
      net.connect(pusher, node.wire());
      push(pusher, node.wire().localId());
    }
    net.advance(GossipConfig.DEFAULT_PUSH_INTERVAL); // prunes go out with the next flush
    return received;
  }

  @Test
  void aNodeThatHadAnOriginsValueByPullKeepsItsFirstTwoPushersAndPrunesTheRest() throws Exception {
    Node node = node();
    net.connect(peer(1, new ArrayList<>(), List.of(value)), node.wire());
    assertThat(node.plane().values(ValueKind.CONTACT_INFO))
        .as("taken by the pull at connect")
        .containsExactly(value);

    List<List<ByteString>> received = pushers(node, 2, 3);

    assertThat(node.plane().stats().duplicates()).isEqualTo(3);
    assertThat(prunedTheOrigin(received.get(0))).as("first pusher: a path").isFalse();
    assertThat(prunedTheOrigin(received.get(1))).as("second pusher: a path").isFalse();
    assertThat(prunedTheOrigin(received.get(2))).as("third pusher: redundant").isTrue();
  }

  @Test
  void theFirstDuplicatePusherIsTheSecondPathBesideTheOneThatBroughtTheValue() throws Exception {
    Node node = node();
    List<List<ByteString>> received = pushers(node, 2, 3);

    assertThat(node.plane().values(ValueKind.CONTACT_INFO)).containsExactly(value);
    assertThat(node.plane().stats().duplicates()).isEqualTo(2);
    assertThat(prunedTheOrigin(received.get(0))).as("brought it: a path").isFalse();
    assertThat(prunedTheOrigin(received.get(1))).as("first duplicate: a path").isFalse();
    assertThat(prunedTheOrigin(received.get(2))).as("second duplicate: redundant").isTrue();
  }
}
