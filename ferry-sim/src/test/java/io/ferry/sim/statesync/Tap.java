package io.ferry.sim.statesync;

import com.google.protobuf.ByteString;
import io.ferry.core.identity.NodeId;
import io.ferry.net.PeerAddress;
import io.ferry.net.PeerListener;
import io.ferry.net.ProtocolHandler;
import io.ferry.net.ProtocolId;
import io.ferry.net.Responder;
import io.ferry.net.Transport;
import io.ferry.net.peers.PeerManager;
import io.ferry.sync.snapshot.Messages;
import java.time.Duration;
import java.util.List;
import java.util.SortedSet;
import java.util.concurrent.CompletableFuture;
import java.util.function.LongSupplier;
import java.util.function.Predicate;

/**
 * A node's transport that notes every state-sync message the node sends and every one it handles,
 * with the node's incarnation and the virtual time, in a log the test reads afterwards (and each
 * connection that closes, in another); and that can withhold what the node sends (a stalled
 * server's chunks). Other protocols pass untouched.
 *
 * <p>Single-threaded, like the simulator.
 */
final class Tap implements Transport {

  /**
   * One state-sync message.
   *
   * @param node the node that sent or handled it
   * @param incarnation that node's incarnation
   * @param nanos virtual time it was sent or handled
   * @param outbound sent by {@code node} (else handled by it)
   * @param peer the other end
   * @param message what it said
   * @param withheld sent by the node's code but never put on the wire
   */
  record Seen(
      NodeId node,
      int incarnation,
      long nanos,
      boolean outbound,
      NodeId peer,
      Messages.Message message,
      boolean withheld) {

    /** Whether it is a chunk request. */
    boolean isRequest() {
      return message instanceof Messages.ChunkWanted;
    }

    /** The chunk index of a request or an answer, else -1. */
    int index() {
      return switch (message) {
        case Messages.ChunkWanted w -> w.index();
        case Messages.ChunkSent c -> c.index();
        default -> -1;
      };
    }

    /** Whether it is an answer with a chunk (not {@code missing}). */
    boolean isChunk() {
      return message instanceof Messages.ChunkSent c && !c.missing();
    }

    /** Whether it is a {@code missing} answer. */
    boolean isMissing() {
      return message instanceof Messages.ChunkSent c && c.missing();
    }
  }

  /** A connection of {@code node}'s incarnation to {@code peer} closed at {@code nanos}. */
  record Closed(NodeId node, int incarnation, long nanos, NodeId peer) {}

  private final Transport delegate;
  private final int incarnation;
  private final LongSupplier nanos;
  private final List<Seen> log;
  private final Predicate<Messages.Message> withhold;

  /**
   * @param log where the messages go
   * @param closes where closed connections go
   * @param withhold what the node's code sends that never leaves it
   */
  Tap(
      Transport delegate,
      int incarnation,
      LongSupplier nanos,
      List<Seen> log,
      List<Closed> closes,
      Predicate<Messages.Message> withhold) {
    this.delegate = delegate;
    this.incarnation = incarnation;
    this.nanos = nanos;
    this.log = log;
    this.withhold = withhold;
    delegate.addListener(
        new PeerListener() {
          @Override
          public void onDisconnected(NodeId peer, String reason) {
            closes.add(new Closed(delegate.localId(), incarnation, nanos.getAsLong(), peer));
          }
        });
  }

  @Override
  public void register(ProtocolId protocol, ProtocolHandler handler) {
    if (!protocol.equals(ProtocolId.SNAPSHOT_SYNC)) {
      delegate.register(protocol, handler);
      return;
    }
    delegate.register(
        protocol,
        new ProtocolHandler() {
          @Override
          public void onMessage(NodeId from, ByteString payload) {
            handled(from, payload);
            handler.onMessage(from, payload);
          }

          @Override
          public void onRequest(NodeId from, ByteString payload, Responder responder) {
            handler.onRequest(from, payload, responder);
          }
        });
  }

  @Override
  public CompletableFuture<Void> send(NodeId peer, ProtocolId protocol, ByteString payload) {
    if (protocol.equals(ProtocolId.SNAPSHOT_SYNC)) {
      Messages.Message m = Messages.decode(payload);
      boolean held = withhold.test(m);
      log.add(new Seen(localId(), incarnation, nanos.getAsLong(), true, peer, m, held));
      if (held) {
        return CompletableFuture.completedFuture(null);
      }
    }
    return delegate.send(peer, protocol, payload);
  }

  private void handled(NodeId from, ByteString payload) {
    Messages.Message m;
    try {
      m = Messages.decode(payload);
    } catch (RuntimeException e) {
      return; // the reactor scores the sender; nothing to note
    }
    log.add(new Seen(localId(), incarnation, nanos.getAsLong(), false, from, m, false));
  }

  @Override
  public CompletableFuture<ByteString> request(
      NodeId peer, ProtocolId protocol, ByteString payload, Duration timeout) {
    return delegate.request(peer, protocol, payload, timeout);
  }

  @Override
  public NodeId localId() {
    return delegate.localId();
  }

  @Override
  public PeerAddress address() {
    return delegate.address();
  }

  @Override
  public void addListener(PeerListener listener) {
    delegate.addListener(listener);
  }

  @Override
  public void removeListener(PeerListener listener) {
    delegate.removeListener(listener);
  }

  @Override
  public CompletableFuture<NodeId> connect(PeerAddress address) {
    return delegate.connect(address);
  }

  @Override
  public SortedSet<NodeId> peers() {
    return delegate.peers();
  }

  @Override
  public boolean isConnected(NodeId peer) {
    return delegate.isConnected(peer);
  }

  @Override
  public PeerManager peerManager() {
    return delegate.peerManager();
  }

  @Override
  public void disconnect(NodeId peer, String reason) {
    delegate.disconnect(peer, reason);
  }

  @Override
  public void close() {
    delegate.close();
  }
}
