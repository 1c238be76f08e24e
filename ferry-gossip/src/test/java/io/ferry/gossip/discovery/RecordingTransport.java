package io.ferry.gossip.discovery;

import com.google.protobuf.ByteString;
import io.ferry.core.identity.NodeId;
import io.ferry.net.PeerAddress;
import io.ferry.net.PeerListener;
import io.ferry.net.ProtocolHandler;
import io.ferry.net.ProtocolId;
import io.ferry.net.Transport;
import io.ferry.net.peers.PeerManager;
import java.time.Duration;
import java.util.List;
import java.util.SortedSet;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.CopyOnWriteArrayList;

/**
 * A transport that passes everything to another and remembers every address it was asked to dial.
 */
final class RecordingTransport implements Transport {
  private final Transport inner;
  private final List<PeerAddress> dialled = new CopyOnWriteArrayList<>();

  RecordingTransport(Transport inner) {
    this.inner = inner;
  }

  /** Every address dialled so far, in order. */
  List<PeerAddress> dialled() {
    return List.copyOf(dialled);
  }

  /** How many dials named {@code id}. */
  long dialsTo(NodeId id) {
    return dialled.stream().filter(a -> a.expectedId().map(id::equals).orElse(false)).count();
  }

  @Override
  public NodeId localId() {
    return inner.localId();
  }

  @Override
  public PeerAddress address() {
    return inner.address();
  }

  @Override
  public void register(ProtocolId protocol, ProtocolHandler handler) {
    inner.register(protocol, handler);
  }

  @Override
  public void addListener(PeerListener listener) {
    inner.addListener(listener);
  }

  @Override
  public void removeListener(PeerListener listener) {
    inner.removeListener(listener);
  }

  @Override
  public CompletableFuture<NodeId> connect(PeerAddress address) {
    dialled.add(address);
    return inner.connect(address);
  }

  @Override
  public SortedSet<NodeId> peers() {
    return inner.peers();
  }

  @Override
  public CompletableFuture<Void> send(NodeId peer, ProtocolId protocol, ByteString payload) {
    return inner.send(peer, protocol, payload);
  }

  @Override
  public CompletableFuture<ByteString> request(
      NodeId peer, ProtocolId protocol, ByteString payload, Duration timeout) {
    return inner.request(peer, protocol, payload, timeout);
  }

  @Override
  public PeerManager peerManager() {
    return inner.peerManager();
  }

  @Override
  public void disconnect(NodeId peer, String reason) {
    inner.disconnect(peer, reason);
  }

  @Override
  public void close() {
    inner.close();
  }
}
