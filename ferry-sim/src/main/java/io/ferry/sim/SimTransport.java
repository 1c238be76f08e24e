package io.ferry.sim;

import io.ferry.core.ErrorCode;
import io.ferry.core.identity.NodeId;
import io.ferry.core.runtime.Scheduler;
import io.ferry.net.PeerAddress;
import io.ferry.net.Transport;
import io.ferry.net.TransportConfig;
import io.ferry.net.TransportException;
import io.ferry.net.engine.Engine;
import io.ferry.net.engine.EngineTransport;
import io.ferry.net.metrics.TransportMetrics;
import io.ferry.net.peers.Admission;
import io.ferry.net.peers.PeerManager;
import java.util.ArrayList;
import java.util.LinkedHashSet;
import java.util.Set;
import java.util.concurrent.CompletableFuture;

/**
 * A {@link Transport} on the simulated network: the same {@link Engine} as the real transport
 * (request ids, deadlines, limits, admission, duplicate resolution), with links that are {@link
 * SimNetwork} wires. One instance is one incarnation of a node: a crash kills it without a goodbye
 * and a restart makes a new one with the same key.
 *
 * <p>Connecting takes one round trip: the dialler's SYN reaches the listener, whose engine admits
 * or refuses the connection; the answer reaches the dialler, which checks the listener's id against
 * the expected one and admits the connection on its side. Both packets can be lost or cut by a
 * partition, in which case the dial fails after the connect timeout. Identity is the node's {@link
 * io.ferry.core.identity.NodeKey} id, taken on trust as in the in-memory transport.
 *
 * <p>{@link #peers()} is sorted, so protocol code iterating it stays deterministic. Not
 * thread-safe: the simulator is single-threaded by design, and every method must be called on its
 * thread.
 */
public final class SimTransport extends EngineTransport {
  private final SimNetwork network;
  private final PeerAddress address;
  private final TransportConfig config;
  private final Scheduler scheduler;
  private final Engine engine;
  private final Set<SimLink> links = new LinkedHashSet<>();
  private final Set<Dial> dials = new LinkedHashSet<>();
  private boolean closed;

  @Override
  protected Engine engine() {
    return engine;
  }

  SimTransport(
      SimNetwork network,
      NodeId id,
      PeerAddress address,
      TransportConfig config,
      PeerManager.Config peerConfig,
      Scheduler scheduler) {
    this.network = network;
    this.address = address;
    this.config = config;
    this.scheduler = scheduler;
    this.engine =
        new Engine(
            id,
            config,
            scheduler,
            new PeerManager(scheduler.clock(), peerConfig),
            TransportMetrics.standalone());
    network.listen(this);
  }

  /** Where peers reach this node: its host and port, with its id. */
  public PeerAddress address() {
    return address;
  }

  @Override
  public CompletableFuture<NodeId> connect(PeerAddress to) {
    if (closed) {
      return CompletableFuture.failedFuture(TransportException.disconnected("transport closed"));
    }
    NodeId target = network.resolve(to.hostPort());
    if (target == null) {
      return CompletableFuture.failedFuture(
          TransportException.disconnected("no host at " + to.hostPort()));
    }
    if (target.equals(localId())) {
      return CompletableFuture.failedFuture(
          TransportException.refused(ErrorCode.PERMISSION_DENIED, "peer has our own node id"));
    }
    if (isConnected(target) && to.expectedId().map(target::equals).orElse(true)) {
      return CompletableFuture.completedFuture(target);
    }
    Admission ours = engine.admit(target, false);
    if (!ours.allowed()) {
      return CompletableFuture.failedFuture(
          TransportException.refused(ErrorCode.PERMISSION_DENIED, ours.reason()));
    }
    Dial dial = new Dial(this, to, target);
    dials.add(dial);
    dial.timer =
        scheduler.schedule(
            config.connectTimeout(),
            () -> {
              if (dial.pending()) {
                dial.fail(
                    TransportException.disconnected(
                        "connecting to "
                            + to.hostPort()
                            + " timed out after "
                            + config.connectTimeout()));
              }
            });
    network.send(localId(), target, new Packet.Syn(dial), Packet.HANDSHAKE_BYTES);
    return dial.future;
  }

  /** Closes gracefully: goodbyes to every peer, pending dials fail. Idempotent. */
  @Override
  public void close() {
    if (closed) {
      return;
    }
    closed = true;
    network.unlisten(this);
    engine.close("transport closed");
    for (SimLink l : new ArrayList<>(links)) {
      l.close("transport closed");
    }
    for (Dial d : new ArrayList<>(dials)) {
      d.fail(TransportException.disconnected("transport closed"));
    }
  }

  // ---- simulator side ----

  /** The node crashed: everything is gone at once, and no peer is told. */
  void crash() {
    if (!closed) {
      closed = true;
      network.unlisten(this);
    }
    for (SimLink l : new ArrayList<>(links)) {
      l.kill();
    }
    dials.clear();
  }

  /** Whether this incarnation still runs (not closed, not crashed). */
  boolean isLive() {
    return !closed;
  }

  TransportConfig config() {
    return config;
  }

  Scheduler scheduler() {
    return scheduler;
  }

  SimNetwork network() {
    return network;
  }

  void dialDone(Dial dial) {
    dials.remove(dial);
  }

  void linkClosed(SimLink link, String reason) {
    links.remove(link);
    network.closed(link, reason);
  }

  /** A SYN reached this listener: open the accepting end, and answer. */
  void onSyn(Dial dial) {
    SimLink in = new SimLink(this, dial.dialer.localId(), false, dial.dialer.address().hostPort());
    in.pendingDial = dial;
    open(in);
    if (engine.attach(in)) {
      network.send(localId(), in.remote(), new Packet.SynAck(dial, in), Packet.HANDSHAKE_BYTES);
      network.watchHandshake(in);
    }
    // else the engine closed it, which sent the refusal
  }

  /** The listener's answer reached us while the dial still waited. */
  void onSynAck(Dial dial, SimLink in) {
    NodeId remote = in.owner().localId();
    if (dial.address.expectedId().isPresent() && !dial.address.expectedId().get().equals(remote)) {
      dial.fail(
          TransportException.refused(
              ErrorCode.VERIFICATION_FAILED,
              dial.address.hostPort()
                  + " is "
                  + remote
                  + ", not the expected "
                  + dial.address.expectedId().get()));
      network.send(localId(), remote, new Packet.Reset(in), Packet.HANDSHAKE_BYTES);
      return;
    }
    SimLink out = new SimLink(this, remote, true, dial.address.hostPort());
    out.peer = in;
    in.peer = out;
    in.pendingDial = null;
    open(out);
    engine.attach(out); // a refusal closes it, which says goodbye to the listener
    if (isConnected(remote)) {
      dial.complete(remote);
    } else {
      dial.fail(
          TransportException.refused(
              ErrorCode.PERMISSION_DENIED, "connection to " + remote.shortString() + " refused"));
    }
  }

  private void open(SimLink link) {
    links.add(link);
    network.opened(link);
  }
}
