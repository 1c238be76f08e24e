package io.ferry.net.tcp;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;
import static org.awaitility.Awaitility.await;

import io.ferry.core.identity.NodeKey;
import io.ferry.core.log.RateLimitedLog;
import io.ferry.net.TransportConfig;
import java.io.IOException;
import java.net.InetSocketAddress;
import java.net.Socket;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.TimeUnit;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;

/**
 * Hosts that open connections and never finish their TLS handshake, over loopback: 127.0.0.0/8 is
 * all loopback on Linux, so 127.0.0.1, 127.0.0.2 and 127.0.1.x act as different hosts.
 */
@Timeout(60)
class HandshakeFloodTest {
  private static final InetSocketAddress ANY = new InetSocketAddress("127.0.0.1", 0);
  private static final TransportConfig CONFIG =
      TransportConfig.DEFAULT
          .withTimeouts(Duration.ofSeconds(20), Duration.ofSeconds(30), Duration.ofSeconds(10))
          // Long enough that the silent connections of a test hold their slots throughout.
          .withInboundHandshakeTimeout(Duration.ofSeconds(20));

  private final List<AutoCloseable> toClose = new ArrayList<>();

  @AfterEach
  void closeAll() throws Exception {
    for (int i = toClose.size() - 1; i >= 0; i--) {
      toClose.get(i).close();
    }
  }

  private NettyTransport node() {
    return node(CONFIG);
  }

  private NettyTransport node(TransportConfig config) {
    NettyTransport t = NettyTransport.start(NodeKey.generate(), ANY, config);
    toClose.add(t);
    return t;
  }

  /** A TCP connection from {@code host} that sends the start of a ClientHello and then nothing. */
  private Socket silent(String host, NettyTransport to) throws IOException {
    Socket s = new Socket();
    toClose.add(s);
    s.bind(new InetSocketAddress(host, 0));
    s.connect(to.localAddress());
    // A handshake record header announcing 512 bytes, and 4 of them.
    s.getOutputStream()
        .write(new byte[] {0x16, 0x03, 0x01, 0x02, 0x00, 0x01, 0x00, 0x01, (byte) 0xfc});
    s.getOutputStream().flush();
    return s;
  }

  private RawTlsClient peerFrom(String host, NettyTransport to) throws InterruptedException {
    RawTlsClient c =
        new RawTlsClient(NodeKey.generate(), to.localAddress(), new InetSocketAddress(host, 0));
    toClose.add(c);
    return c;
  }

  /** Waits until the node has taken or refused every one of {@code opened} connections. */
  private static void allSeen(NettyTransport t, int opened) {
    await()
        .atMost(Duration.ofSeconds(20))
        .until(
            () ->
                t.pendingInboundHandshakes() + t.metrics().value("connection_events", "refused")
                    >= opened);
  }

  @Test
  void oneHostHoldingHandshakesLeavesRoomForPeersElsewhere() throws Exception {
    NettyTransport b = node();
    int flood = 200;
    for (int i = 0; i < flood; i++) {
      silent("127.0.0.1", b);
    }
    allSeen(b, flood);
    assertThat(b.pendingInboundHandshakes()).isLessThanOrEqualTo(HandshakeSlots.MAX_PER_ADDRESS);

    RawTlsClient peer = peerFrom("127.0.0.2", b);
    peer.handshake.get(10, TimeUnit.SECONDS);
    await().atMost(Duration.ofSeconds(5)).until(() -> b.peers().size() == 1);
  }

  @Test
  void strangersFromManyHostsCannotTakeTheSlotsKeptForKnownPeers() throws Exception {
    NettyTransport b = node();
    // A peer that has connected before, from 127.0.0.2.
    RawTlsClient before = peerFrom("127.0.0.2", b);
    before.handshake.get(10, TimeUnit.SECONDS);
    await().atMost(Duration.ofSeconds(5)).until(() -> b.peers().size() == 1);
    before.close();
    await().atMost(Duration.ofSeconds(5)).until(() -> b.peers().isEmpty());
    double refusedBefore = b.metrics().value("connection_events", "refused");

    // 40 hosts, each within the per-address cap, more than every slot together.
    int opened = 0;
    for (int host = 1; host <= 40; host++) {
      for (int i = 0; i < HandshakeSlots.MAX_PER_ADDRESS; i++) {
        silent("127.0.1." + host, b);
        opened++;
      }
    }
    int total = opened;
    await()
        .atMost(Duration.ofSeconds(20))
        .until(
            () ->
                b.pendingInboundHandshakes()
                        + b.metrics().value("connection_events", "refused")
                        - refusedBefore
                    >= total);
    assertThat(b.pendingInboundHandshakes()).isLessThan(HandshakeSlots.MAX_PENDING);

    // A stranger finds the slots full; the known peer still gets in.
    RawTlsClient stranger = peerFrom("127.0.0.3", b);
    assertThatThrownBy(() -> stranger.handshake.get(10, TimeUnit.SECONDS));
    RawTlsClient known = peerFrom("127.0.0.2", b);
    known.handshake.get(10, TimeUnit.SECONDS);
    await().atMost(Duration.ofSeconds(5)).until(() -> b.peers().size() == 1);
  }

  @Test
  void inboundHandshakesHaveAShorterDeadlineThanDials() throws Exception {
    Duration deadline = Duration.ofSeconds(2);
    NettyTransport b = node(CONFIG.withInboundHandshakeTimeout(deadline));
    try (LogCapture logs = new LogCapture(ConnectionHandler.class)) {
      // Before the connection opens, so the node's deadline starts later.
      long start = System.nanoTime();
      Socket s = silent("127.0.0.4", b);
      s.setSoTimeout(15_000);
      // The node gives up on the silent handshake and closes (perhaps after an alert): the read
      // ends with EOF or a reset, not with the socket's timeout.
      try {
        s.getInputStream().readAllBytes();
      } catch (java.net.SocketTimeoutException e) {
        throw new AssertionError("the node kept the silent connection open", e);
      } catch (java.net.SocketException reset) {
        // closed too
      }
      assertThat(Duration.ofNanos(System.nanoTime() - start)).isGreaterThanOrEqualTo(deadline);
      // The inbound deadline closed it, not the longer one of dials (CONFIG's connect timeout).
      await()
          .atMost(Duration.ofSeconds(5))
          .until(() -> logs.contains("timed out after " + deadline.toMillis() + "ms"));
    }
    await().atMost(Duration.ofSeconds(5)).until(() -> b.pendingInboundHandshakes() == 0);
  }

  @Test
  void aFloodOfRefusedConnectionsWritesABoundedNumberOfLogLines() throws Exception {
    NettyTransport b = node();
    NodeKey banned = NodeKey.generate();
    b.peerManager().ban(banned.id(), Duration.ofMinutes(10), "test");
    try (LogCapture logs =
        new LogCapture(
            NettyTransport.class,
            ConnectionHandler.class,
            io.ferry.net.engine.Engine.class,
            io.ferry.net.peers.PeerManager.class)) {
      // Silent connections from one host: all but a few refused at once, the rest fail their
      // handshake when they close.
      int silent = 300;
      List<Socket> sockets = new ArrayList<>();
      for (int i = 0; i < silent; i++) {
        sockets.add(silent("127.0.0.1", b));
      }
      allSeen(b, silent);
      for (Socket s : sockets) {
        s.close();
      }
      // A banned peer that keeps coming back.
      int returns = 30;
      for (int i = 0; i < returns; i++) {
        RawTlsClient c = new RawTlsClient(banned, b.localAddress());
        c.closed.get(10, TimeUnit.SECONDS);
        c.close();
      }
      await()
          .atMost(Duration.ofSeconds(10))
          .until(() -> b.metrics().value("connection_events", "refused") >= silent - 4 + returns);
      await().atMost(Duration.ofSeconds(10)).until(() -> b.pendingInboundHandshakes() == 0);
      // Three kinds of line (refused at accept, handshake failed, refused a banned peer), each
      // within its budget, instead of one line per connection.
      assertThat(logs.lines()).hasSizeLessThanOrEqualTo(3 * RateLimitedLog.DEFAULT_LINES);
      assertThat(logs.contains("refused inbound connection from")).isTrue();
      assertThat(logs.contains("banned")).isTrue();
    }
  }
}
