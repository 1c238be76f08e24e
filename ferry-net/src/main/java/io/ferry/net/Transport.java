package io.ferry.net;

import com.google.protobuf.ByteString;
import io.ferry.core.identity.NodeId;
import io.ferry.net.peers.PeerManager;
import java.time.Duration;
import java.util.concurrent.CompletableFuture;

/**
 * Carries framed byte payloads between authenticated nodes, and nothing else: protocols put their
 * own protobuf messages in the payload and register a {@link ProtocolHandler} per {@link
 * ProtocolId}. Three implementations share this contract: Netty TCP with TLS 1.3 bound to node keys
 * ({@code io.ferry.net.tcp}), in-memory ({@code io.ferry.net.memory}) and the deterministic
 * simulator ({@code io.ferry.sim}).
 *
 * <p>Guarantees: one connection per pair of peers; frames to one peer arrive in the order sent (the
 * simulator may reorder on purpose); a request is answered exactly once, by a response, a remote
 * error, or a local {@link TransportException} (timeout, disconnect, refusal, overload). Futures
 * may complete on a transport thread: callbacks must not block.
 *
 * <p>Thread-safe.
 */
public interface Transport extends AutoCloseable {

  /** This node's id, the key its handshakes prove. */
  NodeId localId();

  /** Where peers reach this node, with its id. */
  PeerAddress address();

  /**
   * Handles frames of {@code protocol} with {@code handler}; one handler per protocol. Register
   * before connecting: a request for an unregistered protocol is refused with {@code UNSUPPORTED}.
   */
  void register(ProtocolId protocol, ProtocolHandler handler);

  /** Tells {@code listener} of every peer connected and disconnected from now on. */
  void addListener(PeerListener listener);

  /** Stops telling {@code listener} of connections; nothing if it was not added. */
  void removeListener(PeerListener listener);

  /**
   * Connects to a peer, or returns the existing connection to it. Completes with the peer's id as
   * proved by the handshake; fails with {@link TransportException} ({@link
   * TransportException.Failure#REFUSED} when the handshake fails, the peer is banned or is not the
   * expected id; {@link TransportException.Failure#DISCONNECTED} when it cannot be reached).
   */
  CompletableFuture<NodeId> connect(PeerAddress address);

  /** The peers with an open connection now, sorted by id (so iterating it is deterministic). */
  java.util.SortedSet<NodeId> peers();

  default boolean isConnected(NodeId peer) {
    return peers().contains(peer);
  }

  /**
   * Sends a one-way message. Completes when the frame has been handed to the connection; fails with
   * {@link TransportException.Failure#OVERLOADED} when the connection's outbound buffer is full
   * (the peer reads slower than we write), so a slow reader cannot grow our memory.
   */
  CompletableFuture<Void> send(NodeId peer, ProtocolId protocol, ByteString payload);

  /**
   * Sends a request and completes with the response payload. Cancelling the returned future tells
   * the peer to stop working on it. Fails with {@link TransportException}: TIMEOUT after {@code
   * timeout}, DISCONNECTED if the connection drops first, REFUSED if the peer would not take it,
   * REMOTE with the peer's error code and message, OVERLOADED if too many requests to this peer are
   * already in flight.
   */
  CompletableFuture<ByteString> request(
      NodeId peer, ProtocolId protocol, ByteString payload, Duration timeout);

  /**
   * Scores and bans of this transport's peers. Protocols report misbehaviour here; a ban drops the
   * peer's connection and refuses new ones until it expires.
   */
  PeerManager peerManager();

  /** Closes the connection to {@code peer}, if any, telling it why. */
  void disconnect(NodeId peer, String reason);

  /**
   * Closes every connection (sending a goodbye first), fails requests still waiting with
   * DISCONNECTED, and releases threads and sockets. Idempotent.
   */
  @Override
  void close();
}
