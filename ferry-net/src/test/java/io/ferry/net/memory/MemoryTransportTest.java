package io.ferry.net.memory;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import com.google.protobuf.ByteString;
import io.ferry.core.ErrorCode;
import io.ferry.core.identity.NodeId;
import io.ferry.core.identity.NodeKey;
import io.ferry.net.PeerAddress;
import io.ferry.net.ProtocolHandler;
import io.ferry.net.ProtocolId;
import io.ferry.net.Responder;
import io.ferry.net.TransportConfig;
import io.ferry.net.TransportException;
import io.ferry.net.TransportException.Failure;
import io.ferry.net.peers.Offence;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.CountDownLatch;
import java.util.concurrent.ExecutionException;
import java.util.concurrent.TimeUnit;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;

class MemoryTransportTest {
  private static final ProtocolId ECHO = ProtocolId.PROOF_SYNC;
  private final MemoryNetwork network = new MemoryNetwork();
  private MemoryTransport a;
  private MemoryTransport b;

  @BeforeEach
  void start() {
    TransportConfig config = TransportConfig.DEFAULT.withMaxRequestsInFlight(16);
    a = new MemoryTransport(network, NodeKey.generate().id(), PeerAddress.of("a", 1), config);
    b = new MemoryTransport(network, NodeKey.generate().id(), PeerAddress.of("b", 1), config);
  }

  @AfterEach
  void stop() {
    a.close();
    b.close();
  }

  @Test
  void requestsAreAnsweredAndErrorsAreTyped() throws Exception {
    b.register(
        ECHO,
        new ProtocolHandler() {
          @Override
          public void onRequest(NodeId from, ByteString payload, Responder r) {
            if (payload.isEmpty()) {
              r.fail(ErrorCode.NOT_FOUND, "nothing asked");
            } else {
              r.respond(payload.concat(ByteString.copyFromUtf8("!")));
            }
          }
        });
    assertThat(a.connect(b.address().withId(b.localId())).get(5, TimeUnit.SECONDS))
        .isEqualTo(b.localId());
    assertThat(
            a.request(b.localId(), ECHO, ByteString.copyFromUtf8("hi"), Duration.ofSeconds(5))
                .get(5, TimeUnit.SECONDS)
                .toStringUtf8())
        .isEqualTo("hi!");
    assertThatThrownBy(
            () -> a.request(b.localId(), ECHO, ByteString.EMPTY, Duration.ofSeconds(5)).get())
        .cause()
        .isInstanceOfSatisfying(
            TransportException.class,
            e -> {
              assertThat(e.failure()).isEqualTo(Failure.REMOTE);
              assertThat(e.code()).isEqualTo(ErrorCode.NOT_FOUND);
            });
    assertThatThrownBy(
            () ->
                a.request(b.localId(), ProtocolId.GOSSIP, ByteString.EMPTY, Duration.ofSeconds(5))
                    .get())
        .cause()
        .isInstanceOfSatisfying(
            TransportException.class,
            e -> {
              assertThat(e.failure()).isEqualTo(Failure.REFUSED);
              assertThat(e.code()).isEqualTo(ErrorCode.UNSUPPORTED);
            });
  }

  @Test
  void unansweredRequestTimesOutAndTheServerSeesTheCancel() throws Exception {
    CountDownLatch cancelled = new CountDownLatch(1);
    b.register(
        ECHO,
        new ProtocolHandler() {
          @Override
          public void onRequest(NodeId from, ByteString payload, Responder r) {
            r.onCancel(cancelled::countDown);
          }
        });
    a.connect(b.address()).get(5, TimeUnit.SECONDS);
    CompletableFuture<ByteString> f =
        a.request(b.localId(), ECHO, ByteString.EMPTY, Duration.ofMillis(50));
    assertThatThrownBy(() -> f.get(5, TimeUnit.SECONDS))
        .cause()
        .isInstanceOfSatisfying(
            TransportException.class, e -> assertThat(e.failure()).isEqualTo(Failure.TIMEOUT));
    assertThat(cancelled.await(5, TimeUnit.SECONDS)).isTrue();
  }

  @Test
  void inFlightLimitRefusesTheExcess() throws Exception {
    List<Responder> held = new ArrayList<>();
    b.register(
        ECHO,
        new ProtocolHandler() {
          @Override
          public synchronized void onRequest(NodeId from, ByteString payload, Responder r) {
            held.add(r);
          }
        });
    a.connect(b.address()).get(5, TimeUnit.SECONDS);
    List<CompletableFuture<ByteString>> fs = new ArrayList<>();
    for (int i = 0; i < 16; i++) {
      fs.add(a.request(b.localId(), ECHO, ByteString.EMPTY, Duration.ofSeconds(10)));
    }
    assertThatThrownBy(
            () -> a.request(b.localId(), ECHO, ByteString.EMPTY, Duration.ofSeconds(10)).get())
        .cause()
        .isInstanceOfSatisfying(
            TransportException.class, e -> assertThat(e.failure()).isEqualTo(Failure.OVERLOADED));
    fs.forEach(f -> f.cancel(true));
  }

  @Test
  void disconnectFailsPendingRequestsAndBanRefusesReconnect() throws Exception {
    b.register(
        ECHO,
        new ProtocolHandler() {
          @Override
          public void onRequest(NodeId from, ByteString payload, Responder r) {}
        });
    a.connect(b.address()).get(5, TimeUnit.SECONDS);
    CompletableFuture<ByteString> f =
        a.request(b.localId(), ECHO, ByteString.EMPTY, Duration.ofSeconds(30));
    b.peerManager().report(a.localId(), Offence.INVALID_PROOF, "test lie 1");
    b.peerManager().report(a.localId(), Offence.INVALID_PROOF, "test lie 2");
    assertThat(b.peerManager().isBanned(a.localId())).isTrue();
    ExecutionException e =
        org.junit.jupiter.api.Assertions.assertThrows(
            ExecutionException.class, () -> f.get(5, TimeUnit.SECONDS));
    assertThat(((TransportException) e.getCause()).failure()).isEqualTo(Failure.DISCONNECTED);
    assertThatThrownBy(() -> a.connect(b.address()).get(5, TimeUnit.SECONDS))
        .cause()
        .isInstanceOfSatisfying(
            TransportException.class, x -> assertThat(x.failure()).isEqualTo(Failure.REFUSED));
    assertThat(a.peers()).doesNotContain(b.localId());
  }

  @Test
  void framesForUnknownProtocolsArePenalisedAndDoNotGrowTheMetricLabels() throws Exception {
    b.register(ECHO, new ProtocolHandler() {});
    a.connect(b.address()).get(5, TimeUnit.SECONDS);
    java.util.Random random = new java.util.Random(3);
    for (int i = 0; i < 50 && !b.peerManager().isBanned(a.localId()); i++) {
      ProtocolId made =
          new ProtocolId(ProtocolId.FIRST_APPLICATION_VALUE + random.nextInt(1 << 20));
      if (i % 2 == 0) {
        a.send(b.localId(), made, ByteString.copyFromUtf8("x"));
      } else {
        a.request(b.localId(), made, ByteString.EMPTY, Duration.ofSeconds(5));
      }
    }
    org.awaitility.Awaitility.await()
        .atMost(Duration.ofSeconds(5))
        .until(() -> b.peerManager().isBanned(a.localId()));
    org.awaitility.Awaitility.await()
        .atMost(Duration.ofSeconds(5))
        .until(() -> !b.isConnected(a.localId()));
    // Only protocols the node knows, and one label for everything else.
    assertThat(protocolLabels(b)).isSubsetOf("proof_sync", "unknown").contains("unknown");
  }

  @Test
  void aKnownProtocolWithoutAHandlerIsRefusedWithoutPenalty() throws Exception {
    a.connect(b.address()).get(5, TimeUnit.SECONDS);
    for (int i = 0; i < 20; i++) {
      a.send(b.localId(), ProtocolId.BLOCK_EXCHANGE, ByteString.copyFromUtf8("x"));
    }
    // A node may not run every Ferry protocol: asking one that it does not is no offence.
    assertThatThrownBy(
            () ->
                a.request(b.localId(), ProtocolId.GOSSIP, ByteString.EMPTY, Duration.ofSeconds(5))
                    .get())
        .cause()
        .isInstanceOfSatisfying(
            TransportException.class, e -> assertThat(e.code()).isEqualTo(ErrorCode.UNSUPPORTED));
    assertThat(b.peerManager().standing(a.localId()).score()).isZero();
    assertThat(b.isConnected(a.localId())).isTrue();
  }

  private static java.util.Set<String> protocolLabels(MemoryTransport t) {
    java.util.Set<String> labels = new java.util.TreeSet<>();
    for (var snapshot : t.metrics().registry().scrape()) {
      for (var point : snapshot.getDataPoints()) {
        String protocol = point.getLabels().get("protocol");
        if (protocol != null) {
          labels.add(protocol);
        }
      }
    }
    return labels;
  }
}
