package io.ferry.net.testing;

import static org.assertj.core.api.Assertions.assertThat;

import com.google.protobuf.ByteString;
import io.ferry.core.identity.NodeId;
import io.ferry.net.PeerListener;
import io.ferry.net.ProtocolHandler;
import io.ferry.net.ProtocolId;
import io.ferry.net.Responder;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.CompletableFuture;
import org.junit.jupiter.api.Test;

/** The test network itself: order, virtual time, answers, listeners and filters. */
class TestNetTest {
  private static final ProtocolId P = ProtocolId.GOSSIP;

  /** Records every one-way frame as "sender's seed:payload", and echoes requests. */
  private static final class Recorder implements ProtocolHandler {
    final List<String> got = new ArrayList<>();
    private final List<Wire> senders;

    Recorder(List<Wire> senders) {
      this.senders = senders;
    }

    @Override
    public void onMessage(NodeId from, ByteString payload) {
      int sender = senders.stream().map(Wire::localId).toList().indexOf(from);
      got.add(sender + ":" + payload.toStringUtf8());
    }

    @Override
    public void onRequest(NodeId from, ByteString payload, Responder responder) {
      responder.respond(payload.concat(ByteString.copyFromUtf8("!")));
    }
  }

  private static ByteString utf8(String s) {
    return ByteString.copyFromUtf8(s);
  }

  @Test
  void framesFromSeveralSendersArriveInTheOrderSentWithoutTimeMoving() {
    try (TestNet net = new TestNet()) {
      Wire a = net.transport(TestNet.key(1));
      Wire b = net.transport(TestNet.key(2));
      Wire c = net.transport(TestNet.key(3));
      Recorder at = new Recorder(List.of(a, b));
      c.register(P, at);
      net.connect(a, c);
      net.connect(b, c);

      a.send(c.localId(), P, utf8("1"));
      b.send(c.localId(), P, utf8("2"));
      a.send(c.localId(), P, utf8("3"));
      b.send(c.localId(), P, utf8("4"));
      net.settle();

      assertThat(at.got).containsExactly("0:1", "1:2", "0:3", "1:4");
      assertThat(net.now()).isZero();
    }
  }

  @Test
  void withALatencyAFrameTakesItAndARequestTwice() {
    Duration latency = Duration.ofMillis(5);
    try (TestNet net = new TestNet(latency)) {
      Wire a = net.transport(TestNet.key(1));
      Wire b = net.transport(TestNet.key(2));
      Recorder at = new Recorder(List.of(a));
      b.register(P, at);
      net.connect(a, b);

      a.send(b.localId(), P, utf8("x"));
      net.settle();
      assertThat(at.got).isEmpty();
      net.advanceUntil(() -> !at.got.isEmpty(), Duration.ofSeconds(1));
      assertThat(net.now()).isEqualTo(latency);

      CompletableFuture<ByteString> answer =
          a.request(b.localId(), P, utf8("hi"), Duration.ofSeconds(10));
      net.advanceUntil(answer::isDone, Duration.ofSeconds(1));
      assertThat(answer.join().toStringUtf8()).isEqualTo("hi!");
      assertThat(net.now()).isEqualTo(latency.multipliedBy(3));
    }
  }

  @Test
  void aRemovedListenerHearsNoMoreAndSettleUntilWaitsForTheDisconnect() {
    try (TestNet net = new TestNet()) {
      Wire a = net.transport(TestNet.key(1));
      Wire b = net.transport(TestNet.key(2));
      List<String> kept = new ArrayList<>();
      List<String> removed = new ArrayList<>();
      PeerListener keep = listener(kept);
      PeerListener remove = listener(removed);
      a.addListener(keep);
      a.addListener(remove);
      net.connect(a, b);
      a.removeListener(remove);

      b.disconnect(a.localId(), "bye");
      net.settleUntil(() -> kept.size() == 2);

      assertThat(kept).containsExactly("connected", "disconnected");
      assertThat(removed).containsExactly("connected");
    }
  }

  @Test
  void anInboundFilterDropsAndCountsFrames() {
    try (TestNet net = new TestNet()) {
      Wire a = net.transport(TestNet.key(1));
      Wire b = net.transport(TestNet.key(2));
      Recorder at = new Recorder(List.of(a));
      b.register(P, at);
      net.connect(a, b);
      b.filterInbound(p -> !p.toStringUtf8().equals("drop"));

      a.send(b.localId(), P, utf8("drop"));
      a.send(b.localId(), P, utf8("keep"));
      net.settle();

      assertThat(at.got).containsExactly("0:keep");
      assertThat(b.droppedInbound()).isEqualTo(1);
    }
  }

  private static PeerListener listener(List<String> heard) {
    return new PeerListener() {
      @Override
      public void onConnected(NodeId peer, boolean outbound) {
        heard.add("connected");
      }

      @Override
      public void onDisconnected(NodeId peer, String reason) {
        heard.add("disconnected");
      }
    };
  }
}
