package io.ferry.sim.blocks;

import io.ferry.blocks.Upload;
import io.ferry.blocks.cid.Cid;
import io.ferry.blocks.dataset.Manifest;
import io.ferry.blocks.discovery.ProviderRecords;
import io.ferry.blocks.exchange.BlockExchange;
import io.ferry.blocks.exchange.Download;
import io.ferry.blocks.exchange.ExchangeConfig;
import io.ferry.blocks.exchange.GroupRepair;
import io.ferry.blocks.store.BlockStore;
import io.ferry.core.identity.NodeId;
import io.ferry.gossip.discovery.DiscoveryConfig;
import io.ferry.gossip.plane.GossipConfig;
import io.ferry.gossip.value.ValueKind;
import io.ferry.gossip.value.ValueRules;
import io.ferry.merkledb.store.MemoryStore;
import io.ferry.net.PeerAddress;
import io.ferry.sim.Latency;
import io.ferry.sim.LinkModel;
import io.ferry.sim.NodeContext;
import io.ferry.sim.SimNode;
import io.ferry.sim.Simulation;
import io.ferry.sim.gossip.GossipNode;
import io.ferry.sim.gossip.SignatureMemo;
import java.io.ByteArrayInputStream;
import java.io.ByteArrayOutputStream;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.Random;
import java.util.Set;
import java.util.TreeMap;
import java.util.TreeSet;
import java.util.function.Consumer;

/**
 * The block exchange between lightweight simulated nodes: each runs a real gossip plane with
 * discovery from three entrypoints, a block store in memory, provider records and the block
 * exchange, on its incarnation's transport and scheduler. Holders put the dataset at every start
 * (as a node with its store on disk has it after a restart) and announce it; downloaders look the
 * manifest up by CID and fetch it from whoever provides it. Liars are holders whose every delivered
 * block {@link BlockLie} falsifies on the wire; each lie told to an honest node is recorded, so the
 * check can see that node banned the liar.
 *
 * <p>Not thread-safe: the simulation runs on the caller's thread.
 */
final class BlockWorld implements AutoCloseable {
  static final String NETWORK = GossipConfig.DEFAULT_NETWORK;

  static final LinkModel LOSSY =
      LinkModel.of(Latency.uniform(Duration.ofMillis(5), Duration.ofMillis(60)))
          .withLoss(0.01)
          .withDuplication(0.005)
          .withReordering(0.02, Duration.ofMillis(30))
          .withBandwidth(100L * 1024 * 1024 * 8);

  /** A faster clock for everything a download waits on, so runs stay short in virtual time. */
  static final ExchangeConfig CONFIG =
      new ExchangeConfig(
          256, 16, Duration.ofSeconds(3), 8, Duration.ofMillis(250), Duration.ofSeconds(120));

  /** One node's parts. */
  static final class BlockNode implements AutoCloseable {
    final NodeContext ctx;
    final GossipNode gossip;
    final BlockStore store;
    final ProviderRecords providers;
    final BlockExchange exchange;
    Download download;
    boolean failed;
    String failure = "";

    BlockNode(
        NodeContext ctx,
        GossipNode gossip,
        BlockStore store,
        ProviderRecords providers,
        BlockExchange exchange) {
      this.ctx = ctx;
      this.gossip = gossip;
      this.store = store;
      this.providers = providers;
      this.exchange = exchange;
    }

    @Override
    public void close() {
      exchange.close();
      gossip.close();
    }
  }

  /** What a node does at each start, given its parts. */
  enum Role {
    PLAIN,
    HOLDER,
    LIAR,
    DOWNLOADER
  }

  final Simulation sim;
  final Random random;
  final byte[] data;
  final Manifest manifest;
  final Cid cid;
  final List<SimNode<BlockNode>> nodes = new ArrayList<>();
  final Map<String, Role> roles = new TreeMap<>();
  private final SignatureMemo memo = new SignatureMemo(NETWORK, 1 << 20);
  private final ValueRules rules;
  private final Optional<GroupRepair> repair;
  private final Consumer<BlockNode> holderSetup;
  private final Set<NodeId> liars = new TreeSet<>();
  // For each honest node told a lie: the liar, with the node's incarnation then.
  private final Map<String, Map<NodeId, Integer>> lied = new TreeMap<>();
  private final List<PeerAddress> entrypoints = new ArrayList<>();
  private Duration downloadFrom = Duration.ZERO;

  /**
   * @param holderSetup puts the dataset into a holder's store (at each start)
   * @param manifest what the holders hold
   */
  BlockWorld(
      long seed,
      byte[] data,
      Manifest manifest,
      Consumer<BlockNode> holderSetup,
      Optional<GroupRepair> repair) {
    this.sim = new Simulation(seed);
    this.random = new Random(seed * 7919 + 3);
    this.data = data;
    this.manifest = manifest;
    this.cid = manifest.cid();
    this.holderSetup = holderSetup;
    this.repair = repair;
    GossipConfig c = GossipConfig.defaults(NETWORK);
    this.rules =
        new ValueRules(c.network(), c.ttl(), c.maxDrift())
            .withSignatureCheck(memo)
            .with(ValueKind.PROVIDER, ProviderRecords.rule());
    sim.network().setDefaultLink(LOSSY);
    sim.network()
        .setInterceptor(
            (from, to, env) -> {
              if (!liars.contains(from) || !BlockLie.carriesBlocks(env)) {
                return env;
              }
              SimNode<?> victim = node(to);
              if (victim != null && !liars.contains(to)) {
                lied.computeIfAbsent(victim.name(), k -> new TreeMap<>())
                    .put(from, victim.incarnation());
              }
              return BlockLie.falsify(env);
            });
  }

  /** Puts a plain dataset into {@code store}, as {@code ferry blocks put} does. */
  static Manifest put(BlockStore store, byte[] data, int blockSize) {
    return Upload.put(
        store,
        new ByteArrayInputStream(data),
        blockSize,
        "data.bin",
        "application/octet-stream",
        Optional.empty());
  }

  SimNode<BlockNode> add(String name, Role role) {
    roles.put(name, role);
    SimNode<BlockNode> n = sim.addNode(name, ctx -> start(ctx, role));
    if (role == Role.LIAR) {
      liars.add(n.id());
    }
    if (entrypoints.size() < 3) {
      entrypoints.add(n.address());
    }
    nodes.add(n);
    return n;
  }

  /**
   * Downloaders started from now on (and restarted ones) fetch at once; earlier ones wait for this.
   */
  void startDownloads(Duration at) {
    downloadFrom = at;
    sim.schedule(
        at.minus(sim.now()),
        () -> {
          for (SimNode<BlockNode> n : nodes) {
            if (roles.get(n.name()) == Role.DOWNLOADER && n.isUp()) {
              fetch(n.app());
            }
          }
        });
  }

  private BlockNode start(NodeContext ctx, Role role) {
    GossipConfig config = GossipConfig.defaults(NETWORK);
    List<PeerAddress> from = new ArrayList<>();
    for (PeerAddress e : entrypoints) {
      if (!e.equals(ctx.address())) {
        from.add(e);
      }
    }
    GossipNode gossip =
        GossipNode.discovering(ctx, ctx.scheduler(), config, rules, DiscoveryConfig.DEFAULT, from);
    BlockStore store = new BlockStore(new MemoryStore(), 1L << 30);
    ProviderRecords providers = new ProviderRecords(gossip.plane(), ctx.transport());
    BlockExchange exchange =
        new BlockExchange(
            ctx.transport(),
            store,
            ctx.scheduler(),
            ctx.random().fork(),
            Runnable::run,
            CONFIG,
            providers,
            repair);
    BlockNode node = new BlockNode(ctx, gossip, store, providers, exchange);
    switch (role) {
      case HOLDER, LIAR -> {
        holderSetup.accept(node);
        providers.announce(cid, manifest.tree(), true);
      }
      case DOWNLOADER -> {
        if (sim.now().compareTo(downloadFrom) >= 0 && downloadFrom.isPositive()) {
          fetch(node);
        }
      }
      case PLAIN -> {}
    }
    return node;
  }

  private void fetch(BlockNode node) {
    node.exchange
        .manifest(cid)
        .whenComplete(
            (m, e) -> {
              if (e != null) {
                node.failed = true;
                node.failure = e.toString() + " at " + sim.now();
                return;
              }
              node.download = node.exchange.download(cid, m);
              node.download.done().whenComplete((ok, f) -> node.failed |= f != null);
            });
  }

  private SimNode<?> node(NodeId id) {
    for (SimNode<BlockNode> n : nodes) {
      if (n.id().equals(id)) {
        return n;
      }
    }
    return null;
  }

  /** Whether {@code n}'s current incarnation holds the whole content. */
  boolean complete(SimNode<BlockNode> n) {
    return n.isUp()
        && n.app().download != null
        && n.app().download.done().isDone()
        && !n.app().download.done().isCompletedExceptionally();
  }

  /** The content {@code n} holds, read back from its store block by block. */
  byte[] content(SimNode<BlockNode> n) {
    ByteArrayOutputStream out = new ByteArrayOutputStream();
    for (int i = 0; i < manifest.contentBlocks(); i++) {
      byte[] b = n.app().store.leaf(manifest.tree(), i).orElseThrow().data();
      out.writeBytes(b);
    }
    byte[] all = out.toByteArray();
    return java.util.Arrays.copyOf(all, (int) manifest.contentSize());
  }

  /**
   * The honest nodes told a lie in their current incarnation that have not banned the liar: empty
   * when every lie cost its liar a ban.
   */
  List<String> liesUnpunished() {
    List<String> out = new ArrayList<>();
    for (Map.Entry<String, Map<NodeId, Integer>> e : lied.entrySet()) {
      @SuppressWarnings("unchecked")
      SimNode<BlockNode> victim = (SimNode<BlockNode>) sim.node(e.getKey());
      if (!victim.isUp()) {
        continue;
      }
      for (Map.Entry<NodeId, Integer> l : e.getValue().entrySet()) {
        if (l.getValue() == victim.incarnation()
            && !victim.transport().peerManager().isBanned(l.getKey())) {
          out.add(e.getKey() + " did not ban " + l.getKey().shortString());
        }
      }
    }
    return out;
  }

  /** Nodes told at least one lie, in any incarnation. */
  int victims() {
    return lied.size();
  }

  /** One line per node in {@code of}: what it holds, knows and is connected to. */
  String report(List<SimNode<BlockNode>> of) {
    StringBuilder out = new StringBuilder();
    for (SimNode<BlockNode> n : of) {
      out.append(n.name()).append(" inc ").append(n.incarnation());
      if (!n.isUp()) {
        out.append(" down\n");
        continue;
      }
      BlockNode b = n.app();
      out.append(" peers ").append(n.transport().peers().size());
      out.append(" providers ").append(b.providers.lookup(cid).size());
      out.append(" failed ").append(b.failed).append(' ').append(b.failure);
      if (b.download != null) {
        Download.Progress p = b.download.progress().getNow(null);
        out.append(" held ")
            .append(b.store.heldCount(manifest.tree()))
            .append('/')
            .append(manifest.blocks());
        out.append(" done ").append(b.download.done().isDone());
        if (p != null) {
          out.append(" ").append(p);
        }
      } else {
        out.append(" no download");
      }
      out.append('\n');
    }
    return out.toString();
  }

  @Override
  public void close() {
    for (SimNode<BlockNode> n : nodes) {
      if (n.isUp()) {
        sim.stop(n);
      }
    }
  }
}
