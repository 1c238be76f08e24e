package io.ferry.sim.push;

import io.ferry.core.Bytes;
import io.ferry.core.Hash;
import io.ferry.core.Limits;
import io.ferry.core.identity.NodeId;
import io.ferry.merkledb.Batch;
import io.ferry.merkledb.Revision;
import io.ferry.node.Node;
import io.ferry.node.NodeStores;
import io.ferry.node.config.NodeSettings;
import io.ferry.sim.Latency;
import io.ferry.sim.LinkModel;
import io.ferry.sim.NodeContext;
import io.ferry.sim.SimNode;
import io.ferry.sim.Simulation;
import io.ferry.sim.node.PushLie;
import io.ferry.sim.node.SimEnvironment;
import io.ferry.sync.push.PushClient;
import java.io.IOException;
import java.io.UncheckedIOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.Random;
import java.util.TreeMap;

/**
 * Push sync between whole nodes in the simulator: a producer that the test makes commit (through
 * {@link Node#commit}, the application's path), {@link #SUBSCRIBERS} followers that each dial it
 * and one earlier follower (so all of them subscribe to the producer, filling its table), and a
 * lying pusher with its victims. The liar is an honest node in everything but its pushes, which
 * {@link PushLie} falsifies on the wire; it dials two subscribers (not the producer) and relays
 * what it applies to its own subscribers. Each victim dials the liar and one honest subscriber, the
 * latter over a slow link so that the liar is connected first and becomes the victim's first push
 * source.
 *
 * <p>The checker ({@link #check}) holds every honest node's state to one the producer made at its
 * height, and its height to never go down, within an incarnation or across a crash. Snapshots are
 * off: archives are not what this world is about, and they would cost most of its wall time.
 *
 * <p>Not thread-safe: the simulation runs on the caller's thread.
 */
final class PushWorld implements AutoCloseable {
  /** Followers that dial the producer in the full world: as many subscriptions as it holds. */
  static final int SUBSCRIBERS = Limits.MAX_OPEN_SUBSCRIPTIONS;

  /** Followers that dial the liar and one honest subscriber. */
  static final int VICTIMS = 4;

  /** When the victims join. */
  static final Duration VICTIMS_JOIN = Duration.ofSeconds(5);

  /** Puts in each commit, and one delete of an earlier key after the first commit. */
  static final int PUTS_PER_COMMIT = 8;

  static final LinkModel CLEAN =
      LinkModel.of(Latency.uniform(Duration.ofMillis(2), Duration.ofMillis(20)));

  /** As {@code ferry sim --faults loss}: latency and the packet faults beneath TCP. */
  static final LinkModel LOSSY =
      LinkModel.of(Latency.uniform(Duration.ofMillis(5), Duration.ofMillis(80)))
          .withLoss(0.02)
          .withDuplication(0.01)
          .withReordering(0.05, Duration.ofMillis(50))
          .withResets(0.0005);

  /**
   * Between a victim and the liar: the liar is connected to its own source (a subscriber) before
   * its victims, so it subscribes there, not to a victim.
   */
  static final Latency MEDIUM = Latency.fixed(Duration.ofMillis(100));

  /** Between a victim and its honest peer: it connects after the liar. */
  static final Latency SLOW = Latency.fixed(Duration.ofMillis(250));

  final Simulation sim;
  final SimNode<Node> producer;
  final List<SimNode<Node>> subscribers = new ArrayList<>();
  final SimNode<Node> liar;
  final List<SimNode<Node>> victims = new ArrayList<>();
  private final List<SimNode<Node>> honest = new ArrayList<>();
  private final Random random;
  private final Path dirs;

  // The producer's root at each height it committed.
  private final TreeMap<Long, Hash> producerRoots = new TreeMap<>();
  private final Map<String, Long> lastHeight = new TreeMap<>();
  private final List<String> violations = new ArrayList<>();
  private boolean committing;
  private boolean lossy;

  /**
   * @param count followers that dial the producer (and one earlier subscriber each); at least 3,
   *     the first three being the liar's sources and the victims' honest peer
   */
  PushWorld(long seed, int count) {
    this.sim = new Simulation(seed);
    this.random = new Random(seed * 31 + 11);
    try {
      this.dirs = Files.createTempDirectory("ferry-pushsim-");
    } catch (IOException e) {
      throw new UncheckedIOException(e);
    }
    sim.network().setDefaultLink(CLEAN);
    sim.network()
        .setInterceptor((from, to, env) -> from.equals(liarId()) ? PushLie.falsify(env) : env);
    NodeSettings p = base("producer");
    p.produce = true;
    p.producer.updatesPerCommit = 0; // only what the test commits
    producer = add("producer", p);
    for (int i = 1; i <= count; i++) {
      String name = String.format("sub-%03d", i);
      NodeSettings s = follower(name);
      s.peers.add(producer.address().toString());
      if (!subscribers.isEmpty()) {
        s.peers.add(subscribers.get(random.nextInt(subscribers.size())).address().toString());
      }
      SimNode<Node> n = add(name, s);
      subscribers.add(n);
      honest.add(n);
    }
    NodeSettings l = follower("liar");
    l.peers.add(subscribers.get(0).address().toString());
    l.peers.add(subscribers.get(1).address().toString());
    liar = add("liar", l);
    links();
    sim.schedule(VICTIMS_JOIN, this::addVictims);
  }

  /** The victims join once the liar is fed by pushes, and so has pushes to falsify. */
  private void addVictims() {
    SimNode<Node> relay = subscribers.get(2);
    for (int i = 1; i <= VICTIMS; i++) {
      NodeSettings v = follower("victim-" + i);
      v.peers.add(liar.address().toString());
      v.peers.add(relay.address().toString());
      String name = "victim-" + i;
      victims.add(
          sim.addNode(
              name,
              ctx -> {
                victimLinks(ctx.key().id()); // before it dials
                return Node.start(v.toConfig(), environment(ctx, name));
              }));
    }
    honest.addAll(victims);
  }

  private NodeId liarId() {
    return liar == null ? null : liar.id();
  }

  private static NodeSettings base(String name) {
    NodeSettings s = new NodeSettings();
    s.data = "sim/" + name;
    s.p2p = "127.0.0.1:0";
    s.http = "off";
    s.headIntervalMs = 1000L;
    s.snapshots.fullInterval = 0L;
    s.snapshots.incrementalInterval = 0L;
    s.bootstrapWait = 0L;
    return s;
  }

  private NodeSettings follower(String name) {
    NodeSettings s = base(name);
    s.trustProducer = producer.id().toString();
    s.peers = new ArrayList<>();
    return s;
  }

  private SimNode<Node> add(String name, NodeSettings s) {
    return sim.addNode(name, ctx -> Node.start(s.toConfig(), environment(ctx, name)));
  }

  private SimEnvironment environment(NodeContext ctx, String name) {
    return new SimEnvironment(ctx, dirs.resolve(name), dirs.resolve(name + ".bootstrap"));
  }

  /** Every link clean (false) or lossy (true) from now on. */
  void lossy(boolean on) {
    lossy = on;
    links();
  }

  private void links() {
    LinkModel model = lossy ? LOSSY : CLEAN;
    sim.network().setDefaultLink(model);
    for (SimNode<Node> v : victims) {
      victimLinks(v.id());
    }
  }

  /** A victim's links: the liar answers it before its honest peer. */
  private void victimLinks(NodeId victim) {
    LinkModel model = lossy ? LOSSY : CLEAN;
    sim.network().setLink(victim, liar.id(), model.withLatency(MEDIUM));
    sim.network().setLink(victim, subscribers.get(2).id(), model.withLatency(SLOW));
  }

  // ------------------------------------------------------------------ the application

  /** The producer commits one batch every {@code every} until {@link #stopCommitting}. */
  void startCommitting(Duration every) {
    committing = true;
    sim.schedule(every, () -> commitAndRepeat(every));
  }

  void stopCommitting() {
    committing = false;
  }

  private void commitAndRepeat(Duration every) {
    if (!committing) {
      return;
    }
    if (producer.isUp()) {
      Revision r = producer.app().commit(batch(producer.app().store().height() + 1));
      producerRoots.put(r.height(), r.root());
    }
    sim.schedule(every, () -> commitAndRepeat(every));
  }

  private Batch batch(long height) {
    Batch b = new Batch();
    for (int i = 0; i < PUTS_PER_COMMIT; i++) {
      byte[] value = new byte[32];
      random.nextBytes(value);
      b.put(key(height, i), Bytes.wrap(value));
    }
    if (height > 1) {
      b.delete(key(height - 1, (int) (height % PUTS_PER_COMMIT)));
    }
    return b;
  }

  private static Bytes key(long height, int i) {
    return Bytes.fromHex(String.format("%016x%08x%040x", height, i, 0));
  }

  // ------------------------------------------------------------------ the checker

  /**
   * Holds every honest node up to the producer's states: its root at its height is the producer's,
   * and its height never went down. Violations are collected.
   */
  void check() {
    String at = "at " + sim.now().toMillis() + " ms: ";
    for (SimNode<Node> n : honest) {
      if (!n.isUp()) {
        continue;
      }
      Revision r = n.app().store().revision();
      if (r.height() == 0) {
        continue;
      }
      Hash expected = producerRoots.get(r.height());
      if (!r.root().equals(expected)) {
        violations.add(at + n.name() + " at height " + r.height() + " has root " + r.root());
      }
      Long before = lastHeight.put(n.name(), r.height());
      if (before != null && before > r.height()) {
        violations.add(at + n.name() + " went back from " + before + " to " + r.height());
      }
    }
  }

  /** Runs {@code d} of virtual time, checking every second. */
  void run(Duration d) {
    for (long s = 0; s < d.toSeconds(); s++) {
      sim.run(Duration.ofSeconds(1));
      check();
    }
  }

  List<String> violations() {
    return List.copyOf(violations);
  }

  /** Whether every honest node is up at the producer's newest state. */
  boolean allAtProducer() {
    Revision p = producer.app().store().revision();
    for (SimNode<Node> n : honest) {
      if (!n.isUp() || !n.app().store().revision().equals(p)) {
        return false;
      }
    }
    return true;
  }

  /** The honest followers: the subscribers and the victims. */
  List<SimNode<Node>> honest() {
    return honest;
  }

  static PushClient.Stats push(SimNode<Node> n) {
    return n.app().pushClient().orElseThrow().stats();
  }

  @Override
  public void close() {
    NodeStores.delete(dirs);
  }
}
