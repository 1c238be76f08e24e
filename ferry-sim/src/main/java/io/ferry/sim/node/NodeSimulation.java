package io.ferry.sim.node;

import com.google.protobuf.ByteString;
import io.ferry.core.Bytes;
import io.ferry.core.Hash;
import io.ferry.core.identity.NodeId;
import io.ferry.core.identity.NodeKey;
import io.ferry.core.runtime.ManualClock;
import io.ferry.gossip.head.SignedHead;
import io.ferry.gossip.plane.GossipConfig;
import io.ferry.gossip.value.SignedValue;
import io.ferry.gossip.value.ValueKind;
import io.ferry.net.ProtocolId;
import io.ferry.node.Node;
import io.ferry.node.NodeStores;
import io.ferry.node.bootstrap.Bootstrap;
import io.ferry.node.config.NodeSettings;
import io.ferry.sim.Latency;
import io.ferry.sim.LinkModel;
import io.ferry.sim.SimNode;
import io.ferry.sim.Simulation;
import io.ferry.sync.push.PushClient;
import io.ferry.wire.v1.Envelope;
import io.ferry.wire.v1.GossipMessage;
import io.ferry.wire.v1.Kind;
import io.ferry.wire.v1.PullResponse;
import io.ferry.wire.v1.Push;
import io.ferry.wire.v1.StateSyncMessage;
import java.io.IOException;
import java.io.UncheckedIOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.LinkedHashSet;
import java.util.List;
import java.util.Random;
import java.util.Set;
import java.util.function.ToLongFunction;

/**
 * Whole Ferry nodes, the same {@link Node} assembly a real node runs, in the simulator: a producer
 * that commits, followers that proof-sync, follow with change proofs and serve each other, every
 * node making snapshot archives every {@link #INCREMENTAL_ARCHIVE_INTERVAL} commits, and (with
 * {@link Fault#LIARS}) followers whose every answer lies, over a simulated network and disk in
 * virtual time. Faults are injected during the first {@link #FAULT_SHARE} of the run; the rest lets
 * the network heal and converge. {@link Invariants} are checked every {@link #CHECK_EVERY} of
 * virtual time and at the end.
 *
 * <p>Nodes keep static peers ({@code --peer}), or with {@link Options#discovery} find them through
 * gossip from entrypoints ({@code --entrypoint}), as {@code ferry node} does.
 *
 * <p>Archives are files: they go to a directory per node under a temporary directory of the run
 * (see {@link #archiveBase}), deleted when the simulation is {@link #close closed}. Their content
 * is a function of the state, so it replays with the seed.
 *
 * <p>A run is a function of its {@link Options}: the same options give the same {@link
 * Report#traceHash}. Not thread-safe: a run owns the calling thread.
 */
public final class NodeSimulation implements AutoCloseable {
  /** Virtual time between two invariant checks. */
  public static final Duration CHECK_EVERY = Duration.ofSeconds(10);

  /** The part of the run during which faults are injected; the rest is for healing. */
  public static final double FAULT_SHARE = 0.6;

  /** A full archive at every height that is a multiple of this. */
  public static final long FULL_ARCHIVE_INTERVAL = 50;

  /** An incremental archive at the multiples of this in between. */
  public static final long INCREMENTAL_ARCHIVE_INTERVAL = 20;

  /** Chunk size of the archives: small, so that the small state of a run spans several chunks. */
  static final int ARCHIVE_CHUNK_BYTES = 64 << 10;

  /** When the first newcomer joins, as a share of the run: after the first full archive. */
  public static final double NEWCOMERS_FROM = 0.45;

  /** How long a newcomer waits for a snapshot the producer advertises. */
  static final long NEWCOMER_BOOTSTRAP_WAIT_SECONDS = 60;

  /** Faults a run can inject. */
  public enum Fault {
    /** Nodes, the producer among them, lose power at random instants and restart later. */
    CRASH,
    /** Nodes, the producer among them, stop gracefully at random instants and start again later. */
    STOP,
    /** The network splits in two at random and heals. */
    PARTITION,
    /** Links drop 2% of frames and reorder 5%, with latency from 5 to 80 ms. */
    LOSS,
    /**
     * A tenth of the nodes lie: tampered proofs; heads forged in the producer's name, signed by a
     * stranger, or replayed from long ago; garbage gossip; corrupt state-sync chunks; pushed
     * commits whose batch does not make the signed root ({@link PushLie}).
     */
    LIARS
  }

  /**
   * What to run.
   *
   * @param nodes all nodes, the producer and the liars included (at least 2)
   * @param peersPerNode how many earlier nodes each node dials
   * @param commitInterval virtual time between the producer's commits
   * @param updatesPerCommit puts per commit (small state: 32-byte keys, 32-byte values)
   * @param discovery whether nodes find their peers through gossip ({@code --entrypoint}: up to
   *     {@link #ENTRYPOINTS} earlier nodes each, without ids) instead of dialling {@code
   *     peersPerNode} static peers ({@code --peer})
   * @param newcomers honest nodes, besides {@code nodes}, that join empty while the run goes on
   *     ({@link #NEWCOMERS_FROM} to {@link #FAULT_SHARE} of it) and bootstrap by state sync from
   *     their peers ({@code --bootstrap chunks}, trusting the producer's signed snapshot)
   */
  public record Options(
      int nodes,
      long seed,
      Duration duration,
      Set<Fault> faults,
      int peersPerNode,
      Duration commitInterval,
      int updatesPerCommit,
      boolean discovery,
      int newcomers) {
    /** Entrypoints each node is given with {@link #discovery}. */
    public static final int ENTRYPOINTS = 2;

    public Options {
      if (nodes < 2) {
        throw new IllegalArgumentException("a run needs a producer and a follower: " + nodes);
      }
      if (duration.compareTo(CHECK_EVERY) < 0) {
        throw new IllegalArgumentException("a run lasts at least " + CHECK_EVERY);
      }
      if (newcomers < 0) {
        throw new IllegalArgumentException("newcomers must not be negative: " + newcomers);
      }
      faults = Set.copyOf(faults);
    }

    public static Options of(int nodes, long seed, Duration duration, Set<Fault> faults) {
      return new Options(nodes, seed, duration, faults, 3, Duration.ofSeconds(1), 20, false, 0);
    }

    /** These options with nodes that discover their peers (true) or keep static ones. */
    public Options withDiscovery(boolean on) {
      return new Options(
          nodes,
          seed,
          duration,
          faults,
          peersPerNode,
          commitInterval,
          updatesPerCommit,
          on,
          newcomers);
    }

    /** These options with {@code n} newcomers that bootstrap by state sync. */
    public Options withNewcomers(int n) {
      return new Options(
          nodes,
          seed,
          duration,
          faults,
          peersPerNode,
          commitInterval,
          updatesPerCommit,
          discovery,
          n);
    }

    int liars() {
      return faults.contains(Fault.LIARS) ? Math.max(1, nodes / 10) : 0;
    }
  }

  /**
   * What a run did.
   *
   * @param commits the producer's height at the end
   * @param fullSyncs full proof syncs that finished, over every node and incarnation
   * @param crashes power losses injected
   * @param stops graceful stops injected
   * @param bans liars banned by at least one honest node, of {@code liars}
   * @param checks invariant checks made
   * @param maxLag the most commits an honest node was behind the producer at the end
   * @param archives archives the checker found on honest nodes and the producer, each counted once
   *     per node
   * @param violations broken invariants, empty when the run is good
   * @param traceHash SHA-256 over every event, equal for equal options
   * @param chunkBootstraps newcomers whose store a state sync restored
   * @param pushed commits honest nodes applied from a push, over every incarnation
   * @param wrongRoots pushed commits honest nodes found not to make their signed root (a liar's),
   *     over every incarnation
   */
  public record Report(
      Options options,
      long commits,
      long fullSyncs,
      int crashes,
      int stops,
      int liars,
      int bans,
      long checks,
      long maxLag,
      long archives,
      List<String> violations,
      String traceHash,
      long events,
      int chunkBootstraps,
      long pushed,
      long wrongRoots) {
    public boolean ok() {
      return violations.isEmpty();
    }
  }

  private final Options options;
  private final Simulation sim;
  private final Random random;
  private final List<SimNode<Node>> honest = new ArrayList<>();
  private final List<SimNode<Node>> liars = new ArrayList<>();
  private final List<SimNode<Node>> newcomers = new ArrayList<>();
  // Newcomers a state sync restored, by name.
  private final java.util.Map<String, Bootstrapped> chunkBootstraps = new java.util.TreeMap<>();

  /**
   * A newcomer's bootstrap that restored its store.
   *
   * @param reason what the bootstrap said
   * @param rejected the peers it rejected for chunks that failed their check
   */
  record Bootstrapped(String reason, List<NodeId> rejected) {}

  private final LinkedHashSet<NodeId> liarIds = new LinkedHashSet<>();
  // The producer's and honest nodes' names, by id: whose pushes the checker judges.
  private final java.util.Map<NodeId, String> honestNames = new java.util.HashMap<>();

  /** The network simulated nodes run in (the default). */
  private static final String NETWORK = GossipConfig.DEFAULT_NETWORK;

  private final NodeKey stranger;
  private final Invariants invariants;
  private final Path archiveRoot;
  private SimNode<Node> producer;
  private int crashes;
  private SignedValue oldHead;
  private SignedValue strangersHead;
  private Bytes forgedPayload;
  private int stops;
  private long headLies;
  // Push counters of incarnations that ended (a crash or stop drops a node's counters).
  private long pushedBefore;
  private long wrongRootsBefore;

  NodeSimulation(Options options) {
    this.options = options;
    this.sim = new Simulation(options.seed());
    this.random = new Random(options.seed() * 31 + 7);
    byte[] strangerSeed = new byte[32];
    random.nextBytes(strangerSeed);
    this.stranger = NodeKey.fromSeed(strangerSeed);
    this.invariants = new Invariants();
    try {
      this.archiveRoot = Files.createTempDirectory(archiveBase(), "ferry-sim-");
    } catch (IOException e) {
      throw new UncheckedIOException("cannot create the simulation's archive directory", e);
    }
  }

  /**
   * Where runs keep their archives: a memory file system where the machine has one (Linux's {@code
   * /dev/shm}), else {@code java.io.tmpdir}. Each archive write fsyncs its file and directory,
   * which a run of hundreds of archives would wait for on a disk and which costs nothing in memory.
   */
  private static Path archiveBase() {
    Path shm = Path.of("/dev/shm");
    if (Files.isDirectory(shm) && Files.isWritable(shm)) {
      return shm;
    }
    return Path.of(System.getProperty("java.io.tmpdir"));
  }

  /** Runs {@code options} to the end and reports; never throws for a broken invariant. */
  public static Report run(Options options) {
    try (NodeSimulation s = new NodeSimulation(options)) {
      return s.execute();
    }
  }

  /** Deletes the nodes' archives. The nodes are left as they are (the simulator is dropped). */
  @Override
  public void close() {
    NodeStores.delete(archiveRoot);
  }

  Report execute() {
    if (options.faults().contains(Fault.LOSS)) {
      sim.network()
          .setDefaultLink(
              LinkModel.of(Latency.uniform(Duration.ofMillis(5), Duration.ofMillis(80)))
                  .withLoss(0.02)
                  .withDuplication(0.01)
                  .withReordering(0.05, Duration.ofMillis(50))
                  .withResets(0.0005));
    }
    sim.network().setInterceptor(this::lie);
    startNodes();
    Duration faultsUntil = Duration.ofMillis((long) (options.duration().toMillis() * FAULT_SHARE));
    if (options.faults().contains(Fault.CRASH)) {
      scheduleCrashes(faultsUntil);
    }
    if (options.faults().contains(Fault.PARTITION)) {
      schedulePartitions(faultsUntil);
    }
    if (options.faults().contains(Fault.STOP)) {
      scheduleStops(faultsUntil);
    }
    scheduleNewcomers(faultsUntil);
    Duration progressFrom = faultsUntil.plus(Invariants.RECOVERY);
    Duration elapsed = Duration.ZERO;
    while (elapsed.compareTo(options.duration()) < 0) {
      Duration step = min(CHECK_EVERY, options.duration().minus(elapsed));
      sim.run(step);
      elapsed = elapsed.plus(step);
      boolean progressDue =
          elapsed.minus(step).compareTo(progressFrom) >= 0 && step.equals(CHECK_EVERY);
      invariants.check(this, false, progressDue);
    }
    invariants.check(this, true, false);
    for (SimNode<Node> n : newcomers) {
      if (!chunkBootstraps.containsKey(n.name())) {
        invariants.violate(
            "at the end: "
                + n.name()
                + ", a newcomer, was not restored by state sync"
                + n.app().bootstrap().map(b -> " (" + b.report().reason() + ")").orElse(""));
      }
    }
    int banned = 0;
    for (NodeId liar : liarIds) {
      if (bannedByAnyHonest(liar)) {
        banned++;
      }
    }
    return new Report(
        options,
        producerHeight(),
        invariants.fullSyncs(),
        crashes,
        stops,
        liarIds.size(),
        banned,
        invariants.checks(),
        invariants.maxLag(),
        invariants.archives(),
        invariants.violations(),
        sim.traceHash().toHex(),
        sim.events(),
        chunkBootstraps.size(),
        pushedBefore + pushTotal(PushClient.Stats::applied),
        wrongRootsBefore + pushTotal(PushClient.Stats::wrongRoots));
  }

  /** {@code counter} of the push clients of honest nodes up now, summed. */
  private long pushTotal(ToLongFunction<PushClient.Stats> counter) {
    long sum = 0;
    for (SimNode<Node> n : honest) {
      if (n.isUp()) {
        sum += n.app().pushClient().map(c -> counter.applyAsLong(c.stats())).orElse(0L);
      }
    }
    return sum;
  }

  /** Keeps the push counters of an incarnation about to end. */
  private void endingIncarnation(SimNode<Node> n) {
    n.app()
        .pushClient()
        .ifPresent(
            c -> {
              pushedBefore += c.stats().applied();
              wrongRootsBefore += c.stats().wrongRoots();
            });
  }

  private static Duration min(Duration a, Duration b) {
    return a.compareTo(b) <= 0 ? a : b;
  }

  // ------------------------------------------------------------------ nodes

  private void startNodes() {
    NodeSettings p = base("producer");
    p.produce = true;
    p.producer.updatesPerCommit = options.updatesPerCommit();
    p.producer.commitIntervalMs = options.commitInterval().toMillis();
    p.producer.valueSize = 32;
    producer =
        sim.addNode("producer", ctx -> Node.start(p.toConfig(), environment(ctx, "producer")));
    honestNames.put(producer.id(), producer.name());
    List<SimNode<Node>> all = new ArrayList<>(List.of(producer));
    int liarCount = options.liars();
    for (int i = 1; i < options.nodes(); i++) {
      String name = String.format("node-%04d", i);
      boolean liar = i >= options.nodes() - liarCount;
      NodeSettings s = base(name);
      s.trustProducer = producer.id().toString();
      if (options.discovery()) {
        // As an operator writes them: host and port, the id learned from the handshake.
        s.entrypoints = new ArrayList<>();
        for (SimNode<Node> e : pickPeers(all, Options.ENTRYPOINTS)) {
          s.entrypoints.add(e.address().hostPort());
        }
      } else {
        s.peers = new ArrayList<>();
        for (SimNode<Node> peer : pickPeers(all, options.peersPerNode())) {
          s.peers.add(peer.address().toString());
        }
      }
      SimNode<Node> node =
          sim.addNode(name, ctx -> Node.start(s.toConfig(), environment(ctx, name)));
      all.add(node);
      if (liar) {
        liars.add(node);
        liarIds.add(node.id());
      } else {
        honest.add(node);
        honestNames.put(node.id(), name);
      }
    }
  }

  private NodeSettings base(String name) {
    NodeSettings s = new NodeSettings();
    s.data = "sim/" + name;
    s.p2p = "127.0.0.1:0"; // the simulated transport has its own address
    s.http = "off";
    s.headIntervalMs = 1000L;
    s.snapshots.fullInterval = FULL_ARCHIVE_INTERVAL;
    s.snapshots.incrementalInterval = INCREMENTAL_ARCHIVE_INTERVAL;
    s.snapshots.chunkSize = ARCHIVE_CHUNK_BYTES;
    // A snapshot bootstrap downloads archives over HTTP, which simulated nodes do not serve.
    s.bootstrapWait = 0L;
    return s;
  }

  /** Where the node named {@code name} keeps its archives, in every incarnation. */
  Path snapshotDir(String name) {
    return archiveRoot.resolve(name);
  }

  private SimEnvironment environment(io.ferry.sim.NodeContext ctx, String name) {
    return new SimEnvironment(ctx, snapshotDir(name), archiveRoot.resolve(name + ".bootstrap"));
  }

  /**
   * Newcomers join one after another from {@link #NEWCOMERS_FROM} of the run to {@code until}:
   * empty honest nodes with the producer and two earlier nodes as peers (or two entrypoints with
   * discovery), trusting the producer, that bootstrap by state sync ({@code --bootstrap chunks}).
   * Each one's bootstrap that restores a store is noted; at the end every newcomer must have been
   * restored so.
   */
  private void scheduleNewcomers(Duration until) {
    long from = (long) (options.duration().toMillis() * NEWCOMERS_FROM);
    long span = Math.max(0, until.toMillis() - from);
    for (int k = 0; k < options.newcomers(); k++) {
      String name = String.format("newcomer-%02d", k + 1);
      long at = from + span * k / Math.max(1, options.newcomers());
      sim.schedule(Duration.ofMillis(at), () -> addNewcomer(name));
    }
  }

  private void addNewcomer(String name) {
    List<SimNode<Node>> earlier = new ArrayList<>(honest);
    earlier.sort(java.util.Comparator.comparing(SimNode::name));
    NodeSettings s = base(name);
    s.trustProducer = producer.id().toString();
    s.bootstrapWait = NEWCOMER_BOOTSTRAP_WAIT_SECONDS;
    s.bootstrap = "chunks";
    if (options.discovery()) {
      s.entrypoints = new ArrayList<>();
      for (SimNode<Node> e : pickPeers(earlier, Options.ENTRYPOINTS)) {
        s.entrypoints.add(e.address().hostPort());
      }
    } else {
      // The producer, a liar when there are liars (its chunks must cost it, not the newcomer),
      // and honest nodes.
      List<SimNode<Node>> peers = new ArrayList<>(List.of(producer));
      if (!liars.isEmpty()) {
        peers.add(liars.get(newcomers.size() % liars.size()));
      }
      peers.addAll(pickPeers(earlier, options.peersPerNode() - peers.size()));
      s.peers = new ArrayList<>();
      for (SimNode<Node> peer : peers) {
        s.peers.add(peer.address().toString());
      }
    }
    SimNode<Node> node =
        sim.addNode(
            name,
            ctx -> {
              Node n = Node.start(s.toConfig(), environment(ctx, name));
              n.bootstrap()
                  .ifPresent(
                      b ->
                          b.done()
                              .thenAccept(
                                  o -> {
                                    if (o.restored()) {
                                      bootstrapped(name, o.reason(), b.report());
                                    }
                                  }));
              return n;
            });
    newcomers.add(node);
    honest.add(node);
    honestNames.put(node.id(), name);
  }

  /**
   * Notes a newcomer's bootstrap that restored its store; one that rejected an honest peer lied.
   */
  private void bootstrapped(String name, String reason, Bootstrap.Report report) {
    List<NodeId> rejected = new ArrayList<>();
    for (Bootstrap.ServerReport r : report.servers()) {
      if (r.dropped() != null) {
        rejected.add(r.id());
        if (!liarIds.contains(r.id())) {
          invariants.violate(
              "at "
                  + sim.now().toSeconds()
                  + "s: "
                  + name
                  + " rejected honest "
                  + r.id()
                  + ": "
                  + r.dropped());
        }
      }
    }
    chunkBootstraps.put(name, new Bootstrapped(reason, List.copyOf(rejected)));
  }

  /** Up to {@code count} distinct earlier nodes, the producer for the first few. */
  private List<SimNode<Node>> pickPeers(List<SimNode<Node>> earlier, int count) {
    Set<SimNode<Node>> picked = new LinkedHashSet<>();
    int want = Math.min(count, earlier.size());
    while (picked.size() < want) {
      picked.add(earlier.get(random.nextInt(earlier.size())));
    }
    return List.copyOf(picked);
  }

  // ------------------------------------------------------------------ faults

  private void scheduleCrashes(Duration until) {
    long at = 0;
    while (true) {
      at += 5_000 + random.nextInt(20_000);
      if (at >= until.toMillis()) {
        return;
      }
      int pick = random.nextInt(honest.size() + 1);
      SimNode<Node> victim = pick == honest.size() ? producer : honest.get(pick);
      long downFor = 2_000 + random.nextInt(20_000);
      sim.schedule(
          Duration.ofMillis(at),
          () -> {
            if (victim.isUp()) {
              invariants.beforeCrash(victim);
              endingIncarnation(victim);
              sim.crash(victim);
              crashes++;
              sim.schedule(Duration.ofMillis(downFor), () -> restart(victim));
            }
          });
    }
  }

  private void scheduleStops(Duration until) {
    long at = 0;
    while (true) {
      at += 15_000 + random.nextInt(30_000);
      if (at >= until.toMillis()) {
        return;
      }
      int pick = random.nextInt(honest.size() + 1);
      SimNode<Node> victim = pick == honest.size() ? producer : honest.get(pick);
      long downFor = 1_000 + random.nextInt(10_000);
      sim.schedule(
          Duration.ofMillis(at),
          () -> {
            if (victim.isUp()) {
              invariants.beforeCrash(victim);
              endingIncarnation(victim);
              sim.stop(victim);
              stops++;
              sim.schedule(Duration.ofMillis(downFor), () -> restart(victim));
            }
          });
    }
  }

  private void restart(SimNode<Node> node) {
    if (!node.isUp()) {
      sim.restart(node);
      invariants.afterRestart(node);
    }
  }

  private void schedulePartitions(Duration until) {
    long at = 0;
    while (true) {
      at += 20_000 + random.nextInt(40_000);
      long lasts = 5_000 + random.nextInt(25_000);
      if (at + lasts >= until.toMillis()) {
        return;
      }
      List<SimNode<?>> a = new ArrayList<>();
      List<SimNode<?>> b = new ArrayList<>();
      for (SimNode<?> n : sim.nodes()) {
        (random.nextBoolean() ? a : b).add(n);
      }
      sim.schedule(Duration.ofMillis(at), () -> sim.partition(a, b));
      sim.schedule(Duration.ofMillis(at + lasts), sim::heal);
    }
  }

  // ------------------------------------------------------------------ liars

  /**
   * What a liar puts on the wire instead of the truth: proofs with a byte flipped, and in place of
   * the gossip values it pushes or answers a pull with, in turn: a head value in the producer's
   * name signed by a stranger (a lie that costs a ban), a stranger's own head far ahead (honestly
   * signed: stored and relayed, never followed), the producer's first head value replayed (old:
   * ignored, and it must not take anyone back), and a stranger's value from the future (refused,
   * costs the sender). Other gossip messages become garbage. Every push it sends its subscribers
   * carries a batch changed under the producer's real signed head ({@link PushLie}). Requests it
   * sends and everything honest nodes send pass unchanged.
   */
  private Envelope lie(NodeId from, NodeId to, Envelope env) {
    if (!liarIds.contains(from)) {
      if (oldHead == null && env.getProtocolValue() == ProtocolId.GOSSIP.value()) {
        oldHead = producerHeadIn(env); // the first real head on the wire: replayed by liars later
      }
      if (env.getProtocolValue() == ProtocolId.PUSH_SYNC.value()
          && env.getKind() == Kind.KIND_MESSAGE) {
        invariants.pushed(
            "at " + sim.now().toMillis() + " ms: ", honestNames.get(from), env.getPayload());
      }
      return env;
    }
    if (liarIds.contains(to) || env.getProtocolValue() <= 0) {
      return env; // control frames (pings, goodbyes) carry no protocol, and pass as they are
    }
    ProtocolId protocol = new ProtocolId(env.getProtocolValue());
    if (env.getKind() == Kind.KIND_RESPONSE && protocol.equals(ProtocolId.PROOF_SYNC)) {
      byte[] payload = env.getPayload().toByteArray();
      if (payload.length == 0) {
        return env;
      }
      payload[payload.length / 2] ^= 0x5a;
      return env.toBuilder().setPayload(ByteString.copyFrom(payload)).build();
    }
    if (protocol.equals(ProtocolId.SNAPSHOT_SYNC)) {
      return corruptChunk(env);
    }
    if (protocol.equals(ProtocolId.PUSH_SYNC)) {
      return PushLie.falsify(env);
    }
    if (!protocol.equals(ProtocolId.GOSSIP)) {
      return env;
    }
    if (env.getKind() == Kind.KIND_RESPONSE) {
      PullResponse lies = PullResponse.newBuilder().addValues(nextLie()).build();
      return env.toBuilder().setPayload(lies.toByteString()).build();
    }
    if (env.getKind() == Kind.KIND_MESSAGE) {
      ByteString payload =
          headLies % 2 == 0
              ? GossipMessage.newBuilder()
                  .setPush(Push.newBuilder().setNetwork(NETWORK).addValues(nextLie()))
                  .build()
                  .toByteString()
              : ByteString.copyFrom(new byte[] {(byte) 0xff, 1});
      headLies++;
      return env.toBuilder().setPayload(payload).build();
    }
    return env;
  }

  /** A state-sync chunk a liar sends, with a byte flipped; its other state-sync messages pass. */
  private static Envelope corruptChunk(Envelope env) {
    StateSyncMessage m;
    try {
      m = StateSyncMessage.parseFrom(env.getPayload());
    } catch (com.google.protobuf.InvalidProtocolBufferException e) {
      return env;
    }
    if (!m.hasChunkResponse() || m.getChunkResponse().getChunk().isEmpty()) {
      return env;
    }
    byte[] chunk = m.getChunkResponse().getChunk().toByteArray();
    chunk[chunk.length / 2] ^= 0x5a;
    StateSyncMessage lie =
        m.toBuilder()
            .setChunkResponse(m.getChunkResponse().toBuilder().setChunk(ByteString.copyFrom(chunk)))
            .build();
    return env.toBuilder().setPayload(lie.toByteString()).build();
  }

  private io.ferry.wire.v1.SignedValue nextLie() {
    long now = ManualClock.EPOCH.toEpochMilli() + sim.nanos() / 1_000_000;
    if (strangersHead == null) {
      // Signed once: a stranger's head is one value, however often liars repeat it.
      SignedHead far = SignedHead.sign(stranger, 1L << 40, Hash.ZERO);
      Bytes payload = Bytes.wrap(far.toProto().toByteArray());
      strangersHead =
          SignedValue.sign(stranger, NETWORK, ValueKind.SIGNED_HEAD, now, Bytes.EMPTY, payload);
      SignedHead claimed = new SignedHead(producer.id(), 1L << 40, Hash.ZERO, far.signature());
      forgedPayload = Bytes.wrap(claimed.toProto().toByteArray());
    }
    SignedValue value =
        switch ((int) (headLies++ % 4)) {
          case 0 ->
              new SignedValue(
                  producer.id(),
                  ValueKind.SIGNED_HEAD,
                  now,
                  Bytes.EMPTY,
                  forgedPayload,
                  strangersHead.signature());
          case 1 -> strangersHead;
          case 2 -> oldHead != null ? oldHead : strangersHead;
          default ->
              new SignedValue(
                  stranger.id(),
                  ValueKind.SIGNED_HEAD,
                  now + 3_600_000,
                  Bytes.EMPTY,
                  strangersHead.payload(),
                  strangersHead.signature());
        };
    return value.toProto();
  }

  /** The producer's head value a gossip push or pull answer carries, or null. */
  private SignedValue producerHeadIn(Envelope env) {
    try {
      List<io.ferry.wire.v1.SignedValue> values =
          switch (env.getKind()) {
            case KIND_MESSAGE ->
                GossipMessage.parseFrom(env.getPayload()).getPush().getValuesList();
            case KIND_RESPONSE -> PullResponse.parseFrom(env.getPayload()).getValuesList();
            default -> List.of();
          };
      for (io.ferry.wire.v1.SignedValue v : values) {
        SignedValue value = SignedValue.fromProto(v);
        if (value.kind() == ValueKind.SIGNED_HEAD && value.origin().equals(producer.id())) {
          return value;
        }
      }
    } catch (com.google.protobuf.InvalidProtocolBufferException | RuntimeException e) {
      return null;
    }
    return null;
  }

  /** Whether some honest node that is up has {@code liar} banned now. */
  boolean bannedByAnyHonest(NodeId liar) {
    for (SimNode<Node> n : honest) {
      if (n.isUp() && n.transport().peerManager().isBanned(liar)) {
        return true;
      }
    }
    return false;
  }

  /** Checks the invariants now, as at the end of a run; the violations found so far. */
  List<String> checkNow() {
    invariants.check(this, true, false);
    return invariants.violations();
  }

  // ------------------------------------------------------------------ what the checker reads

  Simulation simulation() {
    return sim;
  }

  SimNode<Node> producer() {
    return producer;
  }

  /** The newcomers that joined so far. */
  List<SimNode<Node>> newcomers() {
    return newcomers;
  }

  /** The bootstrap of each newcomer a state sync restored, by name. */
  java.util.Map<String, Bootstrapped> chunkBootstraps() {
    return chunkBootstraps;
  }

  List<SimNode<Node>> honest() {
    return honest;
  }

  java.util.SequencedSet<NodeId> liarIds() {
    return liarIds;
  }

  long producerHeight() {
    return producer.isUp() ? producer.app().store().height() : invariants.producerHeight();
  }
}
