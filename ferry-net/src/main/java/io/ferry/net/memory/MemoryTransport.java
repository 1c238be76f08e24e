package io.ferry.net.memory;

import io.ferry.core.ErrorCode;
import io.ferry.core.identity.NodeId;
import io.ferry.core.runtime.ExecutorScheduler;
import io.ferry.net.PeerAddress;
import io.ferry.net.Transport;
import io.ferry.net.TransportConfig;
import io.ferry.net.TransportException;
import io.ferry.net.engine.Engine;
import io.ferry.net.engine.EngineTransport;
import io.ferry.net.engine.Link;
import io.ferry.net.metrics.TransportMetrics;
import io.ferry.net.peers.Admission;
import io.ferry.net.peers.PeerManager;
import io.ferry.wire.v1.Envelope;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.atomic.AtomicBoolean;
import java.util.concurrent.atomic.AtomicLong;

/**
 * A {@link Transport} between nodes of one process, for unit tests of protocol code. Frames are
 * passed as objects, never serialized, but go through the same {@link Engine} as the real transport
 * (limits, deadlines, refusals, events) and the same outbound-buffer bound. Each transport delivers
 * on one inbox thread, so one peer's frames arrive in order; identity is taken on trust from the
 * {@link io.ferry.core.identity.NodeKey}'s id, since no bytes leave the process.
 *
 * <p>Thread-safe.
 */
public final class MemoryTransport extends EngineTransport {
  private final MemoryNetwork network;
  private final PeerAddress address;
  private final Engine engine;
  private final ExecutorScheduler scheduler;
  private final ExecutorService inbox;
  private final AtomicBoolean closed = new AtomicBoolean();

  @Override
  protected Engine engine() {
    return engine;
  }

  public MemoryTransport(
      MemoryNetwork network, NodeId id, PeerAddress listenAddress, TransportConfig config) {
    this(network, id, listenAddress, config, PeerManager.Config.DEFAULT);
  }

  /** A transport whose peer policy (connection limits, bans) is {@code peers}. */
  public MemoryTransport(
      MemoryNetwork network,
      NodeId id,
      PeerAddress listenAddress,
      TransportConfig config,
      PeerManager.Config peers) {
    this.network = network;
    this.address = listenAddress;
    this.scheduler = new ExecutorScheduler("ferry-mem-timer-" + id.shortString(), 1);
    this.inbox =
        Executors.newSingleThreadExecutor(
            Thread.ofPlatform().name("ferry-mem-inbox-" + id.shortString()).daemon().factory());
    this.engine =
        new Engine(
            id,
            config,
            scheduler,
            new PeerManager(scheduler.clock(), peers),
            TransportMetrics.standalone());
    network.listen(listenAddress, this);
  }

  public PeerAddress address() {
    return address;
  }

  @Override
  public CompletableFuture<NodeId> connect(PeerAddress to) {
    MemoryTransport remote = network.lookup(to);
    if (remote == null || remote.closed.get()) {
      return CompletableFuture.failedFuture(
          TransportException.disconnected("nothing listens at " + to.hostPort()));
    }
    NodeId remoteId = remote.localId();
    if (to.expectedId().isPresent() && !to.expectedId().get().equals(remoteId)) {
      return CompletableFuture.failedFuture(
          TransportException.refused(
              ErrorCode.VERIFICATION_FAILED,
              to.hostPort() + " is " + remoteId + ", not the expected " + to.expectedId().get()));
    }
    if (isConnected(remoteId)) {
      return CompletableFuture.completedFuture(remoteId);
    }
    Admission ours = engine.admit(remoteId, false);
    if (!ours.allowed()) {
      return CompletableFuture.failedFuture(
          TransportException.refused(ErrorCode.PERMISSION_DENIED, ours.reason()));
    }
    MemoryLink out = new MemoryLink(this, remote, true, to.hostPort());
    MemoryLink in = new MemoryLink(remote, this, false, address.hostPort());
    out.peer = in;
    in.peer = out;
    CompletableFuture<NodeId> result = new CompletableFuture<>();
    remote.inbox.execute(
        () -> {
          if (!remote.engine.attach(in)) {
            result.completeExceptionally(
                TransportException.refused(
                    ErrorCode.PERMISSION_DENIED, "refused by " + remoteId.shortString()));
            return;
          }
          inbox.execute(
              () -> {
                engine.attach(out);
                if (isConnected(remoteId)) {
                  result.complete(remoteId);
                } else {
                  result.completeExceptionally(
                      TransportException.disconnected("connection closed during setup"));
                }
              });
        });
    return result;
  }

  @Override
  public void close() {
    if (closed.compareAndSet(false, true)) {
      network.unlisten(address, this);
      engine.close("transport closed");
      inbox.shutdown();
      scheduler.close();
    }
  }

  /** One end of an in-process connection. */
  private static final class MemoryLink implements Link {
    private final MemoryTransport owner;
    private final MemoryTransport other;
    private final boolean outbound;
    private final String address;
    private final AtomicLong queuedBytes = new AtomicLong();
    private final AtomicBoolean closed = new AtomicBoolean();
    MemoryLink peer;

    MemoryLink(MemoryTransport owner, MemoryTransport other, boolean outbound, String address) {
      this.owner = owner;
      this.other = other;
      this.outbound = outbound;
      this.address = address;
    }

    @Override
    public NodeId remote() {
      return other.localId();
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
      if (closed.get()) {
        return CompletableFuture.failedFuture(
            TransportException.disconnected("connection to " + remote() + " closed"));
      }
      int size = envelope.getSerializedSize();
      // Bytes count as buffered until the receiver's inbox has handled them, as they would sit
      // in socket buffers until the peer reads them.
      if (queuedBytes.addAndGet(size) > owner.engine.config().maxOutboundBufferBytes()) {
        queuedBytes.addAndGet(-size);
        return CompletableFuture.failedFuture(
            TransportException.overloaded("outbound buffer to " + remote() + " is full"));
      }
      try {
        other.inbox.execute(
            () -> {
              queuedBytes.addAndGet(-size);
              if (!peer.closed.get()) {
                other.engine.onFrame(peer, envelope);
              }
            });
      } catch (java.util.concurrent.RejectedExecutionException e) {
        queuedBytes.addAndGet(-size);
        close("peer closed");
        return CompletableFuture.failedFuture(
            TransportException.disconnected("peer " + remote() + " closed"));
      }
      return CompletableFuture.completedFuture(null);
    }

    @Override
    public void close(String reason) {
      if (closed.compareAndSet(false, true)) {
        runOn(owner, () -> owner.engine.onClosed(this, reason));
        // The peer hears the goodbye, as over a socket: its side closes with our reason.
        if (peer.closed.compareAndSet(false, true)) {
          String theirs = "peer said goodbye: " + reason;
          runOn(other, () -> other.engine.onClosed(peer, theirs));
        }
      }
    }

    private static void runOn(MemoryTransport t, Runnable r) {
      try {
        t.inbox.execute(r);
      } catch (java.util.concurrent.RejectedExecutionException e) {
        r.run(); // that transport is shutting down: settle its state here
      }
    }
  }
}
