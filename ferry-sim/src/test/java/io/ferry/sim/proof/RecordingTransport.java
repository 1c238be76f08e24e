package io.ferry.sim.proof;

import com.google.protobuf.ByteString;
import com.google.protobuf.InvalidProtocolBufferException;
import io.ferry.core.identity.NodeId;
import io.ferry.net.PeerAddress;
import io.ferry.net.PeerListener;
import io.ferry.net.ProtocolHandler;
import io.ferry.net.ProtocolId;
import io.ferry.net.Transport;
import io.ferry.net.peers.PeerManager;
import io.ferry.wire.v1.Request;
import java.time.Duration;
import java.util.List;
import java.util.SortedSet;
import java.util.concurrent.CompletableFuture;
import java.util.function.LongSupplier;

/**
 * A client's transport that notes every proof request the client sends (lost on the way or not), so
 * a test can check which ranges a sync asked for and when.
 */
final class RecordingTransport implements Transport {

  /** One proof request: by which incarnation of the client, when, to which server. */
  record Asked(int incarnation, long nanos, NodeId server, Request request) {}

  private final Transport delegate;
  private final int incarnation;
  private final LongSupplier nanos;
  private final List<Asked> log;

  RecordingTransport(Transport delegate, int incarnation, LongSupplier nanos, List<Asked> log) {
    this.delegate = delegate;
    this.incarnation = incarnation;
    this.nanos = nanos;
    this.log = log;
  }

  @Override
  public CompletableFuture<ByteString> request(
      NodeId peer, ProtocolId protocol, ByteString payload, Duration timeout) {
    if (protocol.equals(ProtocolId.PROOF_SYNC)) {
      try {
        log.add(new Asked(incarnation, nanos.getAsLong(), peer, Request.parseFrom(payload)));
      } catch (InvalidProtocolBufferException e) {
        throw new IllegalStateException("the sync client sent a request that does not parse", e);
      }
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
