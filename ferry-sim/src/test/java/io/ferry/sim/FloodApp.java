package io.ferry.sim;

import com.google.protobuf.ByteString;
import io.ferry.core.identity.NodeId;
import io.ferry.net.PeerAddress;
import io.ferry.net.ProtocolHandler;
import io.ferry.net.ProtocolId;
import io.ferry.net.Responder;
import java.nio.ByteBuffer;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.NavigableMap;
import java.util.TreeMap;
import java.util.function.Supplier;

/**
 * A toy flood protocol (not Ferry's gossip) for the simulator kernel's scale test, written only
 * against {@link NodeContext} as real protocol code would be. Each node publishes numbered
 * messages, pushes every new message to a few random peers, and every few seconds pulls what it
 * lacks from a random node of the directory (dialling it if needed, which is also how the network
 * re-knits after a partition). Messages are kept on the node's disk, so a restarted node starts
 * with what it had.
 */
final class FloodApp {
  static final ProtocolId GOSSIP = new ProtocolId(ProtocolId.FIRST_APPLICATION_VALUE + 1);
  private static final int FANOUT = 3;
  private static final int MAX_PEERS = 8;
  private static final Duration PULL_EVERY = Duration.ofSeconds(3);
  private static final Duration PULL_TIMEOUT = Duration.ofSeconds(2);

  private final NodeContext ctx;
  private final Supplier<List<PeerAddress>> directory;
  private final NavigableMap<Long, ByteString> messages = new TreeMap<>();
  int pullsAnswered;
  int pullsFailed;

  /**
   * @param index this node's number, the high half of the ids of the messages it publishes
   * @param publish how many messages it publishes: the first in the first 6 s of its first
   *     incarnation, the others between 10 s and 20 s
   */
  FloodApp(NodeContext ctx, int index, int publish, Supplier<List<PeerAddress>> directory) {
    this.ctx = ctx;
    this.directory = directory;
    for (Map.Entry<String, ByteString> e : ctx.disk().list("msg/").entrySet()) {
      messages.put(Long.parseLong(e.getKey().substring(4)), e.getValue());
    }
    ctx.transport()
        .register(
            GOSSIP,
            new ProtocolHandler() {
              @Override
              public void onMessage(NodeId from, ByteString payload) {
                ByteBuffer b = payload.asReadOnlyByteBuffer();
                long id = b.getLong();
                accept(id, ByteString.copyFrom(b), from);
              }

              @Override
              public void onRequest(NodeId from, ByteString payload, Responder r) {
                r.respond(missingFrom(payload));
              }
            });
    if (ctx.incarnation() == 1) {
      // The publishing plan goes to disk, so a node that crashes first publishes after restart.
      for (int seq = 0; seq < publish; seq++) {
        // Message 0 goes out in the first 6 s, later ones in [10 s, 20 s).
        long ms = seq == 0 ? ctx.random().nextInt(6_000) : 10_000 + ctx.random().nextInt(10_000);
        ctx.disk().put("plan/" + seq, ByteString.copyFromUtf8(Long.toString(ms)));
      }
    }
    for (Map.Entry<String, ByteString> e : ctx.disk().list("plan/").entrySet()) {
      long id = ((long) index << 32) | Integer.parseInt(e.getKey().substring(5));
      if (!messages.containsKey(id)) {
        long due = Long.parseLong(e.getValue().toStringUtf8()) * 1_000_000 - ctx.clock().nanos();
        ByteString body = ByteString.copyFromUtf8(ctx.name() + "#" + id);
        ctx.scheduler().schedule(Duration.ofNanos(due), () -> accept(id, body, null));
      }
    }
    ctx.scheduler().schedule(Duration.ofMillis(ctx.random().nextInt(3000)), this::pull);
  }

  int count() {
    return messages.size();
  }

  /** The ids this node holds, in order. */
  List<Long> ids() {
    return List.copyOf(messages.keySet());
  }

  private void accept(long id, ByteString body, NodeId from) {
    if (messages.putIfAbsent(id, body) != null) {
      return;
    }
    ctx.disk().put("msg/" + id, body);
    ByteString frame =
        ByteString.copyFrom(ByteBuffer.allocate(8).putLong(0, id).array()).concat(body);
    List<NodeId> peers = new ArrayList<>(ctx.transport().peers());
    peers.remove(from);
    for (int i = 0; i < FANOUT && !peers.isEmpty(); i++) {
      NodeId to = peers.remove(ctx.random().nextInt(peers.size()));
      ctx.transport().send(to, GOSSIP, frame);
    }
  }

  /** Asks one random node of the directory for what we lack; re-arms itself. */
  private void pull() {
    List<PeerAddress> all = directory.get();
    PeerAddress target = all.get(ctx.random().nextInt(all.size()));
    NodeId id = target.expectedId().orElseThrow();
    if (!id.equals(ctx.key().id())) {
      ByteString have = haveList();
      ctx.transport()
          .connect(target)
          .thenCompose(peer -> ctx.transport().request(peer, GOSSIP, have, PULL_TIMEOUT))
          .whenComplete(
              (answer, e) -> {
                if (e != null) {
                  pullsFailed++;
                  return;
                }
                pullsAnswered++;
                ByteBuffer b = answer.asReadOnlyByteBuffer();
                while (b.hasRemaining()) {
                  long mid = b.getLong();
                  byte[] body = new byte[b.getInt()];
                  b.get(body);
                  accept(mid, ByteString.copyFrom(body), id);
                }
              });
    }
    List<NodeId> peers = new ArrayList<>(ctx.transport().peers());
    if (peers.size() > MAX_PEERS) {
      ctx.transport().disconnect(peers.get(ctx.random().nextInt(peers.size())), "rotating peers");
    }
    long jitter = ctx.random().nextInt(1000);
    ctx.scheduler().schedule(PULL_EVERY.plusMillis(jitter), this::pull);
  }

  private ByteString haveList() {
    ByteBuffer b = ByteBuffer.allocate(8 * messages.size());
    messages.keySet().forEach(b::putLong);
    return ByteString.copyFrom(b.array());
  }

  private ByteString missingFrom(ByteString have) {
    TreeMap<Long, ByteString> missing = new TreeMap<>(messages);
    ByteBuffer b = have.asReadOnlyByteBuffer();
    while (b.hasRemaining()) {
      missing.remove(b.getLong());
    }
    ByteString.Output out = ByteString.newOutput();
    for (Map.Entry<Long, ByteString> e : missing.entrySet()) {
      out.write(
          ByteBuffer.allocate(12).putLong(e.getKey()).putInt(e.getValue().size()).array(), 0, 12);
      out.write(e.getValue().toByteArray(), 0, e.getValue().size());
    }
    return out.toByteString();
  }
}
