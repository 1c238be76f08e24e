package io.ferry.sim;

import com.google.protobuf.ByteString;
import io.ferry.core.identity.NodeId;
import io.ferry.net.PeerAddress;
import io.ferry.net.PeerListener;
import io.ferry.net.ProtocolHandler;
import io.ferry.net.ProtocolId;
import io.ferry.net.Responder;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;

/**
 * A small app for simulator tests: records the messages and connection events it sees, echoes
 * requests (unless told to stay silent), counts its boots on its disk, and optionally keeps a
 * connection to one peer, redialling every second.
 */
final class EchoApp {
  static final ProtocolId ECHO = new ProtocolId(ProtocolId.FIRST_APPLICATION_VALUE);

  /** One message received: its text and the virtual time it arrived. */
  record Received(String text, long nanos) {}

  final NodeContext ctx;
  final int boots;
  final List<Received> received = new ArrayList<>();
  final List<String> events = new ArrayList<>();
  int cancelled;
  boolean silent;
  private java.util.concurrent.CompletableFuture<NodeId> dialling;

  EchoApp(NodeContext ctx) {
    this.ctx = ctx;
    this.boots = ctx.disk().get("boots").map(b -> Integer.parseInt(b.toStringUtf8())).orElse(0) + 1;
    ctx.disk().put("boots", ByteString.copyFromUtf8(Integer.toString(boots)));
    ctx.transport()
        .register(
            ECHO,
            new ProtocolHandler() {
              @Override
              public void onMessage(NodeId from, ByteString payload) {
                received.add(new Received(payload.toStringUtf8(), ctx.clock().nanos()));
              }

              @Override
              public void onRequest(NodeId from, ByteString payload, Responder r) {
                r.onCancel(() -> cancelled++);
                if (!silent) {
                  r.respond(payload);
                }
              }
            });
    ctx.transport()
        .addListener(
            new PeerListener() {
              @Override
              public void onConnected(NodeId peer, boolean outbound) {
                events.add("up " + peer.shortString());
              }

              @Override
              public void onDisconnected(NodeId peer, String reason) {
                events.add("down " + peer.shortString() + ": " + reason);
              }
            });
  }

  /** Dials {@code peer} now and every second while not connected to it. */
  EchoApp keepConnected(PeerAddress peer) {
    if (!ctx.transport().isConnected(peer.expectedId().orElseThrow())
        && (dialling == null || dialling.isDone())) {
      dialling = ctx.transport().connect(peer);
    }
    ctx.scheduler().schedule(Duration.ofSeconds(1), () -> keepConnected(peer));
    return this;
  }

  List<String> texts() {
    return received.stream().map(Received::text).toList();
  }
}
