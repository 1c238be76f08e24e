package io.ferry.sim;

import io.ferry.core.identity.NodeId;
import io.ferry.core.identity.NodeKey;
import io.ferry.core.runtime.RandomSource;
import io.ferry.net.PeerAddress;
import io.ferry.net.TransportConfig;
import io.ferry.net.peers.PeerManager;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * One simulated node across its lifetime: a fixed name, key, address and {@link SimDisk}, and a
 * series of incarnations, each with its own transport, timers, random stream and app. Created by
 * {@link Simulation#addNode}; crashed, stopped and restarted through the {@link Simulation}.
 *
 * <p>Not thread-safe: the simulator is single-threaded by design.
 *
 * @param <A> the type of the app its {@link NodeFactory} returns
 */
public final class SimNode<A> {
  private static final Logger log = LoggerFactory.getLogger(SimNode.class);

  private final Simulation sim;
  private final String name;
  private final NodeKey key;
  private final PeerAddress address;
  private final NodeFactory<A> factory;
  private final TransportConfig config;
  private final PeerManager.Config peerConfig;
  private final RandomSource random;
  private final SimDisk disk = new SimDisk();
  private int incarnation;
  private NodeScheduler scheduler;
  private SimTransport transport;
  private A app;

  SimNode(
      Simulation sim,
      String name,
      NodeKey key,
      PeerAddress address,
      NodeFactory<A> factory,
      TransportConfig config,
      PeerManager.Config peerConfig,
      RandomSource random) {
    this.sim = sim;
    this.name = name;
    this.key = key;
    this.address = address;
    this.factory = factory;
    this.config = config;
    this.peerConfig = peerConfig;
    this.random = random;
  }

  public String name() {
    return name;
  }

  public NodeId id() {
    return key.id();
  }

  public NodeKey key() {
    return key;
  }

  /** The node's address, with its id. */
  public PeerAddress address() {
    return address;
  }

  public SimDisk disk() {
    return disk;
  }

  /** 0 before the first start; one more on each start. */
  public int incarnation() {
    return incarnation;
  }

  /** Whether an incarnation runs now. */
  public boolean isUp() {
    return transport != null;
  }

  /** The running incarnation's app. */
  public A app() {
    requireUp();
    return app;
  }

  /** The running incarnation's transport. */
  public SimTransport transport() {
    requireUp();
    return transport;
  }

  void start() {
    if (isUp()) {
      throw new IllegalStateException(name + " is already running");
    }
    incarnation++;
    scheduler = new NodeScheduler(sim, name);
    transport = new SimTransport(sim.network(), id(), address, config, peerConfig, scheduler);
    sim.trace().record(sim.nanos(), Trace.Kind.START, name, "", "incarnation " + incarnation);
    log.debug("{} started, incarnation {}", name, incarnation);
    app =
        factory.start(
            new NodeContext(
                name,
                key,
                address,
                incarnation,
                transport,
                scheduler,
                sim.clock(),
                random.fork(),
                disk));
  }

  void crash() {
    requireUp();
    sim.trace().record(sim.nanos(), Trace.Kind.CRASH, name, "", "");
    log.debug("{} crashed", name);
    scheduler.kill();
    transport.crash();
    disk.crash(random);
    down();
  }

  void stop() throws Exception {
    requireUp();
    sim.trace().record(sim.nanos(), Trace.Kind.STOP, name, "", "");
    log.debug("{} stopping", name);
    try {
      if (app instanceof AutoCloseable c) {
        c.close();
      }
    } finally {
      transport.close();
      scheduler.kill();
      down();
    }
  }

  private void down() {
    transport = null;
    scheduler = null;
    app = null;
  }

  private void requireUp() {
    if (!isUp()) {
      throw new IllegalStateException(name + " is down");
    }
  }

  @Override
  public String toString() {
    return name + "(" + id().shortString() + ")";
  }
}
