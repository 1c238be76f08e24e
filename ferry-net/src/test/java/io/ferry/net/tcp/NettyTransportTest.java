package io.ferry.net.tcp;

import static org.assertj.core.api.Assertions.assertThat;
import static org.awaitility.Awaitility.await;

import com.google.protobuf.ByteString;
import io.ferry.core.ErrorCode;
import io.ferry.core.identity.NodeId;
import io.ferry.core.identity.NodeKey;
import io.ferry.core.runtime.ExecutorScheduler;
import io.ferry.core.runtime.SeededRandomSource;
import io.ferry.net.PeerAddress;
import io.ferry.net.PeerListener;
import io.ferry.net.ProtocolHandler;
import io.ferry.net.ProtocolId;
import io.ferry.net.Responder;
import io.ferry.net.TransportConfig;
import io.ferry.net.TransportException;
import io.ferry.net.TransportException.Failure;
import io.ferry.net.peers.Backoff;
import io.ferry.net.peers.PeerKeeper;
import java.io.OutputStream;
import java.net.InetSocketAddress;
import java.net.Socket;
import java.nio.ByteBuffer;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.Random;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.CountDownLatch;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicInteger;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;

/** The real transport over loopback sockets: handshakes, framing, limits, failures, recovery. */
@Timeout(60)
class NettyTransportTest {
  private static final ProtocolId ECHO = ProtocolId.PROOF_SYNC;
  private static final InetSocketAddress ANY = new InetSocketAddress("127.0.0.1", 0);
  private static final TransportConfig CONFIG =
      TransportConfig.DEFAULT.withTimeouts(
          Duration.ofSeconds(5), Duration.ofSeconds(20), Duration.ofSeconds(5));

  private final List<AutoCloseable> toClose = new ArrayList<>();

  @AfterEach
  void closeAll() throws Exception {
    for (int i = toClose.size() - 1; i >= 0; i--) {
      toClose.get(i).close();
    }
  }

  private NettyTransport node(NodeKey key, InetSocketAddress bind, TransportConfig config) {
    NettyTransport t = NettyTransport.start(key, bind, config);
    toClose.add(t);
    return t;
  }

  private NettyTransport echoNode() {
    NettyTransport t = node(NodeKey.generate(), ANY, CONFIG);
    t.register(ECHO, echo());
    return t;
  }

  private static ProtocolHandler echo() {
    return new ProtocolHandler() {
      @Override
      public void onRequest(NodeId from, ByteString payload, Responder r) {
        r.respond(payload);
      }
    };
  }

  private static TransportException failure(CompletableFuture<?> f) {
    try {
      f.get(30, TimeUnit.SECONDS);
    } catch (java.util.concurrent.ExecutionException e) {
      assertThat(e.getCause()).isInstanceOf(TransportException.class);
      return (TransportException) e.getCause();
    } catch (Exception e) {
      throw new AssertionError(e);
    }
    throw new AssertionError("expected a failure");
  }

  @Test
  void handshakeAuthenticatesBothSidesAndRequestsWork() throws Exception {
    NettyTransport a = echoNode();
    NettyTransport b = echoNode();
    assertThat(a.connect(b.address()).get(10, TimeUnit.SECONDS)).isEqualTo(b.localId());
    await().atMost(Duration.ofSeconds(5)).until(() -> b.peers().contains(a.localId()));
    ByteString reply =
        a.request(b.localId(), ECHO, ByteString.copyFromUtf8("ping"), Duration.ofSeconds(5))
            .get(10, TimeUnit.SECONDS);
    assertThat(reply.toStringUtf8()).isEqualTo("ping");
    // And the other way, on the same connection.
    assertThat(
            b.request(a.localId(), ECHO, ByteString.copyFromUtf8("pong"), Duration.ofSeconds(5))
                .get(10, TimeUnit.SECONDS)
                .toStringUtf8())
        .isEqualTo("pong");
    assertThat(a.ioBackend()).isIn("epoll", "nio");
    assertThat(a.metrics().value("frames", "proof_sync", "out", "request")).isEqualTo(1.0);
  }

  @Test
  void wrongKeyInTheHandshakeIsRefusedAndLogged() {
    NettyTransport a = echoNode();
    NettyTransport b = echoNode();
    NodeId someoneElse = NodeKey.generate().id();
    try (LogCapture logs = new LogCapture(ConnectionHandler.class)) {
      TransportException e =
          failure(a.connect(PeerAddress.of(someoneElse, "127.0.0.1", b.localAddress().getPort())));
      assertThat(e.failure()).isEqualTo(Failure.REFUSED);
      assertThat(e.code()).isEqualTo(ErrorCode.VERIFICATION_FAILED);
      assertThat(e.getMessage()).contains(b.localId().toString()).contains(someoneElse.toString());
      assertThat(logs.contains("not the expected " + someoneElse)).isTrue();
    }
    assertThat(a.peers()).isEmpty();
  }

  @Test
  void concurrentDialsToOneAddressEachCheckTheirOwnExpectedId() throws Exception {
    NettyTransport a = echoNode();
    NettyTransport b = echoNode();
    NodeId someoneElse = NodeKey.generate().id();
    int port = b.localAddress().getPort();
    // Both dials are under way at once: the second must not take the first one's result.
    CompletableFuture<NodeId> anyone = a.connect(PeerAddress.of("127.0.0.1", port));
    CompletableFuture<NodeId> wrong = a.connect(PeerAddress.of(someoneElse, "127.0.0.1", port));
    assertThat(anyone.get(10, TimeUnit.SECONDS)).isEqualTo(b.localId());
    TransportException e = failure(wrong);
    assertThat(e.failure()).isEqualTo(Failure.REFUSED);
    assertThat(e.code()).isEqualTo(ErrorCode.VERIFICATION_FAILED);

    // And the other way round: a dial expecting the wrong id does not fail one that expects none.
    NettyTransport c = echoNode();
    int cPort = c.localAddress().getPort();
    CompletableFuture<NodeId> wrongFirst =
        a.connect(PeerAddress.of(someoneElse, "127.0.0.1", cPort));
    CompletableFuture<NodeId> anyoneAfter = a.connect(PeerAddress.of("127.0.0.1", cPort));
    assertThat(failure(wrongFirst).code()).isEqualTo(ErrorCode.VERIFICATION_FAILED);
    assertThat(anyoneAfter.get(10, TimeUnit.SECONDS)).isEqualTo(c.localId());
  }

  @Test
  void oversizedFrameClosesTheConnectionOnItsHeader() throws Exception {
    NettyTransport b = echoNode();
    try (LogCapture logs = new LogCapture(ConnectionHandler.class);
        RawTlsClient raw = new RawTlsClient(NodeKey.generate(), b.localAddress())) {
      raw.handshake.get(10, TimeUnit.SECONDS);
      // Only the 4-byte header of a 1 GiB frame: the server must not wait for (or buffer) it.
      raw.write(ByteBuffer.allocate(4).putInt(1 << 30).array());
      raw.closed.get(10, TimeUnit.SECONDS);
      await().atMost(Duration.ofSeconds(5)).until(() -> logs.contains("1073741824 bytes"));
    }
    await().atMost(Duration.ofSeconds(5)).until(() -> b.peers().isEmpty());
  }

  @Test
  void garbageBytesCloseTheConnectionAndTheNodeKeepsServing() throws Exception {
    NettyTransport b = echoNode();
    byte[] junk = new byte[4096];
    new Random(7).nextBytes(junk);
    // Garbage instead of a TLS handshake.
    try (Socket s = new Socket("127.0.0.1", b.localAddress().getPort())) {
      s.setSoTimeout(10_000);
      OutputStream out = s.getOutputStream();
      out.write(junk);
      out.flush();
      try {
        // The server answers with at most a TLS alert, then closes.
        assertThat(s.getInputStream().readAllBytes().length).isLessThan(junk.length);
      } catch (java.net.SocketException reset) {
        assertThat(reset.getMessage()).containsIgnoringCase("reset");
      }
    }
    // Garbage inside an authenticated connection: a frame that is not an envelope.
    try (RawTlsClient raw = new RawTlsClient(NodeKey.generate(), b.localAddress())) {
      raw.handshake.get(10, TimeUnit.SECONDS);
      ByteBuffer frame = ByteBuffer.allocate(4 + 64).putInt(64);
      frame.put(new byte[] {(byte) 0xff, (byte) 0xff, (byte) 0xff, (byte) 0xff});
      raw.write(frame.array());
      raw.closed.get(10, TimeUnit.SECONDS);
    }
    NettyTransport a = echoNode();
    a.connect(b.address()).get(10, TimeUnit.SECONDS);
    assertThat(
            a.request(b.localId(), ECHO, ByteString.copyFromUtf8("ok"), Duration.ofSeconds(5))
                .get(10, TimeUnit.SECONDS)
                .toStringUtf8())
        .isEqualTo("ok");
  }

  @Test
  void slowReaderBoundsTheSendersBuffer() throws Exception {
    TransportConfig small = CONFIG.withMaxFrameBytes(1 << 20).withMaxOutboundBufferBytes(4L << 20);
    NettyTransport a = node(NodeKey.generate(), ANY, small);
    NettyTransport b = node(NodeKey.generate(), ANY, small);
    CountDownLatch release = new CountDownLatch(1);
    AtomicInteger received = new AtomicInteger();
    b.register(
        ProtocolId.GOSSIP,
        new ProtocolHandler() {
          @Override
          public void onMessage(NodeId from, ByteString payload) {
            received.incrementAndGet();
            try {
              release.await(); // a reader that stops reading: its event loop is stuck here
            } catch (InterruptedException e) {
              Thread.currentThread().interrupt();
            }
          }
        });
    b.register(ECHO, echo());
    a.connect(b.address()).get(10, TimeUnit.SECONDS);
    ByteString chunk = ByteString.copyFrom(new byte[1 << 19]);
    long accepted = 0;
    TransportException overloaded = null;
    for (int i = 0; i < 10_000 && overloaded == null; i++) {
      CompletableFuture<Void> f = a.send(b.localId(), ProtocolId.GOSSIP, chunk);
      if (f.isCompletedExceptionally()) {
        overloaded = failure(f);
      } else {
        accepted += chunk.size();
      }
    }
    assertThat(overloaded).isNotNull();
    assertThat(overloaded.failure()).isEqualTo(Failure.OVERLOADED);
    // What was accepted is bounded by our buffer plus what the kernel's socket buffers took.
    assertThat(accepted).isLessThan(512L << 20);
    release.countDown();
    long sent = accepted;
    await()
        .atMost(Duration.ofSeconds(20))
        .until(() -> received.get() * (long) chunk.size() >= sent);
    assertThat(
            a.request(b.localId(), ECHO, ByteString.copyFromUtf8("alive"), Duration.ofSeconds(5))
                .get(10, TimeUnit.SECONDS)
                .toStringUtf8())
        .isEqualTo("alive");
  }

  @Test
  void egressCapSlowsWhatAConnectionSendsAndUncappedPeersAreNotSlowed() throws Exception {
    long cap = 1L << 20; // 1 MiB/s
    NettyTransport a = node(NodeKey.generate(), ANY, CONFIG.withEgressBytesPerSecond(cap));
    NettyTransport b = node(NodeKey.generate(), ANY, CONFIG);
    AtomicInteger atB = new AtomicInteger();
    AtomicInteger atA = new AtomicInteger();
    CountDownLatch bGotAll = new CountDownLatch(1);
    CountDownLatch aGotAll = new CountDownLatch(1);
    int messages = 12;
    ByteString piece = ByteString.copyFrom(new byte[256 << 10]); // 12 x 256 KiB = 3 MiB
    b.register(ProtocolId.GOSSIP, counting(atB, messages, bGotAll));
    a.register(ProtocolId.GOSSIP, counting(atA, messages, aGotAll));
    a.connect(b.address()).get(10, TimeUnit.SECONDS);
    await().atMost(Duration.ofSeconds(5)).until(() -> b.peers().contains(a.localId()));

    long start = System.nanoTime();
    for (int i = 0; i < messages; i++) {
      b.send(a.localId(), ProtocolId.GOSSIP, piece); // b is not capped
    }
    assertThat(aGotAll.await(30, TimeUnit.SECONDS)).isTrue();
    long uncapped = System.nanoTime() - start;

    start = System.nanoTime();
    for (int i = 0; i < messages; i++) {
      a.send(b.localId(), ProtocolId.GOSSIP, piece);
    }
    assertThat(bGotAll.await(30, TimeUnit.SECONDS)).isTrue();
    long capped = System.nanoTime() - start;
    // 3 MiB at 1 MiB/s: the first check interval may pass a burst, so at least about 2 s.
    assertThat(Duration.ofNanos(capped)).isGreaterThan(Duration.ofMillis(1800));
    assertThat(capped).isGreaterThan(uncapped);
  }

  private static ProtocolHandler counting(AtomicInteger count, int expected, CountDownLatch all) {
    return new ProtocolHandler() {
      @Override
      public void onMessage(NodeId from, ByteString payload) {
        if (count.incrementAndGet() == expected) {
          all.countDown();
        }
      }
    };
  }

  @Test
  void requestTimesOutWhenTheServerNeverAnswers() throws Exception {
    NettyTransport a = echoNode();
    NettyTransport b = node(NodeKey.generate(), ANY, CONFIG);
    CountDownLatch cancelled = new CountDownLatch(1);
    b.register(
        ECHO,
        new ProtocolHandler() {
          @Override
          public void onRequest(NodeId from, ByteString payload, Responder r) {
            r.onCancel(cancelled::countDown);
          }
        });
    a.connect(b.address()).get(10, TimeUnit.SECONDS);
    TransportException e =
        failure(a.request(b.localId(), ECHO, ByteString.EMPTY, Duration.ofMillis(200)));
    assertThat(e.failure()).isEqualTo(Failure.TIMEOUT);
    assertThat(e.code()).isEqualTo(ErrorCode.TIMEOUT);
    assertThat(cancelled.await(10, TimeUnit.SECONDS)).isTrue();
  }

  @Test
  void reconnectsAfterThePeerRestarts() throws Exception {
    NodeKey bKey = NodeKey.generate();
    NettyTransport a = echoNode();
    NettyTransport b = node(bKey, ANY, CONFIG);
    b.register(ECHO, echo());
    int port = b.localAddress().getPort();
    CountDownLatch reconnected = new CountDownLatch(2);
    a.addListener(
        new PeerListener() {
          @Override
          public void onConnected(NodeId peer, boolean outbound) {
            reconnected.countDown();
          }
        });
    ExecutorScheduler timers = new ExecutorScheduler("test-redial", 1);
    toClose.add(timers);
    PeerKeeper keeper =
        new PeerKeeper(
            a,
            timers,
            new SeededRandomSource(1),
            new Backoff(Duration.ofMillis(50), Duration.ofMillis(500)));
    toClose.add(keeper);
    keeper.keep(PeerAddress.of(bKey.id(), "127.0.0.1", port));
    await().atMost(Duration.ofSeconds(10)).until(() -> a.isConnected(bKey.id()));
    b.close();
    await().atMost(Duration.ofSeconds(10)).until(() -> !a.isConnected(bKey.id()));
    NettyTransport b2 = node(bKey, new InetSocketAddress("127.0.0.1", port), CONFIG);
    b2.register(ECHO, echo());
    assertThat(reconnected.await(20, TimeUnit.SECONDS)).isTrue();
    await().atMost(Duration.ofSeconds(10)).until(() -> a.isConnected(bKey.id()));
    assertThat(
            a.request(bKey.id(), ECHO, ByteString.copyFromUtf8("back"), Duration.ofSeconds(5))
                .get(10, TimeUnit.SECONDS)
                .toStringUtf8())
        .isEqualTo("back");
  }

  @Test
  void thousandConcurrentRequestsAllComplete() throws Exception {
    NettyTransport a = echoNode();
    NettyTransport b = echoNode();
    a.connect(b.address()).get(10, TimeUnit.SECONDS);
    List<CompletableFuture<ByteString>> calls = new ArrayList<>();
    for (int i = 0; i < 1000; i++) {
      calls.add(
          a.request(b.localId(), ECHO, ByteString.copyFromUtf8("n" + i), Duration.ofSeconds(30)));
    }
    CompletableFuture.allOf(calls.toArray(CompletableFuture[]::new)).get(30, TimeUnit.SECONDS);
    for (int i = 0; i < 1000; i++) {
      assertThat(calls.get(i).get().toStringUtf8()).isEqualTo("n" + i);
    }
  }

  @Test
  void bannedPeerIsDroppedAndRefused() throws Exception {
    NettyTransport a = echoNode();
    NettyTransport b = echoNode();
    a.connect(b.address()).get(10, TimeUnit.SECONDS);
    await().atMost(Duration.ofSeconds(5)).until(() -> b.isConnected(a.localId()));
    try (LogCapture logs =
        new LogCapture(ConnectionHandler.class, io.ferry.net.peers.PeerManager.class)) {
      b.peerManager().ban(a.localId(), Duration.ofMinutes(5), "test");
      await().atMost(Duration.ofSeconds(5)).until(() -> !a.isConnected(b.localId()));
      TransportException e = failure(a.connect(b.address()));
      assertThat(e.failure()).isEqualTo(Failure.REFUSED);
      assertThat(e.getMessage()).contains("banned");
      assertThat(b.peers()).doesNotContain(a.localId());
      await()
          .atMost(Duration.ofSeconds(5))
          .until(
              () -> logs.contains("refused inbound connection from " + a.localId().shortString()));
      assertThat(logs.contains("banned peer " + a.localId().shortString())).isTrue();
    }
  }

  @Test
  void connectionLimitRefusesTheNextPeerWithItsReason() throws Exception {
    NettyTransport b =
        NettyTransport.start(
            NodeKey.generate(),
            ANY,
            CONFIG,
            new io.ferry.net.peers.PeerManager.Config(
                1, 1, Duration.ofMinutes(1), Duration.ofMinutes(1), 5),
            io.ferry.net.metrics.TransportMetrics.standalone());
    toClose.add(b);
    NettyTransport first = echoNode();
    NettyTransport second = echoNode();
    first.connect(b.address()).get(10, TimeUnit.SECONDS);
    TransportException e = failure(second.connect(b.address()));
    assertThat(e.failure()).isEqualTo(Failure.REFUSED);
    assertThat(e.getMessage()).contains("connection limit 1");
    assertThat(b.peers()).containsExactly(first.localId());
    assertThat(b.metrics().value("connection_events", "refused")).isEqualTo(1.0);
  }

  @Test
  void inboundCapRefusesTheNextDiallerButLeavesOutboundDialsFree() throws Exception {
    NettyTransport b =
        NettyTransport.start(
            NodeKey.generate(),
            ANY,
            CONFIG,
            io.ferry.net.peers.PeerManager.Config.DEFAULT.withMaxInbound(1),
            io.ferry.net.metrics.TransportMetrics.standalone());
    toClose.add(b);
    b.register(ECHO, echo());
    NettyTransport first = echoNode();
    NettyTransport second = echoNode();
    NettyTransport third = echoNode();
    first.connect(b.address()).get(10, TimeUnit.SECONDS);
    TransportException e = failure(second.connect(b.address()));
    assertThat(e.failure()).isEqualTo(Failure.REFUSED);
    assertThat(e.getMessage()).contains("inbound connection limit 1");
    // The cap is on connections peers open: b still dials out, to both.
    assertThat(b.connect(second.address()).get(10, TimeUnit.SECONDS)).isEqualTo(second.localId());
    assertThat(b.connect(third.address()).get(10, TimeUnit.SECONDS)).isEqualTo(third.localId());
    await()
        .atMost(Duration.ofSeconds(5))
        .until(
            () ->
                b.peers()
                    .equals(
                        new java.util.TreeSet<>(
                            List.of(first.localId(), second.localId(), third.localId()))));
  }

  @Test
  void simultaneousDialsLeaveOneConnection() throws Exception {
    NettyTransport a = echoNode();
    NettyTransport b = echoNode();
    for (int round = 0; round < 5; round++) {
      CompletableFuture<NodeId> ab = a.connect(b.address());
      CompletableFuture<NodeId> ba = b.connect(a.address());
      assertThat(ab.get(10, TimeUnit.SECONDS)).isEqualTo(b.localId());
      assertThat(ba.get(10, TimeUnit.SECONDS)).isEqualTo(a.localId());
      await()
          .atMost(Duration.ofSeconds(5))
          .until(() -> a.peers().size() == 1 && b.peers().size() == 1);
      assertThat(
              a.request(b.localId(), ECHO, ByteString.copyFromUtf8("x"), Duration.ofSeconds(5))
                  .get(10, TimeUnit.SECONDS)
                  .toStringUtf8())
          .isEqualTo("x");
      a.disconnect(b.localId(), "next round");
      await().atMost(Duration.ofSeconds(5)).until(() -> a.peers().isEmpty() && b.peers().isEmpty());
    }
  }

  @Test
  void closeFailsPendingRequestsAndTellsThePeer() throws Exception {
    NettyTransport a = echoNode();
    NettyTransport b = node(NodeKey.generate(), ANY, CONFIG);
    b.register(
        ECHO,
        new ProtocolHandler() {
          @Override
          public void onRequest(NodeId from, ByteString payload, Responder r) {}
        });
    List<String> reasons = new java.util.concurrent.CopyOnWriteArrayList<>();
    b.addListener(
        new PeerListener() {
          @Override
          public void onDisconnected(NodeId peer, String reason) {
            reasons.add(reason);
          }
        });
    a.connect(b.address()).get(10, TimeUnit.SECONDS);
    CompletableFuture<ByteString> pending =
        a.request(b.localId(), ECHO, ByteString.EMPTY, Duration.ofSeconds(30));
    a.close();
    assertThat(failure(pending).failure()).isEqualTo(Failure.DISCONNECTED);
    await().atMost(Duration.ofSeconds(5)).until(() -> !reasons.isEmpty());
    assertThat(reasons.get(0)).contains("goodbye").contains("shutting down");
  }
}
