package io.ferry.sim.push;

import static org.assertj.core.api.Assertions.assertThat;

import io.ferry.core.identity.NodeId;
import io.ferry.net.peers.PeerManager;
import io.ferry.node.Node;
import io.ferry.sim.SimNode;
import io.ferry.sim.Simulation;
import io.ferry.sync.push.PushClient;
import java.time.Duration;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.TreeMap;
import org.junit.jupiter.api.Test;

/**
 * Push sync between whole nodes in the simulator ({@link PushWorld}): 128 followers subscribed to
 * one producer, lossy links, a subscriber that crashes and comes back, and a lying pusher whose
 * victims must see through it. Replay a seed with {@code -Dferry.sim.seed=N}.
 */
class PushSimulationTest {
  private static final Duration COMMIT_EVERY = Duration.ofSeconds(1);

  /** Virtual time from the start to the lossless stretch: everyone synced and subscribed. */
  private static final Duration WARM_UP = Duration.ofSeconds(10);

  private static final Duration STRETCH = Duration.ofSeconds(10);
  private static final Duration FAULTS = Duration.ofSeconds(20);
  private static final Duration CRASH_AT = Duration.ofSeconds(4);
  private static final Duration DOWN_FOR = Duration.ofSeconds(8);
  private static final Duration HEALED = Duration.ofSeconds(5);
  private static final Duration SETTLE_LIMIT = Duration.ofSeconds(60);

  /**
   * What a run of the script did.
   *
   * @param fullAt when the producer first held a subscription of every subscriber, if it did
   * @param stretchCommits commits the producer made in the lossless stretch
   * @param stretchApplied commits each honest node up through the stretch applied from pushes in
   *     it, by name
   * @param crashed the subscriber that crashed and came back
   * @param settled whether every honest node reached the producer's last root
   */
  record Outcome(
      Optional<Duration> fullAt,
      long stretchCommits,
      Map<String, Long> stretchApplied,
      SimNode<Node> crashed,
      boolean settled,
      long commits,
      String traceHash) {}

  /**
   * The script: warm up; a lossless stretch, measured; loss on every link, one subscriber crashed
   * and restarted in it; the links heal, commits stop, and everyone must reach the producer's root.
   */
  private static Outcome script(PushWorld w, int subscribers) {
    w.startCommitting(COMMIT_EVERY);
    Optional<Duration> fullAt =
        w.sim.runUntil(() -> w.producer.app().pushServer().stats().open() == subscribers, WARM_UP)
            ? Optional.of(w.sim.now())
            : Optional.empty();
    w.run(WARM_UP.minus(w.sim.now()));

    Map<String, Long> before = applied(w);
    long h0 = w.producer.app().store().height();
    w.run(STRETCH);
    long stretchCommits = w.producer.app().store().height() - h0;
    Map<String, Long> stretchApplied = new TreeMap<>();
    applied(w).forEach((n, a) -> stretchApplied.put(n, a - before.getOrDefault(n, 0L)));

    SimNode<Node> crashed = w.subscribers.get(subscribers * 3 / 5);
    w.lossy(true);
    w.sim.schedule(CRASH_AT, () -> w.sim.crash(crashed));
    w.sim.schedule(CRASH_AT.plus(DOWN_FOR), () -> w.sim.restart(crashed));
    w.run(FAULTS);
    w.lossy(false);
    w.run(HEALED);
    w.stopCommitting();
    boolean settled = w.sim.runUntil(w::allAtProducer, SETTLE_LIMIT);
    w.check();
    return new Outcome(
        fullAt,
        stretchCommits,
        stretchApplied,
        crashed,
        settled,
        w.producer.app().store().height(),
        w.sim.traceHash().toHex());
  }

  /** Commits applied from pushes so far by each honest node up, by name. */
  private static Map<String, Long> applied(PushWorld w) {
    Map<String, Long> out = new TreeMap<>();
    for (SimNode<Node> n : w.honest()) {
      if (n.isUp()) {
        out.put(n.name(), PushWorld.push(n).applied());
      }
    }
    return out;
  }

  @Test
  void aHundredAndTwentyEightSubscribersALossyNetworkACrashAndALiarEndAtTheProducersRoot() {
    long seed = Simulation.seedProperty(1);
    int n = PushWorld.SUBSCRIBERS;
    try (PushWorld w = new PushWorld(seed, n)) {
      Outcome o = script(w, n);
      String replay = Simulation.replayHint(seed);

      // The producer held all 128 subscriptions, and holds them again at the end: the crashed
      // subscriber's among them.
      assertThat(o.fullAt()).as(replay).isPresent();
      assertThat(w.producer.app().pushServer().stats().open()).as(replay).isEqualTo(n);

      // Every honest node ends at the producer's root, and was never at a state it did not have.
      assertThat(o.settled()).as("every honest node at the producer's root; " + replay).isTrue();
      assertThat(w.violations()).as(replay).isEmpty();
      assertThat(o.commits()).isGreaterThanOrEqualTo(40);

      // On the lossless stretch each node took nearly every commit from a push.
      assertThat(o.stretchCommits()).isEqualTo(STRETCH.toSeconds());
      assertThat(o.stretchApplied()).hasSize(n + PushWorld.VICTIMS);
      o.stretchApplied()
          .forEach(
              (name, a) ->
                  assertThat(a)
                      .as("%s's commits from pushes of %d; %s", name, o.stretchCommits(), replay)
                      .isGreaterThanOrEqualTo(o.stretchCommits() * 8 / 10));

      // The crashed subscriber re-subscribed to the producer and caught up by pushes.
      PushClient.Stats back = PushWorld.push(o.crashed());
      assertThat(o.crashed().incarnation()).isEqualTo(2);
      assertThat(back.source()).as(replay).contains(w.producer.id());
      assertThat(back.applied()).as(replay).isPositive();

      // The liar was used: its victims each re-applied a falsified batch, found the root wrong,
      // penalised the liar and went on from an honest peer.
      NodeId liar = w.liar.id();
      for (SimNode<Node> v : w.victims) {
        PushClient.Stats s = PushWorld.push(v);
        assertThat(s.wrongRoots()).as("%s's wrong roots; %s", v.name(), replay).isPositive();
        PeerManager.Standing standing = v.transport().peerManager().standing(liar);
        assertThat(standing.score() < 0 || standing.bannedFor().isPresent())
            .as("the liar penalised at %s: %s", v.name(), standing)
            .isTrue();
        assertThat(s.source()).as(v.name()).isPresent().get().isNotEqualTo(liar);
      }
      // The honest pushers were never taken for liars.
      for (SimNode<Node> judge : w.honest()) {
        for (SimNode<Node> other : List.of(w.producer, w.subscribers.get(2))) {
          assertThat(judge.transport().peerManager().standing(other.id()).score())
              .as("%s's score at %s", other.name(), judge.name())
              .isNotNegative();
        }
      }
    }
  }

  /** The same seed gives the same run, to the trace hash; on a smaller world, to keep it fast. */
  @Test
  void theSameSeedGivesTheSameTrace() {
    int n = 16;
    Outcome a;
    try (PushWorld w = new PushWorld(7, n)) {
      a = script(w, n);
    }
    Outcome b;
    try (PushWorld w = new PushWorld(7, n)) {
      b = script(w, n);
    }
    assertThat(a.settled()).isTrue();
    assertThat(b.traceHash()).isEqualTo(a.traceHash());
    assertThat(b.stretchApplied()).isEqualTo(a.stretchApplied());
    try (PushWorld w = new PushWorld(8, n)) {
      assertThat(script(w, n).traceHash()).isNotEqualTo(a.traceHash());
    }
  }
}
