package io.ferry.net.engine;

import static org.assertj.core.api.Assertions.assertThat;

import io.ferry.core.identity.NodeId;
import io.ferry.core.identity.NodeKey;
import io.ferry.core.runtime.ExecutorScheduler;
import io.ferry.net.TransportConfig;
import io.ferry.net.metrics.TransportMetrics;
import io.ferry.net.peers.PeerManager;
import io.ferry.wire.v1.Envelope;
import java.util.concurrent.CompletableFuture;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.Test;

/** The engine's session bookkeeping, with links that close the way a socket does: later. */
class EngineTest {
  private final ExecutorScheduler scheduler = new ExecutorScheduler("engine-test", 1);

  @AfterEach
  void close() {
    scheduler.close();
  }

  /** A link whose close, like a Netty channel's, reaches the engine only later. */
  private static final class LaterLink implements Link {
    final NodeId remote;
    final boolean outbound;
    volatile String closedWith;

    LaterLink(NodeId remote, boolean outbound) {
      this.remote = remote;
      this.outbound = outbound;
    }

    @Override
    public NodeId remote() {
      return remote;
    }

    @Override
    public boolean outbound() {
      return outbound;
    }

    @Override
    public String address() {
      return "test";
    }

    @Override
    public CompletableFuture<Void> write(Envelope envelope) {
      return CompletableFuture.completedFuture(null);
    }

    @Override
    public void close(String reason) {
      if (closedWith == null) {
        closedWith = reason;
      }
    }
  }

  private Engine engine(NodeId local, TransportMetrics metrics) {
    return new Engine(
        local, TransportConfig.DEFAULT, scheduler, new PeerManager(scheduler.clock()), metrics);
  }

  @Test
  void aClosedEngineRefusesALinkThatWouldReplaceAnOpenOne() {
    Engine engine = engine(NodeKey.generate().id(), TransportMetrics.standalone());
    NodeId peer = NodeKey.generate().id();
    LaterLink first = new LaterLink(peer, true);
    assertThat(engine.attach(first)).isTrue();

    engine.close("node shutting down");
    assertThat(first.closedWith).isEqualTo("node shutting down");
    // The first link's close has not reached the engine yet, and a new link arrives.
    LaterLink second = new LaterLink(peer, true);

    assertThat(engine.attach(second)).isFalse();
    assertThat(second.closedWith).isNotNull();
  }

  @Test
  void replacingALinkOfTheOtherDirectionMovesTheConnectionGauge() {
    NodeId a = NodeKey.generate().id();
    NodeId b = NodeKey.generate().id();
    NodeId local = a.compareTo(b) < 0 ? a : b;
    NodeId peer = a.compareTo(b) < 0 ? b : a;
    TransportMetrics metrics = TransportMetrics.standalone();
    Engine engine = engine(local, metrics);
    // Simultaneous dials: the peer's dial attaches first; ours (smaller id) replaces it.
    LaterLink theirs = new LaterLink(peer, false);
    LaterLink ours = new LaterLink(peer, true);
    assertThat(engine.attach(theirs)).isTrue();
    assertThat(engine.attach(ours)).isTrue();
    assertThat(theirs.closedWith).isEqualTo("duplicate connection");

    assertThat(metrics.value("connections", "in")).isEqualTo(0.0);
    assertThat(metrics.value("connections", "out")).isEqualTo(1.0);
    engine.onClosed(theirs, "duplicate connection");
    engine.onClosed(ours, "gone");
    assertThat(metrics.value("connections", "in")).isEqualTo(0.0);
    assertThat(metrics.value("connections", "out")).isEqualTo(0.0);
  }
}
