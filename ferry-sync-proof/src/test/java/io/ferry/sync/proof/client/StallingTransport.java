package io.ferry.sync.proof.client;

import com.google.protobuf.ByteString;
import io.ferry.core.identity.NodeId;
import io.ferry.net.PeerAddress;
import io.ferry.net.PeerListener;
import io.ferry.net.ProtocolHandler;
import io.ferry.net.ProtocolId;
import io.ferry.net.Transport;
import io.ferry.net.peers.PeerManager;
import java.time.Duration;
import java.util.SortedSet;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.atomic.AtomicInteger;

/**
 * A client's transport whose first {@code n} proof requests never get an answer, not even a
 * timeout: the future is simply never completed, as an answer lost by a bug would be. Everything
 * else goes to the real transport.
 */
final class StallingTransport implements Transport {
  private final Transport delegate;
  private final AtomicInteger toStall;
  private final AtomicInteger stalled = new AtomicInteger();
  private final AtomicInteger listeners = new AtomicInteger();

  StallingTransport(Transport delegate, int n) {
    this.delegate = delegate;
    this.toStall = new AtomicInteger(n);
  }

  /** Peer listeners added through this transport and not removed. */
  int listeners() {
    return listeners.get();
  }

  /** Proof requests swallowed so far. */
  int stalled() {
    return stalled.get();
  }

  @Override
  public CompletableFuture<ByteString> request(
      NodeId peer, ProtocolId protocol, ByteString payload, Duration timeout) {
    if (protocol.equals(ProtocolId.PROOF_SYNC) && toStall.getAndDecrement() > 0) {
      stalled.incrementAndGet();
      return new CompletableFuture<>();
    }
    return delegate.request(peer, protocol, payload, timeout);
  }

  @Override
  public NodeId localId() {
    return delegate.localId();
  }

  @Override
  public io.ferry.net.PeerAddress address() {
    return delegate.address();
  }

  @Override
  public void register(ProtocolId protocol, ProtocolHandler handler) {
    delegate.register(protocol, handler);
  }

  @Override
  public void addListener(PeerListener listener) {
    listeners.incrementAndGet();
    delegate.addListener(listener);
  }

  @Override
  public void removeListener(PeerListener listener) {
    listeners.decrementAndGet();
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
  public CompletableFuture<Void> send(NodeId peer, ProtocolId protocol, ByteString payload) {
    return delegate.send(peer, protocol, payload);
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
