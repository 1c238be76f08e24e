package io.ferry.gossip.discovery;

import static org.assertj.core.api.Assertions.assertThat;
import static org.awaitility.Awaitility.await;

import io.ferry.core.identity.NodeId;
import io.ferry.core.identity.NodeKey;
import io.ferry.core.runtime.ManualScheduler;
import io.ferry.core.runtime.SeededRandomSource;
import io.ferry.gossip.plane.GossipConfig;
import io.ferry.gossip.plane.GossipPlane;
import io.ferry.gossip.value.ContactInfo;
import io.ferry.gossip.value.ValueKind;
import io.ferry.gossip.value.ValueRules;
import io.ferry.net.PeerAddress;
import io.ferry.net.TransportConfig;
import io.ferry.net.memory.MemoryNetwork;
import io.ferry.net.memory.MemoryTransport;
import io.ferry.net.peers.Backoff;
import io.ferry.net.peers.PeerManager;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.Set;
import java.util.TreeSet;
import java.util.concurrent.TimeUnit;
import java.util.function.BooleanSupplier;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;

/**
 * Discovery over in-memory transports, with every node's gossip and discovery on one {@link
 * ManualScheduler}: virtual time moves in steps of {@link #STEP} while the transports' threads
 * carry the frames.
 */
@Timeout(120)
class DiscoveryTest {
  private static final String NETWORK = "test";
  private static final Duration STEP = Duration.ofMillis(100);
  private static final DiscoveryConfig CONFIG =
      new DiscoveryConfig(
          8,
          new Backoff(Duration.ofMillis(200), Duration.ofSeconds(5)),
          3,
          Duration.ofSeconds(1),
          Duration.ofMinutes(10));

  private final MemoryNetwork network = new MemoryNetwork();
  private final ManualScheduler scheduler = new ManualScheduler();
  private final SeededRandomSource random = new SeededRandomSource(7);
  private final List<AutoCloseable> open = new ArrayList<>();

  /** One node: a transport that records its dials, a gossip plane, and maybe a discovery. */
  private final class Member implements AutoCloseable {
    final NodeKey key;
    final MemoryTransport memory;
    final RecordingTransport transport;
    final GossipPlane plane;
    Discovery discovery;

    Member(NodeKey key, String host, PeerManager.Config peers) {
      this.key = key;
      memory =
          new MemoryTransport(
              network, key.id(), PeerAddress.of(host, 1), TransportConfig.DEFAULT, peers);
      transport = new RecordingTransport(memory);
      plane =
          GossipPlane.start(
              transport,
              scheduler,
              random.fork(),
              key,
              GossipConfig.defaults(NETWORK),
              new ValueRules(NETWORK, GossipConfig.DEFAULT_TTL, GossipConfig.DEFAULT_MAX_DRIFT));
      plane.publish(
          ValueKind.CONTACT_INFO,
          new ContactInfo(memory.address().hostPort(), "", NETWORK, "test").encode());
      open.add(this);
    }

    Discovery discover(DiscoveryConfig config, PeerAddress... entrypoints) {
      discovery =
          Discovery.start(
              transport,
              scheduler,
              random.fork(),
              plane,
              config,
              List.of(entrypoints),
              id -> false);
      return discovery;
    }

    NodeId id() {
      return key.id();
    }

    /** This node's address without its id, as an operator writes an entrypoint. */
    PeerAddress entrypoint() {
      return PeerAddress.of(memory.address().host(), memory.address().port());
    }

    void dial(Member other) {
      try {
        transport.connect(other.memory.address().withId(other.id())).get(5, TimeUnit.SECONDS);
      } catch (Exception e) {
        throw new AssertionError("connect failed", e);
      }
    }

    Set<NodeId> chosen() {
      return new TreeSet<>(discovery.chosen());
    }

    /** Whether every chosen peer is connected and there are {@code n} of them. */
    boolean connectedTo(int n) {
      Set<NodeId> chosen = chosen();
      return chosen.size() == n && transport.peers().containsAll(chosen);
    }

    @Override
    public void close() {
      if (discovery != null) {
        discovery.close();
      }
      plane.close();
      memory.close();
    }
  }

  @AfterEach
  void closeAll() throws Exception {
    for (int i = open.size() - 1; i >= 0; i--) {
      open.get(i).close();
    }
  }

  private static NodeKey key(int seed) {
    byte[] b = new byte[32];
    b[0] = (byte) seed;
    b[31] = 0x5a;
    return NodeKey.fromSeed(b);
  }

  private Member member(int i) {
    return new Member(key(i), "node" + i, PeerManager.Config.DEFAULT);
  }

  /** {@code n} nodes, each connected to node 0 only, that have all learned each other's contact. */
  private List<Member> cluster(int n) {
    List<Member> members = new ArrayList<>();
    for (int i = 0; i < n; i++) {
      members.add(member(i));
    }
    for (int i = 1; i < n; i++) {
      members.get(i).dial(members.get(0));
    }
    runUntil(
        "the cluster knows itself",
        () -> members.stream().allMatch(m -> m.plane.values(ValueKind.CONTACT_INFO).size() == n));
    return members;
  }

  private static Set<NodeId> ids(List<Member> members) {
    Set<NodeId> out = new TreeSet<>();
    members.forEach(m -> out.add(m.id()));
    return out;
  }

  /** Moves virtual time in steps until {@code done}, giving the transports' threads real time. */
  private void runUntil(String what, BooleanSupplier done) {
    await(what)
        .atMost(Duration.ofSeconds(30))
        .pollInSameThread()
        .pollDelay(Duration.ZERO)
        .pollInterval(Duration.ofMillis(2))
        .until(
            () -> {
              scheduler.advance(STEP);
              return done.getAsBoolean();
            });
  }

  /** Moves virtual time by {@code virtual}. */
  private void runFor(Duration virtual) {
    for (long t = 0; t < virtual.toMillis(); t += STEP.toMillis()) {
      scheduler.advance(STEP);
    }
  }

  @Test
  void aNewcomerGivenOneEntrypointLearnsEveryNodeAndConnectsToAllThatFitTheCap() {
    List<Member> cluster = cluster(5);
    Member newcomer = member(99);
    newcomer.discover(CONFIG, cluster.get(0).entrypoint());
    runUntil("connected to all five", () -> newcomer.connectedTo(5));
    assertThat(newcomer.discovery.known()).isEqualTo(5);
    assertThat(newcomer.chosen()).isEqualTo(ids(cluster));
    assertThat(newcomer.transport.peers()).isEqualTo(ids(cluster));
    // The entrypoint was dialled as written, without an id; every chosen peer with its id.
    assertThat(newcomer.transport.dialled().getFirst()).isEqualTo(cluster.get(0).entrypoint());
    for (Member m : cluster) {
      assertThat(newcomer.transport.dialsTo(m.id())).isEqualTo(1);
    }
  }

  @Test
  void withMoreNodesThanTheCapItKeepsCapManyAndClosesTheEntrypointItDidNotChoose() {
    List<Member> cluster = cluster(10);
    Member newcomer = member(99);
    newcomer.discover(CONFIG.withMaxOutbound(3), cluster.get(0).entrypoint());
    runUntil(
        "three chosen peers and no other connection",
        () -> newcomer.connectedTo(3) && newcomer.transport.peers().equals(newcomer.chosen()));
    assertThat(newcomer.discovery.known()).isEqualTo(10);
    assertThat(ids(cluster)).containsAll(newcomer.chosen());
    runFor(Duration.ofMinutes(1));
    assertThat(newcomer.chosen()).hasSize(3);
    assertThat(newcomer.transport.peers()).hasSizeLessThanOrEqualTo(3);
  }

  @Test
  void aChosenPeerThatDiesIsReplacedAndSoonForgotten() {
    List<Member> cluster = cluster(6);
    Member newcomer = member(99);
    newcomer.discover(CONFIG.withMaxOutbound(3), cluster.get(0).entrypoint());
    runUntil("three chosen peers", () -> newcomer.connectedTo(3));
    NodeId deadId = newcomer.discovery.chosen().getFirst();
    Member dead = cluster.stream().filter(m -> m.id().equals(deadId)).findFirst().orElseThrow();
    dead.close();
    runUntil(
        "the dead peer replaced",
        () -> newcomer.connectedTo(3) && !newcomer.chosen().contains(deadId));
    assertThat(newcomer.discovery.stats().lost()).isGreaterThanOrEqualTo(1);
    runFor(Duration.ofMinutes(3));
    runUntil("still three chosen peers", () -> newcomer.connectedTo(3));
    assertThat(newcomer.chosen()).doesNotContain(deadId);
    // The dial that worked, then at most maxFailures - 1 that failed before it was forgotten.
    assertThat(newcomer.transport.dialsTo(deadId)).isLessThanOrEqualTo(CONFIG.maxFailures());
  }

  @Test
  void aBannedPeerIsDroppedAndNeverDialledAgain() {
    List<Member> cluster = cluster(6);
    Member newcomer = member(99);
    newcomer.discover(CONFIG.withMaxOutbound(3), cluster.get(0).entrypoint());
    runUntil("three chosen peers", () -> newcomer.connectedTo(3));
    NodeId banned = newcomer.discovery.chosen().getFirst();
    newcomer.transport.peerManager().ban(banned, Duration.ofHours(1), "test");
    runUntil(
        "the banned peer replaced",
        () -> newcomer.connectedTo(3) && !newcomer.chosen().contains(banned));
    long dials = newcomer.transport.dialsTo(banned);
    runFor(Duration.ofMinutes(25)); // rotations included
    runUntil("three chosen peers after rotations", () -> newcomer.connectedTo(3));
    assertThat(newcomer.transport.dialsTo(banned)).isEqualTo(dials);
    assertThat(newcomer.chosen()).doesNotContain(banned);
    assertThat(newcomer.discovery.stats().rotated()).isGreaterThanOrEqualTo(1);
  }

  @Test
  void noNodeDialsItselfAndEachFindsItsPeersFromSharedEntrypoints() {
    List<Member> members = new ArrayList<>();
    for (int i = 0; i < 6; i++) {
      members.add(member(i));
    }
    PeerAddress[] entrypoints = {members.get(0).entrypoint(), members.get(1).entrypoint()};
    for (Member m : members) {
      m.discover(CONFIG.withMaxOutbound(2), entrypoints);
    }
    runUntil(
        "every node knows the others and keeps two peers",
        () -> members.stream().allMatch(m -> m.discovery.known() == 5 && m.connectedTo(2)));
    for (Member m : members) {
      assertThat(m.transport.dialled())
          .noneMatch(a -> a.hostPort().equals(m.entrypoint().hostPort()))
          .noneMatch(a -> a.expectedId().map(m.id()::equals).orElse(false));
      assertThat(m.chosen()).doesNotContain(m.id());
    }
  }

  @Test
  void aPeerWhoseInboundCapIsFullRefusesEachDialUntilItIsForgotten() {
    List<Member> cluster = new ArrayList<>();
    for (int i = 0; i < 5; i++) {
      cluster.add(
          new Member(
              key(i),
              "node" + i,
              i == 3 ? PeerManager.Config.DEFAULT.withMaxInbound(0) : PeerManager.Config.DEFAULT));
    }
    for (int i = 1; i < 5; i++) {
      cluster.get(i).dial(cluster.get(0)); // node 3 dials out: its cap is on inbound only
    }
    Member full = cluster.get(3);
    Member newcomer = member(99);
    // Room for all five, and a ceiling long enough that the last-resort retry stays out.
    newcomer.discover(
        new DiscoveryConfig(
            5,
            new Backoff(Duration.ofMillis(200), Duration.ofMinutes(30)),
            3,
            Duration.ofSeconds(1),
            Duration.ofMinutes(30)),
        cluster.get(0).entrypoint());
    runUntil(
        "the full peer forgotten and the four others kept",
        () -> newcomer.discovery.stats().forgotten() == 1 && newcomer.connectedTo(4));
    assertThat(newcomer.chosen()).doesNotContain(full.id());
    assertThat(newcomer.transport.peers()).doesNotContain(full.id());
    assertThat(full.transport.peers()).containsExactly(cluster.get(0).id());
    assertThat(newcomer.transport.dialsTo(full.id())).isEqualTo(3);
    assertThat(newcomer.discovery.stats().dialFailures()).isEqualTo(3);
  }

  @Test
  void aForgottenContactIsDialledAgainOnceItSignsItsContactAgain() {
    List<Member> cluster = cluster(3);
    Member newcomer = member(99);
    // A long ceiling: once forgotten, the last-resort retry would not come within this test.
    DiscoveryConfig config =
        new DiscoveryConfig(
            8,
            new Backoff(Duration.ofMillis(200), Duration.ofMinutes(30)),
            3,
            Duration.ofSeconds(1),
            Duration.ofMinutes(30));
    newcomer.discover(config, cluster.get(0).entrypoint());
    runUntil("connected to all three", () -> newcomer.connectedTo(3));
    Member gone = cluster.get(2);
    gone.close();
    runUntil("the dead peer forgotten", () -> newcomer.discovery.stats().forgotten() == 1);
    long dials = newcomer.transport.dialsTo(gone.id());
    runFor(Duration.ofMinutes(2));
    assertThat(newcomer.transport.dialsTo(gone.id())).isEqualTo(dials);
    assertThat(newcomer.transport.peers()).doesNotContain(gone.id());

    Member back = new Member(gone.key, "node2", PeerManager.Config.DEFAULT);
    back.dial(cluster.get(0));
    runUntil("the restarted peer chosen again", () -> newcomer.connectedTo(3));
    assertThat(newcomer.chosen()).contains(back.id());
    assertThat(newcomer.transport.dialsTo(back.id())).isEqualTo(dials + 1);
  }
}
