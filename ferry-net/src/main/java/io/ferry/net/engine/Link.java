package io.ferry.net.engine;

import io.ferry.core.identity.NodeId;
import io.ferry.wire.v1.Envelope;
import java.util.concurrent.CompletableFuture;

/**
 * One authenticated connection as the {@link Engine} sees it; each transport implements it over its
 * own medium (a Netty channel, an in-memory queue, a simulated wire). Must call {@link
 * Engine#onFrame} for each envelope received, in order, and {@link Engine#onClosed} exactly once
 * when the connection ends for any reason, including {@link #close}.
 */
public interface Link {

  /** The peer's id, as its handshake proved. */
  NodeId remote();

  /** Whether this side dialled. */
  boolean outbound();

  /** The peer's network address, for logs. */
  String address();

  /**
   * Queues {@code envelope} for the peer. Completes when it has been handed to the medium; fails
   * with {@code TransportException} OVERLOADED when the outbound buffer is over its bound, or
   * DISCONNECTED when the link is closed.
   */
  CompletableFuture<Void> write(Envelope envelope);

  /** Sends a goodbye carrying {@code reason} (best effort) and closes. Idempotent. */
  void close(String reason);
}
