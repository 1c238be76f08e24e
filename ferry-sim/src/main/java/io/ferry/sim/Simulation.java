package io.ferry.sim;

import io.ferry.core.Hash;
import io.ferry.core.identity.NodeKey;
import io.ferry.core.runtime.Cancellable;
import io.ferry.core.runtime.ManualClock;
import io.ferry.core.runtime.ManualScheduler;
import io.ferry.core.runtime.SeededRandomSource;
import io.ferry.net.PeerAddress;
import io.ferry.net.TransportConfig;
import io.ferry.net.peers.PeerManager;
import java.nio.ByteBuffer;
import java.nio.charset.StandardCharsets;
import java.security.MessageDigest;
import java.security.NoSuchAlgorithmException;
import java.time.Duration;
import java.util.ArrayList;
import java.util.Collection;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.function.BooleanSupplier;

/**
 * A deterministic simulation of many Ferry nodes in one JVM: their real protocol code, each over a
 * {@link SimTransport}, on one {@link ManualScheduler} in virtual time, with a {@link SimNetwork}
 * that adds latency, bandwidth, loss, reordering and partitions. Nodes crash and restart with their
 * {@link SimDisk} kept.
 *
 * <p>A run is a pure function of its seed and its script: every random choice comes from a {@link
 * SeededRandomSource} forked per purpose (network, each node), node keys derive from the seed and
 * the node's name, and time moves only in {@link #run} and {@link #runUntil}. {@link #traceHash}
 * proves it: the same seed and script give the same hash. A failure names the seed ({@link
 * #replayHint}); tests read it back from the {@value #SEED_PROPERTY} system property ({@link
 * #seedProperty}).
 *
 * <p>Not thread-safe, by design: the simulation and all of its nodes run on the caller's thread,
 * one task at a time. Protocol code under simulation must not start threads, sleep, or read the
 * wall clock.
 */
public final class Simulation {
  /** The system property a test reads its seed from, to replay a failed run. */
  public static final String SEED_PROPERTY = "ferry.sim.seed";

  /** Tasks a simulation runs before it stops as runaway (a protocol rescheduling forever). */
  public static final long DEFAULT_EVENT_LIMIT = 50_000_000L;

  private final long seed;
  private final ManualScheduler scheduler = new ManualScheduler(new ManualClock());
  private final SeededRandomSource random;
  private final Trace trace = new Trace();
  private final SimNetwork network;
  private final List<SimNode<?>> nodes = new ArrayList<>();
  private final Map<String, SimNode<?>> byName = new HashMap<>();
  private TransportConfig transportConfig;
  private PeerManager.Config peerConfig = PeerManager.Config.DEFAULT;
  private long events;
  private long eventLimit = DEFAULT_EVENT_LIMIT;

  /** A simulation whose nodes use {@link TransportConfig#DEFAULT}. */
  public Simulation(long seed) {
    this(seed, TransportConfig.DEFAULT);
  }

  public Simulation(long seed, TransportConfig transportConfig) {
    this.seed = seed;
    this.random = new SeededRandomSource(derive("random", "").getLong());
    this.network = new SimNetwork(this, random.fork());
    this.transportConfig = transportConfig;
  }

  /**
   * The seed a test should run: the {@value #SEED_PROPERTY} system property when set (to replay a
   * failure), else {@code fallback}.
   */
  public static long seedProperty(long fallback) {
    String value = System.getProperty(SEED_PROPERTY);
    if (value == null || value.isBlank()) {
      return fallback;
    }
    try {
      return Long.parseLong(value.strip());
    } catch (NumberFormatException e) {
      throw new IllegalArgumentException(SEED_PROPERTY + " must be a long, not '" + value + "'", e);
    }
  }

  /** {@code simulation seed=N; replay with -Dferry.sim.seed=N}. */
  public static String replayHint(long seed) {
    return "simulation seed=" + seed + "; replay with -D" + SEED_PROPERTY + "=" + seed;
  }

  public long seed() {
    return seed;
  }

  public SimNetwork network() {
    return network;
  }

  public Trace trace() {
    return trace;
  }

  /** SHA-256 over every event so far: equal for two runs of one seed and script. */
  public Hash traceHash() {
    return trace.hash();
  }

  public ManualClock clock() {
    return scheduler.clock();
  }

  /** Virtual nanoseconds since the simulation began. */
  public long nanos() {
    return scheduler.clock().nanos();
  }

  /** Virtual time since the simulation began. */
  public Duration now() {
    return Duration.ofNanos(nanos());
  }

  /** The transport configuration of nodes added from now on. */
  public void setTransportConfig(TransportConfig config) {
    this.transportConfig = config;
  }

  /** The peer policy of nodes added from now on. */
  public void setPeerConfig(PeerManager.Config config) {
    this.peerConfig = config;
  }

  /** Tasks the run may execute before it fails as runaway. */
  public void setEventLimit(long limit) {
    this.eventLimit = limit;
  }

  /** Tasks run so far. */
  public long events() {
    return events;
  }

  // ---- nodes ----

  /**
   * Adds a node and starts it. Its key derives from the seed and {@code name}, so it is the same in
   * every run of the seed; its address is {@code name:9000}.
   */
  public <A> SimNode<A> addNode(String name, NodeFactory<A> factory) {
    if (byName.containsKey(name)) {
      throw new IllegalArgumentException("a node named " + name + " exists already");
    }
    byte[] keySeed = new byte[32];
    derive("key", name).get(keySeed);
    NodeKey key = NodeKey.fromSeed(keySeed);
    PeerAddress address = PeerAddress.of(key.id(), name, 9000);
    network.addHost(address.hostPort(), key.id(), name);
    SimNode<A> node =
        new SimNode<>(
            this,
            name,
            key,
            address,
            factory,
            transportConfig,
            peerConfig,
            new SeededRandomSource(derive("node", name).getLong()));
    nodes.add(node);
    byName.put(name, node);
    node.start();
    return node;
  }

  /** Every node, in the order added. */
  public List<SimNode<?>> nodes() {
    return List.copyOf(nodes);
  }

  public SimNode<?> node(String name) {
    SimNode<?> n = byName.get(name);
    if (n == null) {
      throw new IllegalArgumentException("no node named " + name);
    }
    return n;
  }

  /**
   * Kills {@code node} at once: no goodbyes, its timers and app are dropped, its disk is kept. Its
   * peers notice after their idle timeout, or sooner when a frame of theirs reaches it restarted.
   */
  public void crash(SimNode<?> node) {
    node.crash();
  }

  /** Shuts {@code node} down gracefully: closes its app if closeable, then says goodbye. */
  public void stop(SimNode<?> node) {
    try {
      node.stop();
    } catch (RuntimeException e) {
      throw e;
    } catch (Exception e) {
      throw new SimulationException(seed, node.name() + "'s app failed to close", e);
    }
  }

  /** Starts a crashed or stopped node again: same key and disk, fresh transport and app. */
  public void restart(SimNode<?> node) {
    node.start();
  }

  /**
   * Partitions the network between the nodes of {@code a} and of {@code b}; see {@link
   * SimNetwork#partition}.
   */
  public void partition(Collection<? extends SimNode<?>> a, Collection<? extends SimNode<?>> b) {
    network.partition(a.stream().map(SimNode::id).toList(), b.stream().map(SimNode::id).toList());
  }

  public void heal() {
    network.heal();
  }

  /**
   * Records what a checker observed of {@code node} now (an archive it holds, say) in the trace, so
   * that two runs of a seed have equal hashes only if they observed the same.
   */
  public void observe(SimNode<?> node, String what) {
    trace.record(nanos(), Trace.Kind.OBSERVE, node.name(), "", what);
  }

  // ---- time ----

  /** Runs {@code task} after {@code delay} of virtual time, on the simulation's thread. */
  public Cancellable schedule(Duration delay, Runnable task) {
    return scheduler.schedule(delay, () -> runTask(task));
  }

  private void runTask(Runnable task) {
    if (++events > eventLimit) {
      throw new SimulationException(
          seed, "more than " + eventLimit + " tasks by " + now() + ": runaway protocol?", null);
    }
    task.run();
  }

  /** Moves virtual time forward by {@code duration}, running every task due on the way. */
  public void run(Duration duration) {
    long target = nanos() + duration.toNanos();
    runTo(target);
  }

  /**
   * Runs until {@code condition} holds, checking it after each instant of virtual time that had
   * tasks, or until {@code limit} of virtual time has passed.
   *
   * @return whether the condition holds
   */
  public boolean runUntil(BooleanSupplier condition, Duration limit) {
    long deadline = nanos() + limit.toNanos();
    while (!condition.getAsBoolean()) {
      long next = scheduler.nextDeadline();
      if (next < 0 || next > deadline) {
        runTo(deadline);
        return condition.getAsBoolean();
      }
      runTo(next);
    }
    return true;
  }

  private void runTo(long targetNanos) {
    try {
      scheduler.advance(Duration.ofNanos(Math.max(0, targetNanos - nanos())));
    } catch (SimulationException e) {
      throw e;
    } catch (RuntimeException | AssertionError e) {
      throw new SimulationException(seed, "task failed at " + now(), e);
    }
  }

  /** Eight bytes, or more, derived from the seed for one purpose and name. */
  private ByteBuffer derive(String purpose, String name) {
    try {
      MessageDigest sha = MessageDigest.getInstance("SHA-256");
      sha.update(
          ("ferry.sim/" + purpose + "/" + seed + "/" + name).getBytes(StandardCharsets.UTF_8));
      return ByteBuffer.wrap(sha.digest());
    } catch (NoSuchAlgorithmException e) {
      throw new IllegalStateException("SHA-256 is missing from this JDK", e);
    }
  }

  @Override
  public String toString() {
    return "Simulation(" + replayHint(seed) + ", at " + now() + ", " + nodes.size() + " nodes)";
  }
}
