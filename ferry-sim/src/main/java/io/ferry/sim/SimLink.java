package io.ferry.sim;

import io.ferry.core.identity.NodeId;
import io.ferry.net.TransportException;
import io.ferry.net.engine.Link;
import io.ferry.wire.v1.Envelope;
import io.ferry.wire.v1.Error;
import io.ferry.wire.v1.Kind;
import java.util.concurrent.CompletableFuture;

/**
 * One end of a simulated connection. Frames written here travel through the {@link SimNetwork} to
 * {@link #peer}, the other end, which is known once the handshake has reached the dialler.
 *
 * <p>Bytes written count against the transport's outbound buffer bound until they arrive (or are
 * dropped), as they would sit in socket buffers until the peer reads them. Closing is reported to
 * the engine as a task on the node's scheduler, as a real transport reports it from its event loop.
 * Single-threaded.
 */
final class SimLink implements Link {
  private final SimTransport owner;
  private final NodeId remote;
  private final boolean outbound;
  private final String address;

  /** The other end; null until the handshake completes. */
  SimLink peer;

  /** For an accepted end whose handshake is not complete: the dial to answer on refusal. */
  Dial pendingDial;

  private long queuedBytes;
  private boolean closed;

  SimLink(SimTransport owner, NodeId remote, boolean outbound, String address) {
    this.owner = owner;
    this.remote = remote;
    this.outbound = outbound;
    this.address = address;
  }

  SimTransport owner() {
    return owner;
  }

  boolean isClosed() {
    return closed;
  }

  @Override
  public NodeId remote() {
    return remote;
  }

  @Override
  public boolean outbound() {
    return outbound;
  }

  @Override
  public String address() {
    return address;
  }

  @Override
  public CompletableFuture<Void> write(Envelope envelope) {
    if (closed) {
      return CompletableFuture.failedFuture(
          TransportException.disconnected("connection to " + remote + " closed"));
    }
    int size = envelope.getSerializedSize();
    if (queuedBytes + size > owner.config().maxOutboundBufferBytes()) {
      return CompletableFuture.failedFuture(
          TransportException.overloaded("outbound buffer to " + remote + " is full"));
    }
    transmit(envelope, size);
    return CompletableFuture.completedFuture(null);
  }

  private void transmit(Envelope envelope, int size) {
    queuedBytes += size;
    owner.network().send(owner.localId(), remote, new Packet.Frame(this, envelope, size), size);
  }

  /** The network took {@code size} bytes of ours off the wire (arrived or dropped). */
  void released(int size) {
    queuedBytes -= size;
  }

  /** A frame from the peer end arrived. */
  void receive(Envelope envelope) {
    if (envelope.getKind() == Kind.KIND_GOAWAY) {
      // Handled here rather than in the engine, which ignores frames of links it has replaced.
      closeWithoutGoodbye("peer said goodbye: " + envelope.getError().getMessage());
    } else {
      owner.engine().onFrame(this, envelope);
    }
  }

  @Override
  public void close(String reason) {
    if (closed) {
      return;
    }
    if (peer != null) {
      Envelope goaway =
          Envelope.newBuilder()
              .setKind(Kind.KIND_GOAWAY)
              .setError(Error.newBuilder().setMessage(reason))
              .build();
      transmit(goaway, goaway.getSerializedSize());
    } else if (pendingDial != null) {
      owner
          .network()
          .send(
              owner.localId(),
              remote,
              new Packet.Refuse(pendingDial, reason),
              Packet.HANDSHAKE_BYTES);
    }
    closeWithoutGoodbye(reason);
  }

  /** Closes this end without telling the peer: a reset, a timeout, an unreachable peer. */
  void closeWithoutGoodbye(String reason) {
    if (closed) {
      return;
    }
    markClosed(reason);
    owner.scheduler().execute(() -> owner.engine().onClosed(this, reason));
  }

  /** The node crashed: this end is gone, and nobody is told. */
  void kill() {
    if (!closed) {
      markClosed("node crashed");
    }
  }

  private void markClosed(String reason) {
    closed = true;
    pendingDial = null;
    owner.linkClosed(this, reason);
  }
}
