package io.ferry.sim.node;

import static org.assertj.core.api.Assertions.assertThat;

import io.ferry.core.Bytes;
import io.ferry.gossip.discovery.Discovery;
import io.ferry.merkledb.Batch;
import io.ferry.merkledb.MerkleDB;
import io.ferry.node.Node;
import io.ferry.sim.SimNode;
import io.ferry.sim.Simulation;
import io.ferry.sim.node.NodeSimulation.Fault;
import io.ferry.sim.node.NodeSimulation.Options;
import io.ferry.sim.node.NodeSimulation.Report;
import java.time.Duration;
import java.util.EnumSet;
import java.util.Set;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.ValueSource;

/** Whole nodes in the simulator: a small sweep of seeds with every fault, replays, the checker. */
class NodeSimulationTest {
  private static final Set<Fault> ALL = EnumSet.allOf(Fault.class);

  private static void assertOk(Report r) {
    assertThat(r.violations())
        .as(
            "seed %d; replay with bin/ferry sim --nodes %d --seed %d --duration %ds --faults %s",
            r.options().seed(),
            r.options().nodes(),
            r.options().seed(),
            r.options().duration().toSeconds(),
            r.options().faults())
        .isEmpty();
  }

  @ParameterizedTest(name = "seed {0}")
  @ValueSource(longs = {1, 2, 3, 4, 5, 6, 7, 8, 9, 10, 11, 12, 13, 14, 15, 16, 17, 18, 19, 20})
  void twentyNodesWithCrashesPartitionsAndLiarsKeepTheInvariants(long seed) {
    Report r =
        NodeSimulation.run(
            Options.of(20, Simulation.seedProperty(seed), Duration.ofSeconds(90), ALL));
    assertOk(r);
    assertThat(r.commits()).isGreaterThan(60);
    assertThat(r.bans()).isEqualTo(r.liars()).isPositive();
    assertThat(r.fullSyncs()).isPositive();
  }

  @ParameterizedTest(name = "seed {0}")
  @ValueSource(longs = {1, 2, 3, 4, 5})
  void twentyNodesThatDiscoverTheirPeersKeepTheInvariants(long seed) {
    Report r =
        NodeSimulation.run(
            Options.of(20, Simulation.seedProperty(seed), Duration.ofSeconds(90), ALL)
                .withDiscovery(true));
    assertOk(r);
    assertThat(r.commits()).isGreaterThan(60);
    assertThat(r.bans()).isEqualTo(r.liars()).isPositive();
  }

  @Test
  void nodesGivenTwoEntrypointsFindEveryOtherNodeAndReplay() {
    Options o = Options.of(8, 42, Duration.ofSeconds(60), EnumSet.noneOf(Fault.class));
    NodeSimulation sim = new NodeSimulation(o.withDiscovery(true));
    Report a = sim.execute();
    assertOk(a);
    for (SimNode<Node> n : sim.honest()) {
      Discovery d = n.app().discovery().orElseThrow();
      assertThat(d.known()).as(n.name()).isEqualTo(7);
      assertThat(d.chosen()).as(n.name()).hasSize(7); // the cap (8) leaves room for all
      assertThat(n.transport().peers()).as(n.name()).hasSize(7);
    }
    assertThat(sim.producer().app().discovery()).isEmpty(); // it is everyone's entrypoint
    Report b = NodeSimulation.run(o.withDiscovery(true));
    assertThat(b.traceHash()).isEqualTo(a.traceHash());
    assertThat(NodeSimulation.run(o).traceHash()).isNotEqualTo(a.traceHash());
  }

  @Test
  void theSameSeedGivesTheSameTrace() {
    Options o = Options.of(8, 42, Duration.ofSeconds(60), ALL);
    Report a = NodeSimulation.run(o);
    Report b = NodeSimulation.run(o);
    assertThat(a.traceHash()).isEqualTo(b.traceHash());
    assertThat(a.events()).isEqualTo(b.events());
    Report other = NodeSimulation.run(Options.of(8, 43, Duration.ofSeconds(60), ALL));
    assertThat(other.traceHash()).isNotEqualTo(a.traceHash());
  }

  @Test
  void theCheckerSeesAStoreThatHoldsWhatTheProducerNeverHad() {
    NodeSimulation sim =
        new NodeSimulation(Options.of(4, 7, Duration.ofSeconds(30), EnumSet.noneOf(Fault.class)));
    Report clean = sim.execute();
    assertOk(clean);
    MerkleDB follower = sim.honest().get(0).app().store();
    follower.commit(
        new Batch().put(Bytes.fromHex("00"), Bytes.fromHex("ff")), follower.height() + 100);
    assertThat(sim.checkNow())
        .anySatisfy(v -> assertThat(v).contains("a state the producer never had"));
  }
}
