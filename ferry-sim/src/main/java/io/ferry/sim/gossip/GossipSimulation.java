package io.ferry.sim.gossip;

import io.ferry.core.Hash;
import io.ferry.core.Sha256Hasher;
import io.ferry.core.archive.SnapshotHashes;
import io.ferry.core.identity.NodeId;
import io.ferry.gossip.discovery.DiscoveryConfig;
import io.ferry.gossip.plane.GossipConfig;
import io.ferry.gossip.plane.GossipPlane;
import io.ferry.gossip.value.SignedValue;
import io.ferry.gossip.value.SnapshotHashesCodec;
import io.ferry.gossip.value.ValueKind;
import io.ferry.gossip.value.ValueRules;
import io.ferry.net.PeerAddress;
import io.ferry.node.config.NodeSettings;
import io.ferry.sim.Latency;
import io.ferry.sim.LinkModel;
import io.ferry.sim.NodeContext;
import io.ferry.sim.SimNode;
import io.ferry.sim.Simulation;
import java.nio.charset.StandardCharsets;
import java.time.Duration;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.LinkedHashSet;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.Random;
import java.util.SequencedSet;
import java.util.Set;
import java.util.function.UnaryOperator;

/**
 * The gossip plane at scale: N lightweight nodes ({@link GossipNode}: a real {@link GossipPlane}
 * and the node's peer logic, by default {@code Discovery} from two earlier nodes as entrypoints
 * keeping {@link Options#peersPerNode} outbound peers) in the simulator, each machine with its own
 * monotonic clock and a calendar skewed by up to half a second. Every node publishes its contact
 * info, as a node does, so each store holds a value per node.
 *
 * <p>A run: {@link Options#warmup} for the contact infos to spread; then a measured window in which
 * one honest node after another publishes new {@link SnapshotHashes}, each timed until it reaches
 * {@value Spread#SHARE} of the live honest nodes, and every honest node's gossip bytes are counted;
 * then, with {@link Fault#PARTITION}, the network splits in two, nodes on both sides publish, it
 * heals, and every live honest node must end with the newest value of each of those origins.
 * Throughout, {@link ValueAudit} judges every value an honest node takes.
 *
 * <p>Faults: {@link Fault#LOSS} puts 5–80 ms of latency and 1% loss on every link (as TCP sees it:
 * retransmission delays and head-of-line blocking, see {@link LinkModel}); {@link Fault#CRASH}
 * crashes a tenth of the honest nodes once each, at random, for 2–22 s (a restarted node comes back
 * with an empty store and pulls); {@link Fault#LIARS} makes a twentieth of the nodes replace every
 * gossip message they send with a lie ({@link GossipLies}). Publishers neither lie nor crash: a
 * value whose only holder dies before it is sent cannot spread.
 *
 * <p>A run is a function of its {@link Options}: equal options give an equal {@link
 * Report#traceHash}. Not thread-safe: a run owns the calling thread.
 */
public final class GossipSimulation {
  /** Faults a run can inject. */
  public enum Fault {
    /** 5–80 ms of latency and 1% loss on every link. */
    LOSS,
    /** A tenth of the honest nodes crash once, and restart 2–22 s later with an empty store. */
    CRASH,
    /** A twentieth of the nodes lie in every gossip message they send. */
    LIARS,
    /** After the window the network splits in two, both sides publish, and it heals. */
    PARTITION
  }

  /** The network the simulated nodes gossip in. */
  static final String NETWORK = GossipConfig.DEFAULT_NETWORK;

  /** Entrypoints a discovering node is given: earlier nodes, by address only. */
  static final int ENTRYPOINTS = 2;

  /** How far apart the calendars of two machines may be: ±this. */
  static final long SKEW_MILLIS = 500;

  /** Virtual time between two checks of partition convergence. */
  private static final Duration CONVERGENCE_STEP = Duration.ofMillis(100);

  /** How long a healed partition may take to converge before it counts as broken. */
  private static final Duration CONVERGENCE_LIMIT = Duration.ofMinutes(3);

  /**
   * What to run.
   *
   * @param nodes all nodes, liars included
   * @param discovery whether nodes find their peers through gossip from two entrypoints each
   *     ({@code Discovery}, as {@code ferry node --entrypoint}), or keep static peers
   * @param peersPerNode the peers each node dials: discovery's outbound peers, or its static ones
   * @param publications snapshot-hash values published (and timed) in the window
   * @param warmup virtual time before the window, for contact infos to spread
   * @param publishEvery virtual time between two publications
   * @param window the measured part of the run: publications and traffic
   * @param partitionFor how long the partition lasts (with {@link Fault#PARTITION})
   * @param config every node's gossip settings
   * @param shareSignatureChecks whether nodes share one {@link SignatureMemo} (each distinct value
   *     verified once in the run) or each verifies every value it takes, as a real node does
   */
  public record Options(
      int nodes,
      long seed,
      Set<Fault> faults,
      boolean discovery,
      int peersPerNode,
      int publications,
      Duration warmup,
      Duration publishEvery,
      Duration window,
      Duration partitionFor,
      GossipConfig config,
      boolean shareSignatureChecks) {
    public Options {
      faults = Set.copyOf(faults);
      if (nodes < 10) {
        throw new IllegalArgumentException("a gossip run needs at least 10 nodes: " + nodes);
      }
      if (peersPerNode < 1 || peersPerNode >= nodes) {
        throw new IllegalArgumentException("peersPerNode must be in [1, nodes): " + peersPerNode);
      }
      if (publications < 1) {
        throw new IllegalArgumentException("publish at least one value: " + publications);
      }
      if (publishEvery.multipliedBy(publications - 1).compareTo(window) >= 0) {
        throw new IllegalArgumentException(
            publications + " publications every " + publishEvery + " do not fit in " + window);
      }
    }

    /**
     * Discovery with 8 outbound peers a node, 10 publications 20 s apart in a 5-minute window (one
     * refresh interval, so each node re-signs its values once in it) after a 1-minute warm-up, a
     * 1-minute partition, and the plane's defaults.
     */
    public static Options of(int nodes, long seed, Set<Fault> faults) {
      return new Options(
          nodes,
          seed,
          faults,
          true,
          DiscoveryConfig.DEFAULT_MAX_OUTBOUND,
          10,
          Duration.ofMinutes(1),
          Duration.ofSeconds(20),
          Duration.ofMinutes(5),
          Duration.ofMinutes(1),
          GossipConfig.defaults(NETWORK)
              .withPullInterval(Duration.ofMillis(NodeSettings.DEFAULT_HEAD_INTERVAL_MS)),
          true);
    }

    public Options withTiming(
        int publications, Duration warmup, Duration publishEvery, Duration window) {
      return new Options(
          nodes,
          seed,
          faults,
          discovery,
          peersPerNode,
          publications,
          warmup,
          publishEvery,
          window,
          partitionFor,
          config,
          shareSignatureChecks);
    }

    /** These options with each node verifying every signature itself, as a real node does. */
    public Options withEverySignatureVerified() {
      return new Options(
          nodes,
          seed,
          faults,
          discovery,
          peersPerNode,
          publications,
          warmup,
          publishEvery,
          window,
          partitionFor,
          config,
          false);
    }

    /** These options with static peers instead of discovery. */
    public Options withStaticPeers() {
      return new Options(
          nodes,
          seed,
          faults,
          false,
          peersPerNode,
          publications,
          warmup,
          publishEvery,
          window,
          partitionFor,
          config,
          shareSignatureChecks);
    }

    int liars() {
      return faults.contains(Fault.LIARS) ? Math.max(1, nodes / 20) : 0;
    }

    int crashes() {
      return faults.contains(Fault.CRASH) ? Math.max(1, nodes / 10) : 0;
    }
  }

  /**
   * What a run did.
   *
   * @param coverageNanos per publication of the window, the virtual time it took to reach {@value
   *     Spread#SHARE} of the live honest nodes, or -1 if it did not by the window's end
   * @param leastHeldShare the smallest share of live honest nodes that held a publication at the
   *     window's end
   * @param bytesPerNodeSecond gossip bytes an honest node sent per second in the window, on average
   * @param messagesPerNodeSecond gossip messages and requests an honest node sent per second
   * @param valuesHeld values an honest node held at the window's end, on average
   * @param liarsBanned liars that at least one honest node banned during the run
   * @param healedNanos with {@link Fault#PARTITION}: how long after healing every live honest node
   *     held the newest value of each origin that published during the partition; -1 if never
   * @param signaturesVerified Ed25519 verifications the nodes ran (with shared checks, once per
   *     distinct value)
   * @param valuesAudited values the audit judged
   * @param violations broken invariants, empty when the run is good
   * @param traceHash SHA-256 over every event, equal for equal options
   * @param events tasks the simulation ran
   */
  public record Report(
      Options options,
      int honest,
      int liars,
      int crashes,
      List<Long> coverageNanos,
      double leastHeldShare,
      double bytesPerNodeSecond,
      double messagesPerNodeSecond,
      double valuesHeld,
      int liarsBanned,
      long healedNanos,
      long signaturesVerified,
      long valuesAudited,
      List<String> violations,
      String traceHash,
      long events) {
    public boolean ok() {
      return violations.isEmpty();
    }

    /** The {@code q}-quantile (nearest rank) of the coverage times, -1 if any was not reached. */
    public long coverageQuantileNanos(double q) {
      List<Long> sorted = new ArrayList<>(coverageNanos);
      if (sorted.contains(-1L)) {
        return -1;
      }
      sorted.sort(Long::compare);
      int rank = (int) Math.ceil(q * sorted.size());
      return sorted.get(Math.max(0, rank - 1));
    }
  }

  private final Options options;
  private final Simulation sim;
  private final Random random;
  private final SignatureMemo memo;
  private final ValueRules rules;
  private final ValueAudit audit;
  private final GossipLies lies;
  private final List<SimNode<GossipNode>> all = new ArrayList<>();
  private final List<SimNode<GossipNode>> honest = new ArrayList<>();
  private final Map<String, Boolean> isHonest = new HashMap<>(); // lookups only
  private final Map<String, List<PeerAddress>> peers = new HashMap<>(); // lookups only
  private final Map<String, List<PeerAddress>> entrypoints = new HashMap<>(); // lookups only
  private final Map<String, MachineClock> clocks = new HashMap<>(); // lookups only
  private final Map<String, long[]> sentBefore = new HashMap<>(); // lookups only
  private final List<Spread> spreads = new ArrayList<>();
  private final SequencedSet<NodeId> liarsBanned = new LinkedHashSet<>();
  private final List<String> violations = new ArrayList<>();
  private int liveHonest;
  private int crashes;

  GossipSimulation(Options options) {
    this(options, UnaryOperator.identity());
  }

  /**
   * A run whose planes judge with {@code planeRules} applied to the rules a node uses: for tests
   * that break a plane on purpose and expect the audit to see it.
   */
  GossipSimulation(Options options, UnaryOperator<ValueRules> planeRules) {
    this.options = options;
    this.sim = new Simulation(options.seed());
    this.random = new Random(options.seed() * 1_000_003L + 17);
    GossipConfig c = options.config();
    this.memo = new SignatureMemo(c.network(), options.shareSignatureChecks() ? 1 << 20 : 0);
    this.rules =
        planeRules.apply(
            new ValueRules(c.network(), c.ttl(), c.maxDrift()).withSignatureCheck(memo));
    this.audit = new ValueAudit(c.network(), c.ttl(), c.maxDrift());
    this.lies = new GossipLies(c.network(), sim.clock(), c.ttl(), new Random(random.nextLong()));
  }

  /** Runs {@code options} to the end and reports; never throws for a broken invariant. */
  public static Report run(Options options) {
    return new GossipSimulation(options).execute();
  }

  Report execute() {
    sim.setEventLimit(Long.MAX_VALUE);
    if (options.faults().contains(Fault.LOSS)) {
      sim.network()
          .setDefaultLink(
              LinkModel.of(Latency.uniform(Duration.ofMillis(5), Duration.ofMillis(80)))
                  .withLoss(0.01));
    }
    if (options.faults().contains(Fault.LIARS)) {
      sim.network().setInterceptor(lies);
    }
    startNodes();
    List<SimNode<GossipNode>> calm = new ArrayList<>(honest);
    scheduleCrashes(calm);
    List<SimNode<GossipNode>> publishers = pick(calm, options.publications());

    sim.run(options.warmup());
    Map<String, long[]> windowStart = sent();
    for (int i = 0; i < options.publications(); i++) {
      SimNode<GossipNode> publisher = publishers.get(i % publishers.size());
      long height = 1_000L * (i + 1);
      sim.schedule(
          options.publishEvery().multipliedBy(i), () -> spreads.add(publish(publisher, height)));
    }
    sim.run(options.window());
    Map<String, long[]> windowEnd = sent();
    double heldShare = 1;
    for (Spread s : spreads) {
      heldShare = Math.min(heldShare, s.holders() / (double) Math.max(1, liveHonest));
    }
    double valuesHeld = 0;
    int up = 0;
    for (SimNode<GossipNode> n : honest) {
      if (n.isUp()) {
        valuesHeld += n.app().plane().size();
        up++;
      }
    }
    long healed = options.faults().contains(Fault.PARTITION) ? partitionAndHeal() : -1;

    for (SimNode<GossipNode> n : honest) {
      if (n.isUp()) {
        audit.scan(n.name(), n.app().plane(), clocks.get(n.name()).instant().toEpochMilli());
      }
    }
    List<String> broken = new ArrayList<>(violations);
    broken.addAll(audit.violations());
    List<Long> coverage = new ArrayList<>();
    for (Spread s : spreads) {
      coverage.add(s.coverageNanos());
      if (s.coverageNanos() < 0) {
        broken.add(
            "the value "
                + s.origin.shortString()
                + " published at "
                + Duration.ofNanos(s.publishedNanos)
                + " reached "
                + s.holders()
                + " of "
                + liveHonest
                + " live honest nodes, not "
                + Spread.SHARE);
      }
    }
    if (options.liars() > 0 && liarsBanned.isEmpty()) {
      broken.add("no honest node banned any of the " + options.liars() + " liars");
    }
    double seconds = options.window().toNanos() / 1e9;
    long bytes = 0;
    long messages = 0;
    for (SimNode<GossipNode> n : honest) {
      bytes += windowEnd.get(n.name())[0] - windowStart.get(n.name())[0];
      messages += windowEnd.get(n.name())[1] - windowStart.get(n.name())[1];
    }
    return new Report(
        options,
        honest.size(),
        options.liars(),
        crashes,
        coverage,
        heldShare,
        bytes / seconds / honest.size(),
        messages / seconds / honest.size(),
        valuesHeld / Math.max(1, up),
        liarsBanned.size(),
        healed,
        memo.verified(),
        audit.checked(),
        broken,
        sim.traceHash().toHex(),
        sim.events());
  }

  // ------------------------------------------------------------------ nodes

  private void startNodes() {
    int liarsFrom = options.nodes() - options.liars();
    for (int i = 0; i < options.nodes(); i++) {
      String name = String.format("g%04d", i);
      boolean liar = i >= liarsFrom;
      isHonest.put(name, !liar);
      long uptime =
          Duration.ofHours(1).toNanos() + (random.nextLong() >>> 1) % Duration.ofDays(30).toNanos();
      long skew = random.nextLong(-SKEW_MILLIS, SKEW_MILLIS + 1);
      clocks.put(name, new MachineClock(sim.clock(), uptime, skew));
      sentBefore.put(name, new long[2]);
      List<PeerAddress> firstContacts = new ArrayList<>();
      for (SimNode<GossipNode> e : pick(all, ENTRYPOINTS)) {
        firstContacts.add(PeerAddress.of(e.address().host(), e.address().port()));
      }
      entrypoints.put(name, firstContacts);
      SimNode<GossipNode> node = sim.addNode(name, this::startNode);
      all.add(node);
      if (liar) {
        lies.addLiar(node.key());
      } else {
        honest.add(node);
        liveHonest++;
      }
    }
    for (SimNode<GossipNode> n : all) {
      List<PeerAddress> kept = new ArrayList<>();
      for (SimNode<GossipNode> p : pick(others(n), options.peersPerNode())) {
        kept.add(p.address());
      }
      peers.put(n.name(), kept);
    }
  }

  private List<SimNode<GossipNode>> others(SimNode<GossipNode> n) {
    List<SimNode<GossipNode>> out = new ArrayList<>(all);
    out.remove(n);
    return out;
  }

  private GossipNode startNode(NodeContext ctx) {
    MachineClock clock = clocks.get(ctx.name());
    MachineScheduler time = new MachineScheduler(ctx.scheduler(), clock);
    GossipNode node =
        options.discovery()
            ? GossipNode.discovering(
                ctx,
                time,
                options.config(),
                rules,
                DiscoveryConfig.DEFAULT.withMaxOutbound(options.peersPerNode()),
                entrypoints.get(ctx.name()))
            : GossipNode.withStaticPeers(
                ctx, time, options.config(), rules, () -> peers.get(ctx.name()));
    if (isHonest.get(ctx.name())) {
      watch(ctx, node, clock);
    }
    return node;
  }

  /** Audits what an honest node takes, times the spread of publications, and notes its bans. */
  private void watch(NodeContext ctx, GossipNode node, MachineClock clock) {
    String name = ctx.name();
    int incarnation = ctx.incarnation();
    audit.started(name);
    for (ValueKind kind : List.of(ValueKind.CONTACT_INFO, ValueKind.SNAPSHOT_HASHES)) {
      node.plane()
          .subscribe(
              kind,
              (v, from) -> {
                audit.taken(name, v, from, clock.instant().toEpochMilli());
                lies.remember(v);
                if (v.kind() == ValueKind.SNAPSHOT_HASHES) {
                  for (Spread s : spreads) {
                    if (s.origin.equals(v.origin()) && s.payload.equals(v.payload())) {
                      s.hold(name, incarnation, sim.nanos(), liveHonest);
                    }
                  }
                }
              });
    }
    ctx.transport()
        .peerManager()
        .onBan(
            peer -> {
              if (lies.isLiar(peer)) {
                liarsBanned.add(peer);
              } else if (violations.size() < 20) {
                violations.add(name + " banned the honest node " + peer.shortString());
              }
            });
  }

  /** Gossip bytes and messages each node has sent so far, over all its incarnations. */
  private Map<String, long[]> sent() {
    Map<String, long[]> out = new HashMap<>();
    for (SimNode<GossipNode> n : all) {
      long[] before = sentBefore.get(n.name());
      long[] now = before.clone();
      if (n.isUp()) {
        GossipPlane.Stats s = n.app().plane().stats();
        now[0] += s.bytesSent();
        now[1] += s.messagesSent();
      }
      out.put(n.name(), now);
    }
    return out;
  }

  /** {@code count} distinct nodes of {@code from}, at random. */
  private List<SimNode<GossipNode>> pick(List<SimNode<GossipNode>> from, int count) {
    List<SimNode<GossipNode>> pool = new ArrayList<>(from);
    List<SimNode<GossipNode>> out = new ArrayList<>();
    while (out.size() < count && !pool.isEmpty()) {
      out.add(pool.remove(random.nextInt(pool.size())));
    }
    return out;
  }

  // ------------------------------------------------------------------ faults

  /** Crashes a tenth of the nodes of {@code honestNodes} once each; removes them from it. */
  private void scheduleCrashes(List<SimNode<GossipNode>> honestNodes) {
    long from = Duration.ofSeconds(5).toMillis();
    long until = options.warmup().plus(options.window()).minusSeconds(25).toMillis();
    for (SimNode<GossipNode> victim : pick(honestNodes, options.crashes())) {
      honestNodes.remove(victim);
      long at = from + random.nextLong(Math.max(1, until - from));
      long downFor = 2_000 + random.nextInt(20_000);
      sim.schedule(Duration.ofMillis(at), () -> crash(victim, downFor));
    }
  }

  private void crash(SimNode<GossipNode> node, long downForMillis) {
    if (!node.isUp()) {
      return;
    }
    GossipPlane.Stats s = node.app().plane().stats();
    long[] before = sentBefore.get(node.name());
    before[0] += s.bytesSent();
    before[1] += s.messagesSent();
    sim.crash(node);
    crashes++;
    liveHonest--;
    for (Spread spread : spreads) {
      spread.lost(node.name(), sim.nanos(), liveHonest);
    }
    sim.schedule(
        Duration.ofMillis(downForMillis),
        () -> {
          sim.restart(node);
          liveHonest++;
        });
  }

  // ------------------------------------------------------------------ publications

  private Spread publish(SimNode<GossipNode> publisher, long height) {
    Hash full = Sha256Hasher.INSTANCE.hash(("full " + height).getBytes(StandardCharsets.UTF_8));
    Hash incremental =
        Sha256Hasher.INSTANCE.hash(("incremental " + height).getBytes(StandardCharsets.UTF_8));
    SnapshotHashes hashes =
        new SnapshotHashes(
            new SnapshotHashes.Slot(height, full),
            List.of(new SnapshotHashes.Slot(height + 100, incremental)));
    Spread spread = new Spread(publisher.id(), SnapshotHashesCodec.encode(hashes), sim.nanos());
    publisher.app().advertise(hashes);
    spread.hold(publisher.name(), publisher.incarnation(), sim.nanos(), liveHonest);
    return spread;
  }

  /**
   * Splits the nodes in two at random for {@link Options#partitionFor}; two honest nodes on each
   * side publish after 5 s (one of them again after 15 s), and after healing every live honest node
   * must hold each of those origins' newest value. Returns how long that took after healing, or -1.
   */
  private long partitionAndHeal() {
    List<SimNode<GossipNode>> a = new ArrayList<>();
    List<SimNode<GossipNode>> b = new ArrayList<>();
    for (SimNode<GossipNode> n : all) {
      (random.nextBoolean() ? a : b).add(n);
    }
    sim.partition(a, b);
    List<SimNode<GossipNode>> sideA = pick(upHonest(a), 2);
    List<SimNode<GossipNode>> sideB = pick(upHonest(b), 2);
    List<SimNode<GossipNode>> publishers = new ArrayList<>(sideA);
    publishers.addAll(sideB);
    sim.run(Duration.ofSeconds(5));
    long height = 1_000_000;
    for (SimNode<GossipNode> p : publishers) {
      publish(p, height++);
    }
    sim.run(Duration.ofSeconds(10));
    if (!sideA.isEmpty()) {
      publish(sideA.get(0), height);
    }
    sim.run(options.partitionFor().minusSeconds(15));
    crossed(sideA, b);
    crossed(sideB, a);
    sim.heal();
    long healedAt = sim.nanos();
    long limit = healedAt + CONVERGENCE_LIMIT.toNanos();
    while (!converged(publishers)) {
      if (sim.nanos() >= limit) {
        violations.add(
            "the partition healed "
                + CONVERGENCE_LIMIT
                + " ago and live honest nodes still disagree on the newest values");
        return -1;
      }
      sim.run(CONVERGENCE_STEP);
    }
    return sim.nanos() - healedAt;
  }

  private List<SimNode<GossipNode>> upHonest(List<SimNode<GossipNode>> side) {
    List<SimNode<GossipNode>> out = new ArrayList<>();
    for (SimNode<GossipNode> n : side) {
      if (n.isUp() && isHonest.get(n.name())) {
        out.add(n);
      }
    }
    return out;
  }

  /** A value published on one side must not have reached the other before healing. */
  private void crossed(List<SimNode<GossipNode>> publishers, List<SimNode<GossipNode>> otherSide) {
    for (SimNode<GossipNode> p : publishers) {
      SignedValue own = p.app().plane().get(p.id(), ValueKind.SNAPSHOT_HASHES).orElseThrow();
      for (SimNode<GossipNode> n : otherSide) {
        Optional<SignedValue> held =
            n.isUp() ? n.app().plane().get(p.id(), ValueKind.SNAPSHOT_HASHES) : Optional.empty();
        if (held.isPresent() && held.get().equals(own)) {
          violations.add(n.name() + " got " + own + " across the partition");
          return;
        }
      }
    }
  }

  /** Whether every live honest node holds each publisher's own newest value. */
  private boolean converged(List<SimNode<GossipNode>> publishers) {
    for (SimNode<GossipNode> p : publishers) {
      if (!p.isUp()) {
        continue;
      }
      Optional<SignedValue> own = p.app().plane().get(p.id(), ValueKind.SNAPSHOT_HASHES);
      for (SimNode<GossipNode> n : honest) {
        if (n.isUp() && !n.app().plane().get(p.id(), ValueKind.SNAPSHOT_HASHES).equals(own)) {
          return false;
        }
      }
    }
    return true;
  }

  @Override
  public String toString() {
    return "GossipSimulation(" + Simulation.replayHint(options.seed()) + ")";
  }

  /** The simulation, for tests. */
  Simulation simulation() {
    return sim;
  }
}
