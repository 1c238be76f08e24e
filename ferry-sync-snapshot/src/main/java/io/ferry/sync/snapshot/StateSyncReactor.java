package io.ferry.sync.snapshot;

import com.google.protobuf.ByteString;
import io.ferry.core.FerryException;
import io.ferry.core.identity.NodeId;
import io.ferry.net.PeerListener;
import io.ferry.net.ProtocolHandler;
import io.ferry.net.ProtocolId;
import io.ferry.net.Transport;
import io.ferry.net.peers.Offence;
import io.ferry.sync.snapshot.client.Syncer;
import io.ferry.sync.snapshot.server.SnapshotServer;
import java.util.Optional;
import java.util.concurrent.atomic.AtomicLong;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * The state-sync protocol on a transport: decodes every {@link ProtocolId#SNAPSHOT_SYNC} message
 * and hands requests to the {@link SnapshotServer} (when this node serves) and answers to the
 * {@link Syncer} running now, if any. Answers that arrive with no sync running are dropped, as
 * CometBFT's reactor drops them; a message that does not decode costs its sender score.
 *
 * <p>Thread-safe.
 */
public final class StateSyncReactor implements ProtocolHandler, PeerListener, AutoCloseable {
  private static final Logger log = LoggerFactory.getLogger(StateSyncReactor.class);

  private final Transport transport;
  private final Optional<SnapshotServer> server;
  private volatile Syncer syncer;
  private final AtomicLong dropped = new AtomicLong();

  /**
   * Registers on {@code transport}.
   *
   * @param server answers listings and chunk requests; empty for a node that does not serve
   */
  public StateSyncReactor(Transport transport, Optional<SnapshotServer> server) {
    this.transport = transport;
    this.server = server;
    transport.register(ProtocolId.SNAPSHOT_SYNC, this);
    transport.addListener(this);
  }

  /**
   * Routes answers and connection events to {@code s} from now on. The peers connected already are
   * not told again: {@link Syncer#start} asks each of them for its snapshots.
   */
  public void attach(Syncer s) {
    this.syncer = s;
  }

  /** Stops routing answers to {@code s}, if it is the one attached. */
  public void detach(Syncer s) {
    if (syncer == s) {
      syncer = null;
    }
  }

  /** Answers dropped because no sync was running. */
  public long dropped() {
    return dropped.get();
  }

  @Override
  public void onMessage(NodeId from, ByteString payload) {
    Messages.Message m;
    try {
      m = Messages.decode(payload);
    } catch (FerryException e) {
      transport
          .peerManager()
          .report(from, Offence.MALFORMED_MESSAGE, "state sync: " + e.getMessage());
      return;
    }
    Syncer s = syncer;
    switch (m) {
      case Messages.ListRequest r -> server.ifPresent(sv -> sv.onListRequest(from));
      case Messages.ChunkWanted w -> {
        if (server.isPresent()) {
          server.get().onChunkWanted(from, w);
        }
      }
      case Messages.Listed l -> {
        if (s != null) {
          s.onListed(from, l.snapshot());
        } else {
          dropped.incrementAndGet();
        }
      }
      case Messages.ChunkSent c -> {
        if (s != null) {
          s.onChunk(from, c);
        } else {
          dropped.incrementAndGet();
          log.debug("state sync: dropped chunk {} from {}: no sync running", c.index(), from);
        }
      }
    }
  }

  @Override
  public void onConnected(NodeId peer, boolean outbound) {
    Syncer s = syncer;
    if (s != null) {
      s.onConnected(peer);
    }
  }

  @Override
  public void onDisconnected(NodeId peer, String reason) {
    Syncer s = syncer;
    if (s != null) {
      s.onDisconnected(peer);
    }
    server.ifPresent(sv -> sv.forget(peer));
  }

  @Override
  public void close() {
    transport.removeListener(this);
  }
}
