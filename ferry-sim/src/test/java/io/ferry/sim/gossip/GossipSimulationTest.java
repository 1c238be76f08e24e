package io.ferry.sim.gossip;

import static org.assertj.core.api.Assertions.assertThat;

import io.ferry.sim.SimSeed;
import io.ferry.sim.SimSeedExtension;
import io.ferry.sim.Simulation;
import io.ferry.sim.gossip.GossipSimulation.Fault;
import io.ferry.sim.gossip.GossipSimulation.Options;
import io.ferry.sim.gossip.GossipSimulation.Report;
import java.time.Duration;
import java.util.EnumSet;
import java.util.Set;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.extension.ExtendWith;

/**
 * The gossip plane at scale (Step 9): 300 nodes, each a real gossip plane, with latency and 1%
 * loss, a tenth crashing and restarting, a twentieth lying in every message, and a partition that
 * heals. Every published value reaches 99% of the live honest nodes within seconds, no honest node
 * ever stores an invalid or stale value, every liar is banned, the partition converges, and the
 * same seed replays the same run. The benchmark runs the same simulation at up to 3,000 nodes
 * ({@code bin/ferry sim gossip}, docs/benchmarks.md).
 */
@ExtendWith(SimSeedExtension.class)
class GossipSimulationTest {
  private static final Set<Fault> ALL = EnumSet.allOf(Fault.class);

  /** A value must reach 99% of the live honest nodes within this. */
  private static final Duration COVERAGE_BOUND = Duration.ofSeconds(3);

  /** 300 nodes with every fault, shortened to fit CI: 3 values published 10 s apart. */
  private static Options ci(long seed) {
    return Options.of(300, seed, ALL)
        .withTiming(3, Duration.ofSeconds(30), Duration.ofSeconds(10), Duration.ofSeconds(40));
  }

  private static String replay(Report r) {
    return Simulation.replayHint(r.options().seed())
        + "; or bin/ferry sim gossip --nodes "
        + r.options().nodes()
        + " --seed "
        + r.options().seed()
        + " --warmup 30s --every 10s --window 40s --publications 3"
        + " --faults loss,crash,liars,partition";
  }

  @Test
  void threeHundredNodesSpreadEveryValueStoreNoLieAndConvergeAfterAPartition(
      @SimSeed(9) long seed) {
    Report r = GossipSimulation.run(ci(seed));

    assertThat(r.violations()).as(replay(r)).isEmpty();
    assertThat(r.coverageNanos())
        .as("time for each value to reach 99%% of live honest nodes; %s", replay(r))
        .hasSize(3)
        .allSatisfy(t -> assertThat(t).isNotNegative().isLessThan(COVERAGE_BOUND.toNanos()));
    assertThat(r.leastHeldShare()).as(replay(r)).isGreaterThanOrEqualTo(0.99);
    assertThat(r.liars()).isEqualTo(15);
    assertThat(r.liarsBanned()).as(replay(r)).isEqualTo(r.liars());
    assertThat(r.crashes()).isEqualTo(30);
    assertThat(r.healedNanos())
        .as("convergence after the partition healed; %s", replay(r))
        .isNotNegative();
    // Every node's contact info reached every node, and the audit judged real traffic.
    assertThat(r.valuesHeld()).isGreaterThan(0.99 * r.options().nodes());
    assertThat(r.valuesAudited()).isGreaterThan(100_000);
    assertThat(r.bytesPerNodeSecond()).isPositive();

    Report again = GossipSimulation.run(ci(seed));
    assertThat(again.traceHash()).as("the same seed replays the same run").isEqualTo(r.traceHash());
    assertThat(again.events()).isEqualTo(r.events());
    assertThat(again.coverageNanos()).isEqualTo(r.coverageNanos());
  }

  @Test
  void anotherSeedIsAnotherRun() {
    Options small =
        Options.of(40, 1, ALL)
            .withTiming(2, Duration.ofSeconds(10), Duration.ofSeconds(5), Duration.ofSeconds(10));
    Report a = GossipSimulation.run(small);
    Report b =
        GossipSimulation.run(
            Options.of(40, 2, ALL)
                .withTiming(2, small.warmup(), small.publishEvery(), small.window()));
    assertThat(a.violations()).isEmpty();
    assertThat(b.violations()).isEmpty();
    assertThat(b.traceHash()).isNotEqualTo(a.traceHash());
  }

  @Test
  void sharingSignatureChecksBetweenNodesChangesNothingButTheirCost() {
    Options shared =
        Options.of(40, 5, ALL)
            .withTiming(2, Duration.ofSeconds(10), Duration.ofSeconds(5), Duration.ofSeconds(10));
    Report a = GossipSimulation.run(shared);
    Report b = GossipSimulation.run(shared.withEverySignatureVerified());
    assertThat(b.traceHash()).isEqualTo(a.traceHash());
    assertThat(b.coverageNanos()).isEqualTo(a.coverageNanos());
    // Every node verifies every value it takes: about one value per node, times the nodes.
    assertThat(b.signaturesVerified()).isGreaterThan(20 * a.signaturesVerified());
  }

  @Test
  void theAuditSeesAPlaneThatStoresForgedValues() {
    // Planes that take every signature: the liars' forged and other-network values get stored.
    Options o =
        Options.of(40, 3, EnumSet.of(Fault.LIARS))
            .withTiming(2, Duration.ofSeconds(10), Duration.ofSeconds(5), Duration.ofSeconds(10));
    Report r =
        new GossipSimulation(o, rules -> rules.withSignatureCheck((v, network) -> true)).execute();
    assertThat(r.violations())
        .anySatisfy(v -> assertThat(v).contains("stored an invalid").contains("BAD_SIGNATURE"));
  }
}
