package io.ferry.net.engine;

import com.google.protobuf.ByteString;
import io.ferry.core.identity.NodeId;
import io.ferry.net.PeerListener;
import io.ferry.net.ProtocolHandler;
import io.ferry.net.ProtocolId;
import io.ferry.net.Transport;
import io.ferry.net.metrics.TransportMetrics;
import io.ferry.net.peers.PeerManager;
import java.time.Duration;
import java.util.SortedSet;
import java.util.concurrent.CompletableFuture;

/**
 * The part of every {@link Transport} that is its {@link Engine}'s: handlers, listeners, peers,
 * sends, requests, peer policy. A transport extends this and adds only what its medium does:
 * connecting and closing. Thread-safe as the engine is.
 */
public abstract class EngineTransport implements Transport {

  /** The engine this transport's links feed. */
  protected abstract Engine engine();

  public TransportMetrics metrics() {
    return engine().metrics();
  }

  @Override
  public NodeId localId() {
    return engine().localId();
  }

  @Override
  public void register(ProtocolId protocol, ProtocolHandler handler) {
    engine().register(protocol, handler);
  }

  @Override
  public void addListener(PeerListener listener) {
    engine().addListener(listener);
  }

  @Override
  public void removeListener(PeerListener listener) {
    engine().removeListener(listener);
  }

  @Override
  public SortedSet<NodeId> peers() {
    return engine().peers();
  }

  @Override
  public boolean isConnected(NodeId peer) {
    return engine().isConnected(peer);
  }

  @Override
  public CompletableFuture<Void> send(NodeId peer, ProtocolId protocol, ByteString payload) {
    return engine().send(peer, protocol, payload);
  }

  @Override
  public CompletableFuture<ByteString> request(
      NodeId peer, ProtocolId protocol, ByteString payload, Duration timeout) {
    return engine().request(peer, protocol, payload, timeout);
  }

  @Override
  public PeerManager peerManager() {
    return engine().peerManager();
  }

  @Override
  public void disconnect(NodeId peer, String reason) {
    engine().disconnect(peer, reason);
  }
}
