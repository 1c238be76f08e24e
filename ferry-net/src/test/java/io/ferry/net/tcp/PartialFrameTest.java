package io.ferry.net.tcp;

import static org.assertj.core.api.Assertions.assertThat;
import static org.awaitility.Awaitility.await;

import com.google.protobuf.ByteString;
import io.ferry.core.identity.NodeId;
import io.ferry.core.identity.NodeKey;
import io.ferry.net.ProtocolHandler;
import io.ferry.net.ProtocolId;
import io.ferry.net.Responder;
import io.ferry.net.TransportConfig;
import java.net.InetSocketAddress;
import java.nio.ByteBuffer;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.Executors;
import java.util.concurrent.ScheduledExecutorService;
import java.util.concurrent.TimeUnit;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;

/**
 * Authenticated peers that start large frames and never finish them, over loopback: the node holds
 * their bytes for a bounded time, and all such frames together within a bounded budget.
 */
@Timeout(60)
class PartialFrameTest {
  private static final InetSocketAddress ANY = new InetSocketAddress("127.0.0.1", 0);
  private static final int FRAME = 1 << 20;
  private static final TransportConfig BASE =
      TransportConfig.DEFAULT
          .withTimeouts(Duration.ofSeconds(5), Duration.ofSeconds(30), Duration.ofSeconds(10))
          .withMaxFrameBytes(FRAME);

  private final List<AutoCloseable> toClose = new ArrayList<>();

  @AfterEach
  void closeAll() throws Exception {
    for (int i = toClose.size() - 1; i >= 0; i--) {
      toClose.get(i).close();
    }
  }

  private NettyTransport node(TransportConfig config) {
    NettyTransport t = NettyTransport.start(NodeKey.generate(), ANY, config);
    toClose.add(t);
    t.register(
        ProtocolId.PROOF_SYNC,
        new ProtocolHandler() {
          @Override
          public void onRequest(NodeId from, ByteString payload, Responder r) {
            r.respond(payload);
          }
        });
    return t;
  }

  /** An authenticated peer that sends the header of a frame of {@code length} and 64 KiB of it. */
  private RawTlsClient startFrame(NettyTransport to, int length) throws Exception {
    RawTlsClient c = new RawTlsClient(NodeKey.generate(), to.localAddress());
    toClose.add(c);
    c.handshake.get(10, TimeUnit.SECONDS);
    c.write(ByteBuffer.allocate(4 + (64 << 10)).putInt(length).array());
    return c;
  }

  @Test
  void aFrameThatStallsIsClosedAtTheDeadlineEvenWhileBytesTrickleIn() throws Exception {
    Duration deadline = Duration.ofSeconds(2);
    NettyTransport b = node(BASE.withPartialFrames(8L * FRAME, deadline));
    try (LogCapture logs = new LogCapture(ConnectionHandler.class)) {
      // Before the frame starts, so the node's deadline starts later.
      long start = System.nanoTime();
      RawTlsClient stalling = startFrame(b, FRAME);

      // One byte every 100 ms: each resets the idle timer, none finishes the frame.
      ScheduledExecutorService trickle = Executors.newSingleThreadScheduledExecutor();
      toClose.add(trickle::shutdownNow);
      trickle.scheduleAtFixedRate(
          () -> stalling.write(new byte[] {0}), 100, 100, TimeUnit.MILLISECONDS);

      stalling.closed.get(10, TimeUnit.SECONDS);
      assertThat(Duration.ofNanos(System.nanoTime() - start)).isGreaterThanOrEqualTo(deadline);
      // Closed by the frame deadline, not by any other timeout.
      await()
          .atMost(Duration.ofSeconds(5))
          .until(() -> logs.contains("did not finish within " + deadline.toSeconds() + "s"));
    }
    await().atMost(Duration.ofSeconds(5)).until(() -> b.partialFrameBytes() == 0);
    assertThat(b.peers()).isEmpty();
  }

  @Test
  void theBudgetRefusesTheNextLargePartialFrameAndSmallFramesStillFlow() throws Exception {
    NettyTransport b = node(BASE.withPartialFrames(3L * FRAME, Duration.ofSeconds(30)));
    List<RawTlsClient> holding = new ArrayList<>();
    for (int i = 0; i < 3; i++) {
      holding.add(startFrame(b, FRAME));
    }
    await().atMost(Duration.ofSeconds(5)).until(() -> b.partialFrameBytes() == 3L * FRAME);

    try (LogCapture logs = new LogCapture(ConnectionHandler.class)) {
      RawTlsClient fourth = startFrame(b, FRAME);
      fourth.closed.get(10, TimeUnit.SECONDS);
      await().atMost(Duration.ofSeconds(5)).until(() -> logs.contains("partly received"));
    }
    assertThat(holding).noneMatch(c -> c.closed.isDone());
    assertThat(b.partialFrameBytes()).isEqualTo(3L * FRAME);

    // Small frames do not need the budget: a peer's requests still get answers.
    NettyTransport a = node(BASE);
    a.connect(b.address()).get(10, TimeUnit.SECONDS);
    assertThat(
            a.request(
                    b.localId(),
                    ProtocolId.PROOF_SYNC,
                    ByteString.copyFromUtf8("still here"),
                    Duration.ofSeconds(5))
                .get(10, TimeUnit.SECONDS)
                .toStringUtf8())
        .isEqualTo("still here");

    // A closed connection gives its share back.
    holding.get(0).close();
    await().atMost(Duration.ofSeconds(5)).until(() -> b.partialFrameBytes() == 2L * FRAME);
    startFrame(b, FRAME);
    await().atMost(Duration.ofSeconds(5)).until(() -> b.partialFrameBytes() == 3L * FRAME);
  }
}
