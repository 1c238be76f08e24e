package io.ferry.sim;

import static io.ferry.sim.EchoApp.ECHO;
import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import com.google.protobuf.ByteString;
import io.ferry.core.ErrorCode;
import io.ferry.core.Hash;
import io.ferry.core.identity.NodeId;
import io.ferry.net.PeerAddress;
import io.ferry.net.TransportConfig;
import io.ferry.net.TransportException;
import io.ferry.net.TransportException.Failure;
import io.ferry.net.peers.Offence;
import io.ferry.net.peers.PeerManager;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.CompletionException;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.extension.ExtendWith;

@ExtendWith(SimSeedExtension.class)
class SimulationTest {
  private static final Duration LATENCY = Duration.ofMillis(10);

  /** Short idle and connect timeouts, so failure detection takes seconds of virtual time. */
  private static final TransportConfig FAST =
      TransportConfig.DEFAULT.withTimeouts(
          Duration.ofSeconds(2), Duration.ofSeconds(10), Duration.ofSeconds(3));

  private static ByteString utf8(String s) {
    return ByteString.copyFromUtf8(s);
  }

  /** Runs the simulation until {@code f} completes (or {@code limit} passes) and returns it. */
  private static <T> T await(Simulation sim, CompletableFuture<T> f, Duration limit) {
    assertThat(sim.runUntil(f::isDone, limit)).as("completed within %s", limit).isTrue();
    return f.join();
  }

  private static TransportException failure(
      Simulation sim, CompletableFuture<?> f, Duration limit) {
    assertThat(sim.runUntil(f::isDone, limit)).as("completed within %s", limit).isTrue();
    try {
      f.join();
    } catch (CompletionException e) {
      return (TransportException) e.getCause();
    }
    throw new AssertionError("expected a failure, got " + f.join());
  }

  private static Simulation twoNodes(long seed, TransportConfig config) {
    Simulation sim = new Simulation(seed, config);
    sim.network().setDefaultLink(LinkModel.of(Latency.fixed(LATENCY)));
    sim.addNode("a", EchoApp::new);
    sim.addNode("b", EchoApp::new);
    return sim;
  }

  @SuppressWarnings("unchecked")
  private static SimNode<EchoApp> node(Simulation sim, String name) {
    return (SimNode<EchoApp>) sim.node(name);
  }

  private static void connect(Simulation sim, SimNode<EchoApp> from, SimNode<EchoApp> to) {
    assertThat(await(sim, from.transport().connect(to.address()), Duration.ofSeconds(5)))
        .isEqualTo(to.id());
  }

  @Test
  void connectingTakesOneRoundTripAndRequestsAreAnswered(@SimSeed(1) long seed) {
    Simulation sim = twoNodes(seed, TransportConfig.DEFAULT);
    SimNode<EchoApp> a = node(sim, "a");
    SimNode<EchoApp> b = node(sim, "b");
    connect(sim, a, b);
    assertThat(sim.now()).isEqualTo(LATENCY.multipliedBy(2));
    assertThat(b.transport().peers()).containsExactly(a.id());
    ByteString answer =
        await(
            sim,
            a.transport().request(b.id(), ECHO, utf8("hi"), Duration.ofSeconds(5)),
            Duration.ofSeconds(1));
    assertThat(answer.toStringUtf8()).isEqualTo("hi");
    assertThat(sim.now()).isEqualTo(LATENCY.multipliedBy(4));
  }

  @Test
  void requestsTimeOutInVirtualTime(@SimSeed(2) long seed) {
    Simulation sim = twoNodes(seed, TransportConfig.DEFAULT);
    SimNode<EchoApp> a = node(sim, "a");
    SimNode<EchoApp> b = node(sim, "b");
    connect(sim, a, b);
    b.app().silent = true;
    long eventsBefore = sim.events();
    Duration sent = sim.now();
    TransportException e =
        failure(
            sim,
            a.transport().request(b.id(), ECHO, utf8("?"), Duration.ofSeconds(30)),
            Duration.ofMinutes(1));
    assertThat(e.failure()).isEqualTo(Failure.TIMEOUT);
    assertThat(sim.now().minus(sent)).isEqualTo(Duration.ofSeconds(30));
    sim.run(Duration.ofSeconds(1));
    assertThat(b.app().cancelled).as("the server saw the cancel").isEqualTo(1);
    // Thirty virtual seconds passed as a handful of events: nothing waited or polled meanwhile.
    assertThat(sim.events() - eventsBefore).isLessThan(100);
  }

  @Test
  void aFrameTakesItsSizeOverTheBandwidthToArrive(@SimSeed(3) long seed) {
    TransportConfig config =
        TransportConfig.DEFAULT.withMaxFrameBytes(1_100_000).withMaxOutboundBufferBytes(3_500_000);
    Simulation sim = twoNodes(seed, config);
    sim.network().setDefaultLink(LinkModel.of(Latency.fixed(LATENCY)).withBandwidth(1_000_000));
    SimNode<EchoApp> a = node(sim, "a");
    SimNode<EchoApp> b = node(sim, "b");
    connect(sim, a, b);
    long sent = sim.nanos();
    ByteString megabyte = ByteString.copyFrom(new byte[1_000_000]);
    List<CompletableFuture<Void>> sends = new ArrayList<>();
    for (int i = 0; i < 4; i++) {
      sends.add(a.transport().send(b.id(), ECHO, megabyte));
    }
    // Three fit the 3.5 MB outbound buffer; the fourth would grow it past its bound.
    assertThat(sends.subList(0, 3)).allMatch(f -> f.isDone() && !f.isCompletedExceptionally());
    assertThat(failure(sim, sends.get(3), Duration.ZERO).failure()).isEqualTo(Failure.OVERLOADED);
    assertThat(sim.runUntil(() -> b.app().received.size() == 3, Duration.ofSeconds(10))).isTrue();
    List<Long> delays =
        b.app().received.stream().map(r -> (r.nanos() - sent) / 1_000_000).toList(); // ms
    // Each frame: about 1 s on the wire behind the ones before it, then 10 ms of latency.
    assertThat(delays.get(0)).isBetween(1010L, 1011L);
    assertThat(delays.get(1)).isBetween(2010L, 2011L);
    assertThat(delays.get(2)).isBetween(3010L, 3011L);
    // The buffer drained as the frames arrived: sending works again.
    assertThat(a.transport().send(b.id(), ECHO, megabyte)).isCompleted();
  }

  @Test
  void packetFaultsBeneathTheStreamDelayFramesButNeverDropOrReorderThem(@SimSeed(4) long seed) {
    Simulation sim = twoNodes(seed, TransportConfig.DEFAULT);
    SimNode<EchoApp> a = node(sim, "a");
    SimNode<EchoApp> b = node(sim, "b");
    connect(sim, a, b);
    List<String> sent = new ArrayList<>();
    for (int i = 0; i < 200; i++) {
      sent.add(Integer.toString(i));
    }

    long cleanStart = sim.nanos();
    sent.forEach(s -> a.transport().send(b.id(), ECHO, utf8(s)));
    sim.run(Duration.ofSeconds(5));
    assertThat(b.app().texts()).containsExactlyElementsOf(sent);
    long cleanLast = b.app().received.getLast().nanos() - cleanStart;

    b.app().received.clear();
    sim.network()
        .setDefaultLink(
            LinkModel.of(Latency.logNormal(LATENCY, 1.0))
                .withLoss(0.2)
                .withDuplication(0.2)
                .withReordering(0.3, Duration.ofMillis(50)));
    long faultyStart = sim.nanos();
    sent.forEach(s -> a.transport().send(b.id(), ECHO, utf8(s)));
    sim.run(Duration.ofSeconds(30));
    // Every frame once, in order, as TCP delivers them; the losses show only as time.
    assertThat(b.app().texts()).containsExactlyElementsOf(sent);
    long faultyLast = b.app().received.getLast().nanos() - faultyStart;
    assertThat(faultyLast).isGreaterThan(cleanLast + LinkModel.MIN_RTO.toNanos());
    assertThat(a.transport().peers()).containsExactly(b.id());
  }

  @Test
  void aResetOnThePathClosesBothEndsAndFailsWhatWasInFlight(@SimSeed(12) long seed) {
    Simulation sim = twoNodes(seed, TransportConfig.DEFAULT);
    SimNode<EchoApp> a = node(sim, "a");
    SimNode<EchoApp> b = node(sim, "b");
    connect(sim, a, b);
    sim.network().setDefaultLink(LinkModel.of(Latency.fixed(LATENCY)).withResets(1.0));
    CompletableFuture<ByteString> answer =
        a.transport().request(b.id(), ECHO, utf8("hello"), Duration.ofSeconds(30));
    TransportException e = failure(sim, answer, Duration.ofSeconds(1));
    assertThat(e.failure()).isEqualTo(Failure.DISCONNECTED);
    sim.run(Duration.ofMillis(100));
    assertThat(a.transport().peers()).isEmpty();
    assertThat(b.transport().peers()).isEmpty();

    // A healthy path again: the peers reconnect and talk.
    sim.network().setDefaultLink(LinkModel.of(Latency.fixed(LATENCY)));
    connect(sim, a, b);
    assertThat(
            await(
                    sim,
                    a.transport().request(b.id(), ECHO, utf8("again"), Duration.ofSeconds(5)),
                    Duration.ofSeconds(1))
                .toStringUtf8())
        .isEqualTo("again");
  }

  @Test
  void partitionBlocksAndHealRestores(@SimSeed(5) long seed) {
    Simulation sim = twoNodes(seed, FAST);
    SimNode<EchoApp> a = node(sim, "a");
    SimNode<EchoApp> b = node(sim, "b");
    connect(sim, a, b);

    // A short partition: frames are lost, the connection outlives it.
    sim.partition(List.of(a), List.of(b));
    a.transport().send(b.id(), ECHO, utf8("lost"));
    TransportException e =
        failure(
            sim,
            a.transport().request(b.id(), ECHO, utf8("?"), Duration.ofSeconds(2)),
            Duration.ofSeconds(5));
    assertThat(e.failure()).isEqualTo(Failure.TIMEOUT);
    assertThat(b.app().received).isEmpty();
    sim.heal();
    a.transport().send(b.id(), ECHO, utf8("through"));
    sim.run(Duration.ofSeconds(1));
    assertThat(b.app().texts()).containsExactly("through");
    assertThat(a.transport().peers()).containsExactly(b.id());

    // A long one: both ends give up after the idle timeout, and dialling fails until healed.
    sim.partition(List.of(a), List.of(b));
    sim.run(Duration.ofSeconds(11));
    assertThat(a.transport().peers()).isEmpty();
    assertThat(b.transport().peers()).isEmpty();
    assertThat(a.app().events).last().asString().startsWith("down").contains("idle timeout");
    e = failure(sim, a.transport().connect(b.address()), Duration.ofSeconds(5));
    assertThat(e.failure()).isEqualTo(Failure.DISCONNECTED);
    sim.heal();
    connect(sim, a, b);
    assertThat(
            await(
                    sim,
                    a.transport().request(b.id(), ECHO, utf8("back"), Duration.ofSeconds(2)),
                    Duration.ofSeconds(1))
                .toStringUtf8())
        .isEqualTo("back");
  }

  @Test
  void crashKeepsTheDiskDropsTimersAndPeersReconnectAfterRestart(@SimSeed(6) long seed) {
    Simulation sim = new Simulation(seed, FAST);
    SimNode<EchoApp> a = sim.addNode("a", EchoApp::new);
    List<String> ticks = new ArrayList<>();
    SimNode<EchoApp> b =
        sim.addNode(
            "b",
            ctx -> {
              EchoApp app = new EchoApp(ctx);
              ctx.scheduler()
                  .schedule(Duration.ofSeconds(5), () -> ticks.add("b" + ctx.incarnation()));
              return app.keepConnected(sim.node("a").address());
            });
    assertThat(sim.runUntil(() -> a.transport().isConnected(b.id()), Duration.ofSeconds(1)))
        .isTrue();
    assertThat(b.app().boots).isEqualTo(1);

    sim.crash(b);
    assertThat(b.isUp()).isFalse();
    assertThat(a.transport().peers()).as("no goodbye: a does not know yet").contains(b.id());
    sim.run(Duration.ofSeconds(10));
    assertThat(a.transport().peers()).as("a's idle timeout noticed").isEmpty();
    assertThat(ticks).as("the dead incarnation's timer did not fire").isEmpty();

    sim.restart(b);
    assertThat(b.incarnation()).isEqualTo(2);
    assertThat(b.app().boots).as("the disk survived the crash").isEqualTo(2);
    assertThat(
            sim.runUntil(
                () -> a.transport().isConnected(b.id()) && b.transport().isConnected(a.id()),
                Duration.ofSeconds(5)))
        .isTrue();
    sim.run(Duration.ofSeconds(5));
    assertThat(ticks).containsExactly("b2");
  }

  @Test
  void aFrameToARestartedNodeIsAnsweredWithAReset(@SimSeed(7) long seed) {
    Simulation sim = twoNodes(seed, FAST);
    SimNode<EchoApp> a = node(sim, "a");
    SimNode<EchoApp> b = node(sim, "b");
    connect(sim, a, b);
    sim.crash(b);
    sim.restart(b); // the new incarnation does not know the old connection
    long sent = sim.nanos();
    a.transport().send(b.id(), ECHO, utf8("to the old b"));
    assertThat(sim.runUntil(() -> !a.transport().isConnected(b.id()), Duration.ofSeconds(1)))
        .isTrue();
    assertThat(sim.nanos() - sent).isEqualTo(LATENCY.multipliedBy(2).toNanos());
    assertThat(a.app().events).last().asString().contains("reset");
    assertThat(b.app().received).isEmpty();
    connect(sim, a, b);
  }

  @Test
  void simultaneousDialsEndWithOneConnection(@SimSeed(12) long seed) {
    Simulation sim = twoNodes(seed, TransportConfig.DEFAULT);
    SimNode<EchoApp> a = node(sim, "a");
    SimNode<EchoApp> b = node(sim, "b");
    CompletableFuture<NodeId> ab = a.transport().connect(b.address());
    CompletableFuture<NodeId> ba = b.transport().connect(a.address());
    assertThat(await(sim, ab, Duration.ofSeconds(1))).isEqualTo(b.id());
    assertThat(await(sim, ba, Duration.ofSeconds(1))).isEqualTo(a.id());
    sim.run(Duration.ofSeconds(1));
    assertThat(a.transport().peers()).containsExactly(b.id());
    assertThat(b.transport().peers()).containsExactly(a.id());
    assertThat(
            await(
                    sim,
                    b.transport().request(a.id(), ECHO, utf8("one"), Duration.ofSeconds(1)),
                    Duration.ofSeconds(1))
                .toStringUtf8())
        .isEqualTo("one");
  }

  @Test
  void aStoppedNodeSaysGoodbyeAndClosesItsApp(@SimSeed(13) long seed) {
    Simulation sim = new Simulation(seed);
    sim.network().setDefaultLink(LinkModel.of(Latency.fixed(LATENCY)));
    SimNode<EchoApp> a = sim.addNode("a", EchoApp::new);
    List<String> closed = new ArrayList<>();
    SimNode<AutoCloseable> b =
        sim.addNode(
            "b",
            ctx -> {
              new EchoApp(ctx);
              return () -> closed.add(ctx.name());
            });
    assertThat(await(sim, a.transport().connect(b.address()), Duration.ofSeconds(1)))
        .isEqualTo(b.id());
    sim.stop(b);
    assertThat(closed).containsExactly("b");
    sim.run(LATENCY);
    assertThat(a.transport().peers()).isEmpty();
    assertThat(a.app().events).last().asString().contains("peer said goodbye: transport closed");
  }

  @Test
  void aBanDropsThePeerAndExpiresInVirtualTime(@SimSeed(14) long seed) {
    Simulation sim = twoNodes(seed, TransportConfig.DEFAULT);
    SimNode<EchoApp> a = node(sim, "a");
    SimNode<EchoApp> b = node(sim, "b");
    connect(sim, a, b);
    b.transport().peerManager().report(a.id(), Offence.INVALID_PROOF, "lie 1");
    b.transport().peerManager().report(a.id(), Offence.INVALID_PROOF, "lie 2");
    sim.run(Duration.ofSeconds(1));
    assertThat(a.transport().peers()).isEmpty();
    assertThat(a.app().events).last().asString().contains("peer said goodbye: banned");
    TransportException e = failure(sim, a.transport().connect(b.address()), Duration.ofSeconds(1));
    assertThat(e.failure()).isEqualTo(Failure.REFUSED);
    assertThat(e.getMessage()).contains("refused by b").contains("banned");
    assertThat(failure(sim, b.transport().connect(a.address()), Duration.ZERO).failure())
        .isEqualTo(Failure.REFUSED);
    sim.run(PeerManager.Config.DEFAULT.banDuration());
    connect(sim, a, b);
  }

  @Test
  void connectFailsOnAWrongIdADownHostAndAnUnknownHost(@SimSeed(8) long seed) {
    Simulation sim = twoNodes(seed, FAST);
    SimNode<EchoApp> a = node(sim, "a");
    SimNode<EchoApp> b = node(sim, "b");
    NodeId impostor = a.id();
    TransportException e =
        failure(
            sim, a.transport().connect(PeerAddress.of(impostor, "b", 9000)), Duration.ofSeconds(1));
    assertThat(e.failure()).isEqualTo(Failure.REFUSED);
    assertThat(e.code()).isEqualTo(ErrorCode.VERIFICATION_FAILED);

    e = failure(sim, a.transport().connect(PeerAddress.of("nowhere", 1)), Duration.ZERO);
    assertThat(e.failure()).isEqualTo(Failure.DISCONNECTED);

    sim.run(Duration.ofSeconds(3)); // b's side of the refused connection is gone
    assertThat(b.transport().peers()).isEmpty();
    sim.crash(b);
    Duration start = sim.now();
    e = failure(sim, a.transport().connect(b.address()), Duration.ofSeconds(5));
    assertThat(e.failure()).isEqualTo(Failure.DISCONNECTED);
    assertThat(sim.now().minus(start)).isEqualTo(FAST.connectTimeout());
  }

  @Test
  void anInterceptorCanTamperWithAndDropFrames(@SimSeed(9) long seed) {
    Simulation sim = twoNodes(seed, TransportConfig.DEFAULT);
    SimNode<EchoApp> a = node(sim, "a");
    SimNode<EchoApp> b = node(sim, "b");
    connect(sim, a, b);
    sim.network()
        .setInterceptor(
            (from, to, env) -> {
              if (!from.equals(a.id()) || env.getProtocolValue() != ECHO.value()) {
                return env;
              }
              String text = env.getPayload().toStringUtf8();
              if (text.equals("drop me")) {
                return null;
              }
              return env.toBuilder().setPayload(utf8(text.replace("pay 1", "pay 1000"))).build();
            });
    List<Trace.Event> tampered = new ArrayList<>();
    sim.trace()
        .addListener(
            ev -> {
              if (ev.kind() == Trace.Kind.TAMPER) {
                tampered.add(ev);
              }
            });
    a.transport().send(b.id(), ECHO, utf8("pay 1 coin"));
    a.transport().send(b.id(), ECHO, utf8("drop me"));
    a.transport().send(b.id(), ECHO, utf8("hello"));
    sim.run(Duration.ofSeconds(1));
    assertThat(b.app().texts()).containsExactly("pay 1000 coin", "hello");
    assertThat(tampered).hasSize(1);
    assertThat(tampered.get(0).from()).isEqualTo("a");
  }

  @Test
  void aRunawayProtocolFailsNamingTheSeed(@SimSeed(10) long seed) {
    Simulation sim = new Simulation(seed);
    sim.setEventLimit(10_000);
    sim.addNode(
        "spinner",
        ctx -> {
          Runnable[] spin = new Runnable[1];
          spin[0] = () -> ctx.scheduler().execute(spin[0]);
          spin[0].run();
          return spin;
        });
    assertThatThrownBy(() -> sim.run(Duration.ofSeconds(1)))
        .isInstanceOf(SimulationException.class)
        .hasMessageContaining("simulation seed=" + seed + "; replay with -Dferry.sim.seed=" + seed);
  }

  @Test
  void aSeedReplaysExactlyAndAnotherSeedDiffers(@SimSeed(11) long seed) {
    Hash first = smallScenario(seed);
    assertThat(smallScenario(seed)).isEqualTo(first);
    assertThat(smallScenario(seed + 1)).isNotEqualTo(first);
  }

  /** Twelve nodes on a lossy, jittery, reordering network, with a crash, a restart and a cut. */
  private static Hash smallScenario(long seed) {
    Simulation sim = new Simulation(seed, FAST);
    sim.network()
        .setDefaultLink(
            LinkModel.of(Latency.logNormal(LATENCY, 0.5))
                .withBandwidth(10_000_000)
                .withLoss(0.1)
                .withReordering(0.1, Duration.ofMillis(20)));
    List<SimNode<EchoApp>> nodes = new ArrayList<>();
    for (int i = 0; i < 12; i++) {
      String next = "n" + ((i + 1) % 12);
      nodes.add(sim.addNode("n" + i, ctx -> chatty(sim, ctx, next)));
    }
    sim.schedule(Duration.ofSeconds(10), () -> sim.crash(nodes.get(3)));
    sim.schedule(
        Duration.ofSeconds(12), () -> sim.partition(nodes.subList(0, 6), nodes.subList(6, 12)));
    sim.schedule(Duration.ofSeconds(15), () -> sim.restart(nodes.get(3)));
    sim.schedule(Duration.ofSeconds(25), sim::heal);
    sim.run(Duration.ofSeconds(40));
    assertThat(nodes).allMatch(n -> n.app().received.size() > 10);
    return sim.traceHash();
  }

  /** Keeps a connection to {@code next} and every half second or so talks to a random peer. */
  private static EchoApp chatty(Simulation sim, NodeContext ctx, String next) {
    EchoApp app = new EchoApp(ctx);
    ctx.scheduler().execute(() -> app.keepConnected(sim.node(next).address()));
    Runnable[] talk = new Runnable[1];
    talk[0] =
        () -> {
          List<NodeId> peers = new ArrayList<>(ctx.transport().peers());
          if (!peers.isEmpty()) {
            NodeId peer = peers.get(ctx.random().nextInt(peers.size()));
            String text = ctx.name() + "@" + ctx.clock().nanos();
            if (ctx.random().nextInt(2) == 0) {
              ctx.transport().send(peer, ECHO, utf8(text));
            } else {
              ctx.transport()
                  .request(peer, ECHO, utf8(text), Duration.ofSeconds(1))
                  .whenComplete((r, e) -> app.events.add(e == null ? "answer" : "failed"));
            }
          }
          ctx.scheduler().schedule(Duration.ofMillis(250 + ctx.random().nextInt(500)), talk[0]);
        };
    talk[0].run();
    return app;
  }
}
