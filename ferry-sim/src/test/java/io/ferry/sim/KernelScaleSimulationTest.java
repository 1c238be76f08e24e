package io.ferry.sim;

import static org.assertj.core.api.Assertions.assertThat;

import io.ferry.core.Hash;
import io.ferry.net.PeerAddress;
import io.ferry.net.TransportConfig;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.extension.ExtendWith;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * The simulator kernel at scale, on a toy flood protocol ({@link FloodApp}; whole Ferry nodes are
 * {@code node.NodeSimulationTest}): 200 nodes flood under 10% loss, a partition that heals and two
 * crashes with restarts, and the same seed gives the same run, event for event.
 */
@ExtendWith(SimSeedExtension.class)
class KernelScaleSimulationTest {
  private static final Logger log = LoggerFactory.getLogger(KernelScaleSimulationTest.class);
  private static final int NODES = 200;
  private static final int PUBLISH = 2;

  /** What one run produced: the trace hash, when it converged, and what each node ended with. */
  record Outcome(Hash trace, long events, Duration converged, List<List<Long>> state) {}

  @Test
  void twoHundredNodesConvergeIdenticallyForOneSeedAndDifferentlyForAnother(
      @SimSeed(20251122) long seed) {
    Outcome first = run(seed);
    Outcome second = run(seed);
    assertThat(second.trace()).isEqualTo(first.trace());
    assertThat(second.events()).isEqualTo(first.events());
    assertThat(second.converged()).isEqualTo(first.converged());
    assertThat(second.state()).isEqualTo(first.state());
    assertThat(run(seed + 1).trace()).isNotEqualTo(first.trace());
  }

  static Outcome run(long seed) {
    long wallStart = System.nanoTime();
    TransportConfig config =
        TransportConfig.DEFAULT.withTimeouts(
            Duration.ofSeconds(2), Duration.ofSeconds(10), Duration.ofSeconds(3));
    Simulation sim = new Simulation(seed, config);
    sim.network()
        .setDefaultLink(
            LinkModel.of(Latency.logNormal(Duration.ofMillis(40), 0.5))
                .withBandwidth(1_000_000)
                .withLoss(0.10));
    List<PeerAddress> directory = new ArrayList<>();
    List<SimNode<FloodApp>> nodes = new ArrayList<>();
    for (int i = 0; i < NODES; i++) {
      int index = i;
      SimNode<FloodApp> n =
          sim.addNode(
              String.format("n%03d", i), ctx -> new FloodApp(ctx, index, PUBLISH, () -> directory));
      nodes.add(n);
      directory.add(n.address());
    }
    sim.schedule(
        Duration.ofSeconds(8),
        () -> sim.partition(nodes.subList(0, NODES / 2), nodes.subList(NODES / 2, NODES)));
    sim.schedule(Duration.ofSeconds(12), () -> sim.crash(nodes.get(7)));
    sim.schedule(Duration.ofSeconds(14), () -> sim.crash(nodes.get(150)));
    sim.schedule(Duration.ofSeconds(22), () -> sim.restart(nodes.get(7)));
    sim.schedule(Duration.ofSeconds(24), () -> sim.restart(nodes.get(150)));
    sim.schedule(Duration.ofSeconds(30), sim::heal);

    sim.run(Duration.ofSeconds(29));
    // The partition held: no message published during it crossed it.
    for (SimNode<FloodApp> n : nodes) {
      boolean left = nodes.indexOf(n) < NODES / 2;
      assertThat(n.app().ids())
          .filteredOn(id -> (id & 0xffffffffL) > 0)
          .allMatch(id -> ((id >>> 32) < NODES / 2) == left, n.name() + " holds only its side's");
    }
    int total = NODES * PUBLISH;
    boolean converged =
        sim.runUntil(
            () -> nodes.stream().allMatch(n -> n.isUp() && n.app().count() == total),
            Duration.ofMinutes(3));
    assertThat(converged).as("every node holds all %d messages by %s", total, sim.now()).isTrue();
    assertThat(nodes.get(7).incarnation()).isEqualTo(2);
    log.info(
        "seed {}: {} nodes converged at {} after {} trace events, {} tasks, {} ms wall; trace {}",
        seed,
        NODES,
        sim.now(),
        sim.trace().count(),
        sim.events(),
        (System.nanoTime() - wallStart) / 1_000_000,
        sim.traceHash());
    return new Outcome(
        sim.traceHash(),
        sim.trace().count(),
        sim.now(),
        nodes.stream().map(n -> n.app().ids()).toList());
  }
}
