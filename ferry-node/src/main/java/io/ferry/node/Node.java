package io.ferry.node;

import com.fasterxml.jackson.core.JsonProcessingException;
import com.fasterxml.jackson.databind.ObjectMapper;
import io.ferry.blocks.discovery.ProviderRecords;
import io.ferry.blocks.erasure.DatasetCoder;
import io.ferry.blocks.exchange.BlockExchange;
import io.ferry.blocks.exchange.ExchangeConfig;
import io.ferry.blocks.store.BlockStore;
import io.ferry.core.ErrorCode;
import io.ferry.core.FerryException;
import io.ferry.core.Hash;
import io.ferry.core.archive.ArchiveName;
import io.ferry.core.archive.SnapshotHashes;
import io.ferry.core.identity.NodeId;
import io.ferry.core.identity.NodeKey;
import io.ferry.core.runtime.Scheduler;
import io.ferry.gossip.cluster.ClusterView;
import io.ferry.gossip.discovery.Discovery;
import io.ferry.gossip.discovery.DiscoveryConfig;
import io.ferry.gossip.head.HeadExchange;
import io.ferry.gossip.head.HeadTrust;
import io.ferry.gossip.head.SignedHead;
import io.ferry.gossip.plane.GossipConfig;
import io.ferry.gossip.plane.GossipPlane;
import io.ferry.gossip.value.ContactInfo;
import io.ferry.gossip.value.SnapshotHashesCodec;
import io.ferry.gossip.value.ValueKind;
import io.ferry.gossip.value.ValueRules;
import io.ferry.http.Health;
import io.ferry.http.HttpMetrics;
import io.ferry.http.HttpServerConfig;
import io.ferry.http.HttpStreamRoute;
import io.ferry.http.SnapshotHttpServer;
import io.ferry.http.StaticFiles;
import io.ferry.merkledb.Batch;
import io.ferry.merkledb.MerkleDB;
import io.ferry.merkledb.Revision;
import io.ferry.merkledb.store.KvStore;
import io.ferry.net.PeerAddress;
import io.ferry.net.Transport;
import io.ferry.net.engine.EngineTransport;
import io.ferry.net.metrics.TransportMetrics;
import io.ferry.net.peers.Backoff;
import io.ferry.net.peers.PeerKeeper;
import io.ferry.node.api.ApiServer;
import io.ferry.node.api.BearerToken;
import io.ferry.node.api.CommitTarget;
import io.ferry.node.api.RecentHeads;
import io.ferry.node.api.StateReads;
import io.ferry.node.blocks.DataApi;
import io.ferry.node.blocks.NodeBlocks;
import io.ferry.node.blocks.SnapshotDatasets;
import io.ferry.node.bootstrap.Bootstrap;
import io.ferry.node.bootstrap.PlaneGossip;
import io.ferry.node.bootstrap.SnapshotTrust;
import io.ferry.node.bootstrap.VouchedSnapshots;
import io.ferry.node.config.NodeConfig;
import io.ferry.node.fetch.Downloader;
import io.ferry.node.follow.Follower;
import io.ferry.node.produce.Producer;
import io.ferry.snapshot.ArchiveFile;
import io.ferry.snapshot.LatestSnapshots;
import io.ferry.snapshot.SnapshotArchives;
import io.ferry.sync.proof.ProofServerConfig;
import io.ferry.sync.proof.ProofSync;
import io.ferry.sync.proof.ProofSyncServer;
import io.ferry.sync.proof.client.SyncConfig;
import io.ferry.sync.proof.client.SyncStats;
import io.ferry.sync.proof.client.SyncStore;
import io.ferry.sync.push.Applied;
import io.ferry.sync.push.Commit;
import io.ferry.sync.push.KnownHead;
import io.ferry.sync.push.PushClient;
import io.ferry.sync.push.PushServer;
import io.ferry.sync.push.PushSync;
import io.ferry.sync.snapshot.StateSyncReactor;
import io.ferry.sync.snapshot.archive.ArchiveApplication;
import io.ferry.sync.snapshot.client.DirectoryChunkStore;
import io.ferry.sync.snapshot.client.StateSyncConfig;
import io.ferry.sync.snapshot.client.Syncer;
import io.ferry.sync.snapshot.server.SnapshotServer;
import io.prometheus.metrics.core.metrics.CounterWithCallback;
import io.prometheus.metrics.core.metrics.GaugeWithCallback;
import io.prometheus.metrics.model.registry.PrometheusRegistry;
import java.io.IOException;
import java.net.InetSocketAddress;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.StandardCopyOption;
import java.time.Duration;
import java.util.ArrayDeque;
import java.util.ArrayList;
import java.util.Deque;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import java.util.Optional;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.CompletionException;
import java.util.concurrent.CompletionStage;
import java.util.concurrent.CopyOnWriteArrayList;
import java.util.concurrent.ExecutorService;
import java.util.function.Consumer;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * A running Ferry node: the MerkleDB on RocksDB, the peer transport (TLS 1.3 bound to the node
 * key), the proof-sync server, the signed-head protocol, the producer or the follower, the snapshot
 * scheduler and the HTTP service, assembled from a {@link NodeConfig}. See docs/node.md.
 *
 * <p>A producer commits generated updates and signs each head; a follower learns the trusted
 * producer's heads from its peers, proof-syncs to the newest and follows it with change proofs; a
 * server only serves the store it has. Every role serves proofs, makes archives every K commits and
 * answers {@code /health}, {@code /status}, {@code /metrics} and the status page at {@code /}.
 *
 * <p>Peers: the static ones ({@code --peer}) are kept connected by a {@link PeerKeeper}; with
 * entrypoints, {@link Discovery} learns the network from gossip and keeps a random subset of it
 * connected besides. Every node publishes its contact info, so others can find it either way.
 *
 * <p>{@link #start} returns once every port is bound; {@link #close} stops everything and closes
 * the store consistent. Thread-safe.
 */
public final class Node implements AutoCloseable {
  private static final Logger log = LoggerFactory.getLogger(Node.class);
  private static final ObjectMapper JSON = new ObjectMapper();
  // How often a bootstrap looks at the gossip table: cheap, and the table fills within a pull.
  private static final Duration BOOTSTRAP_POLL = Duration.ofMillis(100);

  private final NodeConfig config;
  private final NodeKey key;
  private final PrometheusRegistry registry = new PrometheusRegistry();
  // Closed in the reverse order of their start: a stack.
  private final Deque<AutoCloseable> closers = new ArrayDeque<>();
  private final LiveStore store;
  private final NodeEnvironment env;
  private Transport transport;
  private ProofSyncServer proofServer;
  private GossipPlane gossip;
  private Discovery discovery;
  private HeadExchange heads;
  private Producer producer;
  private Follower follower;
  private SyncStore staging;
  private Bootstrap bootstrap;
  private KvStore blocksKv;
  private BlockStore blockStore;
  // Set once the exchange runs; the store's removal listener may fire before (an eviction at open).
  private volatile NodeBlocks blocks;
  private SnapshotDatasets snapshotDatasets;
  private DataApi dataApi;

  /** Revisions a push subscription names as held: the newest is what pushes continue from. */
  private static final int KNOWN_HEADS = 8;

  /** How long a chunk bootstrap waits for a peer to list the chosen snapshot. */
  private static final Duration BOOTSTRAP_SNAPSHOT_WAIT = Duration.ofSeconds(15);

  private PushSync pushSync;
  // On a follower that subscribes: set before the follower can ask for it.
  private volatile PushClient pushClient;
  private StateSyncReactor stateSync;
  private SnapshotServer stateSyncServer;
  private Scheduler stateSyncScheduler;
  private SnapshotHttpServer httpServer;
  private HttpMetrics httpMetrics;
  private InetSocketAddress httpAddress;
  private InetSocketAddress apiAddress;
  // The heads verified reads prove against: the store may be at one a little behind the newest.
  private final RecentHeads recentHeads = new RecentHeads();
  private boolean closed;
  // Serialises commits, so each one's parent is the revision the one before it made.
  private final Object commitLock = new Object();
  private final List<Consumer<Revision>> revisionListeners = new CopyOnWriteArrayList<>();

  private Node(NodeConfig config, NodeEnvironment env, NodeKey key, LiveStore store) {
    this.config = config;
    this.env = env;
    this.key = key;
    this.store = store;
  }

  /**
   * Starts a node: opens (or creates) its key and store, binds its peer and HTTP ports, and starts
   * producing or following.
   *
   * @throws FerryException when the key or store cannot be opened or a port cannot be bound
   */
  public static Node start(NodeConfig config) {
    return start(config, NodeEnvironment.standard());
  }

  /**
   * Starts a node in {@code env}: {@link NodeEnvironment#standard()} for the real world, or the
   * simulator's.
   *
   * @throws FerryException when the key or store cannot be opened or a port cannot be bound
   */
  public static Node start(NodeConfig config, NodeEnvironment env) {
    NodeKey key = env.key(config);
    env.removeLeftovers(config);
    LiveStore store = new LiveStore(config, env, env.openStore(config.stateDir(), null));
    Node node = new Node(config, env, key, store);
    try {
      node.assemble();
      return node;
    } catch (RuntimeException | Error e) {
      node.close();
      throw e;
    }
  }

  private void assemble() {
    log.info(
        "node {} starting as {} with data directory {}",
        key.id(),
        role(),
        config.data().toAbsolutePath());
    // Opened first, closed last: nothing that reads blocks (the exchange, HTTP) outlives it.
    blocksKv = env.openBlocks(config);
    closers.push(blocksKv);
    blockStore =
        new BlockStore(
            blocksKv,
            config.blocksQuota(),
            cid -> {
              NodeBlocks b = blocks;
              if (b != null) {
                b.removed(cid);
              }
            });
    transport = env.transport(key, config, registry);
    closers.push(transport);
    Scheduler gossipScheduler = scheduler("ferry-gossip");
    ProofServerConfig proofConfig = ProofServerConfig.defaults();
    ExecutorService proofWorkers = workers("ferry-proof", proofConfig.threads());
    proofServer =
        ProofSyncServer.start(
            transport, store.current(), proofConfig, proofWorkers, gossipScheduler.clock());
    closers.push(proofServer);
    store.onSwitch(proofServer::switchTo);
    // Every node pushes to its subscribers what it commits or applies, and answers polls.
    pushSync =
        new PushSync(
            transport,
            new PushServer(transport, gossipScheduler.clock(), config.push().config()),
            Optional.of(proofServer));
    closers.push(pushSync);
    // Every node answers state-sync listings and chunk requests from the archives it holds.
    stateSyncServer =
        new SnapshotServer(
            ArchiveApplication.servingOnly(env.snapshotDir(config)),
            transport,
            workers("ferry-statesync-serve", 2),
            gossipScheduler.clock(),
            SnapshotServer.Config.DEFAULT);
    stateSync = new StateSyncReactor(transport, Optional.of(stateSyncServer));
    closers.push(stateSync);

    ValueRules rules =
        new ValueRules(config.network(), GossipConfig.DEFAULT_TTL, GossipConfig.DEFAULT_MAX_DRIFT)
            .with(ValueKind.SIGNED_HEAD, HeadExchange.PAYLOAD_RULE)
            .with(ValueKind.PROVIDER, ProviderRecords.rule());
    gossip =
        GossipPlane.start(
            transport,
            gossipScheduler,
            env.random("gossip"),
            key,
            GossipConfig.defaults(config.network()).withPullInterval(config.headInterval()),
            rules);
    closers.push(gossip);
    startBlocks();
    if (config.follows()) {
      startFollower(gossipScheduler);
    } else {
      // A producer judges no one's heads but its own; a server knows no producer: both relay
      // heads and accept none.
      heads = HeadExchange.start(gossip, gossipScheduler, HeadTrust.none(), h -> false, h -> {});
      if (config.produces()) {
        startProducer();
      }
    }
    closers.push(heads);
    advertiseSnapshots();
    publishSnapshots();

    PeerKeeper keeper =
        new PeerKeeper(transport, gossipScheduler, env.random("peers"), Backoff.DEFAULT);
    closers.push(keeper);
    for (PeerAddress p : config.peers()) {
      keeper.keep(p);
    }
    if (config.discovers()) {
      discovery =
          Discovery.start(
              transport,
              gossipScheduler,
              env.random("discovery"),
              gossip,
              DiscoveryConfig.DEFAULT.withMaxOutbound(config.maxOutbound()),
              config.entrypoints(),
              id -> isStatic(keeper, id));
      closers.push(discovery);
    }
    registerGauges();
    config.http().ifPresent(this::startHttp);
    config.api().ifPresent(this::startApi);
    gossip.publish(ValueKind.CONTACT_INFO, contactInfo().encode());
    if (bootstrap != null) {
      bootstrap.start();
    }
    if (pushClient != null) {
      pushSync.attach(pushClient);
    }
    log.info("node {} listening at {}", key.id(), transport.address());
  }

  /** Whether {@code id} is a static peer, kept by {@code keeper}: discovery leaves those alone. */
  private static boolean isStatic(PeerKeeper keeper, NodeId id) {
    for (PeerAddress a : keeper.addresses()) {
      if (a.expectedId().isPresent() && a.expectedId().get().equals(id)) {
        return true;
      }
    }
    return false;
  }

  /**
   * What this node tells the network about itself: where to reach it, at the advertised host when
   * one is set, otherwise at the host its ports are bound to.
   */
  private ContactInfo contactInfo() {
    PeerAddress p2p = transport.address();
    if (config.advertise().isEmpty() && config.p2p().getAddress().isAnyLocalAddress()) {
      log.warn(
          "peers listen at {}, and no --advertise names the host others should dial: nodes that"
              + " learn of this one through gossip cannot reach it",
          p2p.hostPort());
    }
    String host = config.advertise().orElse(p2p.host());
    String http =
        httpAddress == null
            ? ""
            : hostPort(
                config.advertise().orElse(httpAddress.getHostString()), httpAddress.getPort());
    return new ContactInfo(hostPort(host, p2p.port()), http, config.network(), version());
  }

  private static String hostPort(String host, int port) {
    return (host.contains(":") ? "[" + host + "]" : host) + ":" + port;
  }

  /** The software version, from the jar's manifest; "dev" when run from classes. */
  public static String version() {
    String v = Node.class.getPackage().getImplementationVersion();
    return v == null ? "dev" : v;
  }

  /** Discovery, on a node started with entrypoints. */
  public Optional<Discovery> discovery() {
    return Optional.ofNullable(discovery);
  }

  /** The gossip plane: its values and counters. */
  public GossipPlane gossip() {
    return gossip;
  }

  /**
   * Where the snapshots this node offers leave it: each view of {@link LatestSnapshots} (the newest
   * full archive and the newest incremental on it, as the scheduler makes them, and at start the
   * newest on disk) becomes this node's signed {@code SNAPSHOT_HASHES} gossip value (Agave's
   * push_snapshot_hash).
   */
  private void advertiseSnapshots() {
    store
        .latestSnapshots()
        .ifPresent(
            l ->
                l.addListener(
                    v -> gossip.publish(ValueKind.SNAPSHOT_HASHES, SnapshotHashesCodec.encode(v))));
  }

  /**
   * The block exchange over the block store: provider records on the gossip plane, the exchange on
   * the transport, and the datasets held announced (docs/blocks.md).
   */
  private void startBlocks() {
    ProviderRecords providers = new ProviderRecords(gossip, transport);
    BlockExchange exchange =
        new BlockExchange(
            transport,
            blockStore,
            scheduler("ferry-blocks"),
            env.random("blocks"),
            workers("ferry-blocks-io", 2),
            ExchangeConfig.defaults(),
            providers,
            Optional.of(DatasetCoder::repair));
    closers.push(exchange);
    NodeBlocks b = new NodeBlocks(blockStore, providers, exchange);
    blocks = b;
    b.announceHeld();
    dataApi = new DataApi(b, workers("ferry-data-api", 4), workers("ferry-blocks-import", 2));
    snapshotDatasets =
        new SnapshotDatasets(b, env.snapshotDir(config), workers("ferry-blocks-snapshots", 1));
  }

  /**
   * Each archive the node keeps becomes a dataset of the block store, pinned and announced, and an
   * archive that retention deletes is unpinned there: at start, and at each new view of the
   * archives the node advertises.
   */
  private void publishSnapshots() {
    snapshotDatasets.reconcileLater();
    store.latestSnapshots().ifPresent(l -> l.addListener(v -> snapshotDatasets.reconcileLater()));
  }

  private Scheduler scheduler(String name) {
    Scheduler s = env.scheduler(name);
    if (s instanceof AutoCloseable c) {
      closers.push(c);
    }
    return s;
  }

  private ExecutorService workers(String name, int threads) {
    ExecutorService w = env.workers(name, threads);
    closers.push(w::shutdownNow);
    return w;
  }

  private void startProducer() {
    Revision head = store.current().revision();
    if (head.height() > 0 || !head.root().isZero()) {
      // Followers can sync to the state we start with before the first commit lands.
      SignedHead signed = SignedHead.sign(key, head.height(), head.root());
      heads.publish(signed);
      recentHeads.remember(signed);
    }
    NodeConfig.Producer settings = config.producer().orElseThrow();
    if (!settings.generates()) {
      return; // the application's writes are the only commits
    }
    Producer p =
        new Producer(store.current(), settings, scheduler("ferry-produce"), seed(), this::commit);
    producer = p;
    closers.push(p);
    p.start();
  }

  /** A seed from the node key, so a restarted producer goes on with different updates. */
  private long seed() {
    byte[] id = key.id().publicKey();
    long s = 0;
    for (int i = 0; i < 8; i++) {
      s = (s << 8) | (id[i] & 0xff);
    }
    return s;
  }

  /**
   * Commits {@code batch} as the next revision of this producer's store: the one commit path, for
   * the application (this method, the write API) and the load generator alike. The new head is
   * signed and published, the commit pushed to subscribers, and a snapshot scheduled when one is
   * due. Commits are serialised: each is made on the head the previous one left. Any thread.
   *
   * @return the new revision, whose signed head is {@link #newestHead} until the next commit
   * @throws FerryException {@link ErrorCode#ILLEGAL_STATE} on a node that does not produce (a
   *     follower's writes go to its producer, {@link #producerId}) or once the store is closed;
   *     {@link ErrorCode#INVALID_ARGUMENT} for an empty batch
   */
  public Revision commit(Batch batch) {
    if (!config.produces()) {
      throw new FerryException(
          ErrorCode.ILLEGAL_STATE,
          producerId()
              .map(p -> "this node follows producer " + p + "; only the producer commits")
              .orElse("this node does not produce; it cannot commit"));
    }
    if (batch.isEmpty()) {
      throw new FerryException(ErrorCode.INVALID_ARGUMENT, "an empty batch commits nothing");
    }
    synchronized (commitLock) {
      MerkleDB db = store.current();
      Hash parent = db.root();
      Revision r = db.commit(batch);
      SignedHead head = SignedHead.sign(key, r.height(), r.root());
      recentHeads.remember(head); // verified reads prove against it from now on
      // Subscribers first: a push is the fastest way the commit leaves this node.
      pushSync.server().onCommit(Commit.of(batch, parent, head));
      heads.publish(head);
      store.snapshots().ifPresent(s -> s.onCommit(r));
      reached(r);
      return r;
    }
  }

  /**
   * Tells {@code listener} of every revision the store reaches from now on: each commit of a
   * producer, and each head a follower applies from a push or reaches by a poll (a follower that
   * falls behind may skip heights). Called on the committing or following thread, after the
   * revision is durable; the listener must not block. An embedding application reads its state
   * here.
   */
  public void addRevisionListener(Consumer<Revision> listener) {
    revisionListeners.add(listener);
  }

  private void reached(Revision r) {
    for (Consumer<Revision> l : revisionListeners) {
      try {
        l.accept(r);
      } catch (RuntimeException e) {
        log.warn("a revision listener failed at height {}: {}", r.height(), e.toString());
      }
    }
  }

  /**
   * The node's metrics, what {@code /metrics} serves: for an application that exports them with its
   * own.
   */
  public PrometheusRegistry metrics() {
    return registry;
  }

  /**
   * The producer whose heads this node's state is: itself on a producer, the trusted one on a
   * follower of a producer; empty on a server and on a follower of a fixed root.
   */
  public Optional<NodeId> producerId() {
    return config.produces() ? Optional.of(key.id()) : config.trustProducer();
  }

  private void startFollower(Scheduler gossipScheduler) {
    Scheduler syncScheduler = scheduler("ferry-sync");
    SyncStore staging = env.openStaging(config.stagingDir());
    this.staging = staging;
    closers.push(staging);
    ExecutorService verifiers =
        workers("ferry-sync-verify", Math.max(1, Runtime.getRuntime().availableProcessors()));
    ProofSync proofSync =
        new ProofSync(
            SyncConfig.DEFAULT.withWorkLimit(config.workLimit()),
            transport,
            syncScheduler,
            env.random("sync"),
            staging,
            verifiers,
            store,
            p -> true);
    Follower f =
        new Follower(
            store,
            proofSync,
            syncScheduler,
            r -> {
              store.snapshots().ifPresent(s -> s.onCommit(r));
              reached(r);
            },
            r -> {
              PushClient c = pushClient;
              if (c != null) {
                c.headsMoved();
              }
            },
            () -> {
              PushClient c = pushClient;
              return c != null && c.delivering();
            });
    follower = f;
    closers.push(f);
    HeadTrust trust =
        config
            .trustProducer()
            .map(HeadTrust::producer)
            .orElseGet(() -> HeadTrust.root(config.trustRoot().orElseThrow()));
    // Pushes carry a producer's commits: a follower of a fixed root takes none.
    if (config.push().enabled() && config.trustProducer().isPresent()) {
      pushClient =
          new PushClient(
              config.push().config(),
              transport,
              gossipScheduler,
              env.random("push"),
              config.trustProducer(),
              trust,
              this::knownHeads,
              new PushClient.Sink() {
                @Override
                public CompletionStage<Applied> apply(NodeId from, Commit c) {
                  recentHeads.remember(c.head()); // trusted: the client judged it
                  return f.applyPushed(c)
                      .thenApply(
                          a -> {
                            if (a == Applied.APPLIED) {
                              pushSync.server().onCommit(c); // relayed to our own subscribers
                            }
                            return a;
                          });
                }

                @Override
                public void behind(NodeId from, Commit c) {
                  recentHeads.remember(c.head());
                  f.pollTo(new Revision(c.height(), c.head().root()));
                }
              });
    }
    prepareBootstrap(f, staging, gossipScheduler);
    heads =
        HeadExchange.start(
            gossip,
            gossipScheduler,
            trust,
            h -> f.passed(h.height(), h.root()),
            h -> {
              recentHeads.remember(h);
              f.onHead(new Revision(h.height(), h.root()));
            });
  }

  /**
   * Whose snapshot advertisements an empty follower believes: its known validators (k of n), or
   * else the producer it trusts, whose own signed advertisement names a snapshot of a state it
   * signed (one validator, k = 1). None with only {@code --trust-root}.
   */
  private Optional<SnapshotTrust> snapshotTrust() {
    NodeConfig.Bootstrap b = config.bootstrap();
    if (!b.knownValidators().isEmpty()) {
      return Optional.of(SnapshotTrust.validators(b.knownValidators(), b.minAgreement()));
    }
    return config.trustProducer().map(SnapshotTrust::producer);
  }

  /**
   * An empty follower with a snapshot trust restores a snapshot chosen from gossip before it syncs:
   * the follower is held (it learns heads but starts no proof sync) until the bootstrap ends, and
   * then catches up from whatever store there is, restored or still empty.
   */
  private void prepareBootstrap(Follower f, SyncStore staging, Scheduler gossipScheduler) {
    Optional<SnapshotTrust> trust = snapshotTrust();
    MerkleDB db = store.current();
    boolean empty = db.height() == 0 && db.root().isZero();
    String skip = null;
    if (!config.bootstrap().enabled()) {
      skip = "bootstrapping is off";
    } else if (trust.isEmpty()) {
      skip = "no snapshot trust (--trust-producer or --known-validator)";
    } else if (!empty) {
      skip = "the store is not empty";
    } else if (staging.target().isPresent()) {
      skip = "a proof sync is in progress";
    }
    if (skip != null) {
      if (empty) {
        log.info("no snapshot bootstrap: {}", skip);
      }
      NodeStores.delete(env.bootstrapDir(config)); // what an earlier bootstrap left
      return;
    }
    // The first pull from a peer brings the table; one more pull interval lets a second peer's
    // answer add advertisers before the download starts.
    Duration pull = config.headInterval();
    Bootstrap.Settings settings =
        new Bootstrap.Settings(
            trust.get(),
            config.bootstrap().maxWait(),
            pull.compareTo(BOOTSTRAP_POLL) < 0 ? pull : BOOTSTRAP_POLL,
            pull,
            env.bootstrapDir(config),
            Downloader.Options.DEFAULT);
    Bootstrap b =
        new Bootstrap(
            settings,
            new PlaneGossip(gossip, this::trustedRootAt),
            this::adoptSnapshot,
            gossipScheduler,
            workers("ferry-bootstrap", 1));
    NodeConfig.Bootstrap.Method method = config.bootstrap().method();
    if (method == NodeConfig.Bootstrap.Method.AUTO
        || method == NodeConfig.Bootstrap.Method.CHUNKS) {
      stateSyncScheduler = gossipScheduler;
      b.withChunks(this::restoreByChunks, method == NodeConfig.Bootstrap.Method.AUTO);
    }
    bootstrap = b;
    closers.push(b);
    f.hold();
    b.done()
        .whenComplete(
            (outcome, error) -> {
              if (outcome == null || !outcome.reason().equals("stopped")) {
                try {
                  NodeStores.delete(env.bootstrapDir(config));
                } catch (FerryException e) {
                  log.warn("cannot remove {}: {}", env.bootstrapDir(config), e.getMessage());
                }
              }
              f.release();
            });
  }

  /**
   * Restores {@code full} by state sync: chunks from every connected peer that lists it, each
   * checked against the manifest as it arrives, staged in the bootstrap directory, then assembled
   * into an archive and restored with the root check. The sync runs on the node's scheduler and its
   * application calls on a worker of their own; nothing waits for it. Cancelling the future stops
   * it.
   */
  private CompletableFuture<Bootstrap.Fetched> restoreByChunks(
      SnapshotHashes.Slot full, Path state) {
    Path dir = env.bootstrapDir(config).resolve("state-sync");
    env.deleteStore(state); // a restore a crash left unadopted
    ArchiveApplication app =
        new ArchiveApplication(
            env.snapshotDir(config),
            dir.resolve("frames"),
            dir.resolve("archives"),
            (archive, root) -> env.restoreStore(archive, state, root));
    ExecutorService applier = workers("ferry-statesync-apply", 1);
    Syncer syncer =
        new Syncer(
            // Gossip chose the snapshot already and its advertisers list it at once: when none
            // does within a few rounds (retention deleted it), HTTP or proofs should not wait.
            StateSyncConfig.DEFAULT
                .withDiscoveryTime(StateSyncConfig.MIN_DISCOVERY_TIME)
                .withSnapshotWait(BOOTSTRAP_SNAPSHOT_WAIT),
            app,
            VouchedSnapshots.only(full),
            new DirectoryChunkStore(dir.resolve("chunks")),
            transport,
            stateSyncScheduler,
            env.random("statesync"),
            applier);
    stateSync.attach(syncer);
    CompletableFuture<Bootstrap.Fetched> fetched =
        syncer
            .start()
            .handle(
                (o, e) -> {
                  if (e != null) {
                    Throwable cause = e instanceof CompletionException c ? c.getCause() : e;
                    throw cause instanceof FerryException fe
                        ? fe
                        : new FerryException(
                            ErrorCode.INTERNAL, "state sync failed: " + cause, cause);
                  }
                  ArchiveApplication.Restored r = app.restored().orElseThrow();
                  return new Bootstrap.Fetched(
                      r.archive().path(),
                      r.result(),
                      o.bytesFetched(),
                      o.bytesByPeer(),
                      o.rejectedPeers());
                });
    fetched.whenComplete(
        (f, e) -> {
          if (fetched.isCancelled()) {
            syncer.close();
          }
          stateSync.detach(syncer);
          applier.shutdown(); // what the syncer queued last (deleting its chunks) still runs
        });
    return fetched;
  }

  /** The newest revisions of the store, oldest first: what a push subscription says it holds. */
  private List<KnownHead> knownHeads() {
    MerkleDB db = store.current();
    if (db.height() == 0 && db.root().isZero()) {
      return List.of();
    }
    List<Revision> all = db.revisions();
    List<KnownHead> out = new ArrayList<>();
    for (Revision r : all.subList(Math.max(0, all.size() - KNOWN_HEADS), all.size())) {
      out.add(KnownHead.of(r));
    }
    return out;
  }

  /** The root of the trusted head at {@code height}, when it is the newest this node knows. */
  private Optional<Hash> trustedRootAt(long height) {
    return newestHead().filter(h -> h.height() == height).map(SignedHead::root);
  }

  /**
   * Takes the restored store in, and keeps the archives it came from among this node's own, so it
   * serves and advertises them at once (they are verified and named after their hashes).
   */
  private void adoptSnapshot(Path restored, List<Path> archives) {
    store.adopt(restored);
    Optional<LatestSnapshots> latest = store.latestSnapshots();
    for (Path a : archives) {
      try {
        Optional<ArchiveName> name = ArchiveName.parse(a.getFileName().toString());
        Path dest = env.snapshotDir(config).resolve(a.getFileName());
        if (latest.isEmpty() || name.isEmpty() || Files.exists(dest)) {
          Files.deleteIfExists(a);
          continue;
        }
        Files.createDirectories(env.snapshotDir(config));
        Files.move(a, dest, StandardCopyOption.ATOMIC_MOVE);
        latest.get().push(name.get());
      } catch (IOException e) {
        log.warn("cannot keep {}: {}", a.getFileName(), e.toString());
      }
    }
  }

  private void startHttp(InetSocketAddress bind) {
    HttpServerConfig hc =
        HttpServerConfig.defaults(env.snapshotDir(config))
            .withBind(bind)
            .withEgressLimits(config.egressBytesPerSecond(), 0);
    httpMetrics = new HttpMetrics(registry);
    SnapshotHttpServer server =
        new SnapshotHttpServer(
            hc,
            this::health,
            this::statusJson,
            page(),
            List.of(new StateReads(store::current, recentHeads, this::newestHead).route()),
            List.<HttpStreamRoute>of(dataApi.route()),
            httpMetrics);
    // A failed start releases its threads and says which address and why; Node.start closes the
    // rest.
    httpAddress = server.start();
    httpServer = server;
    closers.push(server);
  }

  /**
   * The write API on a listener of its own (docs/api.md): each request commits through {@link
   * #commit}; a node that does not produce answers 409 with its producer's id.
   */
  private void startApi(NodeConfig.Api api) {
    Optional<BearerToken> token = api.tokenFile().map(BearerToken::read);
    ApiServer server =
        new ApiServer(
            api.bind(), token, CommitTarget.of(this::commit, config::produces, this::producerId));
    apiAddress = server.start();
    closers.push(server); // closed before everything it commits through
  }

  /** The status page at {@code /}: it polls {@code /status} and draws it (docs/node.md). */
  static StaticFiles page() {
    return StaticFiles.fromClasspath(
        Node.class, "ui", "index.html", "page.js", "page.css", "icon.svg");
  }

  private void registerGauges() {
    blocks.registerMetrics(registry);
    CounterWithCallback.builder()
        .name("ferry_statesync_served_chunks")
        .help("State-sync chunks this node sent to peers")
        .callback(cb -> cb.call(stateSyncServer.stats().chunksServed()))
        .register(registry);
    CounterWithCallback.builder()
        .name("ferry_statesync_served_bytes")
        .help("Bytes of state-sync chunks this node sent to peers")
        .callback(cb -> cb.call(stateSyncServer.stats().bytesServed()))
        .register(registry);
    CounterWithCallback.builder()
        .name("ferry_statesync_missing_answers")
        .help("State-sync chunk requests this node answered as missing")
        .callback(cb -> cb.call(stateSyncServer.stats().missing()))
        .register(registry);
    CounterWithCallback.builder()
        .name("ferry_statesync_dropped_requests")
        .help("State-sync requests dropped by the per-peer and total bounds")
        .callback(cb -> cb.call(stateSyncServer.stats().dropped()))
        .register(registry);
    GaugeWithCallback.builder()
        .name("ferry_push_subscribers")
        .help("Push subscriptions this node holds open for its peers")
        .callback(cb -> cb.call(pushSync.server().stats().open()))
        .register(registry);
    CounterWithCallback.builder()
        .name("ferry_push_commits_pushed")
        .help("Commits this node pushed to subscribers (one per subscriber it reached)")
        .callback(cb -> cb.call(pushSync.server().stats().commitsPushed()))
        .register(registry);
    CounterWithCallback.builder()
        .name("ferry_push_bytes_pushed")
        .help("Bytes of push messages this node sent to subscribers")
        .callback(cb -> cb.call(pushSync.server().stats().bytesPushed()))
        .register(registry);
    CounterWithCallback.builder()
        .name("ferry_push_commits_received")
        .help("Pushed commits this follower received, by what became of them")
        .labelNames("outcome")
        .callback(
            cb -> {
              PushClient c = pushClient;
              PushClient.Stats st = c == null ? null : c.stats();
              cb.call(st == null ? 0 : st.applied(), "applied");
              cb.call(st == null ? 0 : st.gaps(), "gap");
              cb.call(st == null ? 0 : st.wrongRoots(), "wrong_root");
            })
        .register(registry);
    GaugeWithCallback.builder()
        .name("ferry_node_height")
        .help("Height of the node's store")
        .callback(cb -> cb.call(store.current().height()))
        .register(registry);
    GaugeWithCallback.builder()
        .name("ferry_node_head_height")
        .help("Height of the newest trusted head the node knows (-1: none)")
        .callback(cb -> cb.call(newestHead().map(SignedHead::height).orElse(-1L)))
        .register(registry);
  }

  // ------------------------------------------------------------------ queries

  public NodeId id() {
    return key.id();
  }

  public NodeConfig config() {
    return config;
  }

  /** The live store. A follower replaces it when it must rebuild a stale store. */
  public MerkleDB store() {
    return store.current();
  }

  /** The follower, on a node that follows a trusted producer or root. */
  public Optional<Follower> follower() {
    return Optional.ofNullable(follower);
  }

  /** The push subscription, on a follower that subscribes (docs/push.md). */
  public Optional<PushClient> pushClient() {
    return Optional.ofNullable(pushClient);
  }

  /** What this node pushes to its own subscribers: every node has one. */
  public PushServer pushServer() {
    return pushSync.server();
  }

  /** The snapshot bootstrap, on an empty follower that trusts a producer or known validators. */
  public Optional<Bootstrap> bootstrap() {
    return Optional.ofNullable(bootstrap);
  }

  /**
   * The node's block exchange: its block store, provider records and the exchange that fetches and
   * serves datasets (docs/blocks.md).
   */
  public NodeBlocks blocks() {
    return blocks;
  }

  /** The key-value store under the block store: tests write bit rot into it. */
  KvStore blocksKv() {
    return blocksKv;
  }

  /** The peer transport: tests read its peer manager's verdicts. */
  Transport transport() {
    return transport;
  }

  /** The proof sync's staging store, on a follower. */
  Optional<SyncStore> staging() {
    return Optional.ofNullable(staging);
  }

  /**
   * The snapshots this node advertises (its newest full archive and the newest incremental on it),
   * when it makes archives.
   */
  public Optional<LatestSnapshots> latestSnapshots() {
    return store.latestSnapshots();
  }

  /**
   * The load generator, on a node started with {@code --produce} and updates per commit above 0.
   */
  public Optional<Producer> producer() {
    return Optional.ofNullable(producer);
  }

  /** The newest trusted head this node has accepted or, as a producer, signed. */
  public Optional<SignedHead> newestHead() {
    return heads == null ? Optional.empty() : heads.newest();
  }

  /** The address peers dial, with this node's id. */
  public PeerAddress p2pAddress() {
    return transport.address();
  }

  /** Where the HTTP service listens, when it is on. */
  public Optional<InetSocketAddress> httpAddress() {
    return Optional.ofNullable(httpAddress);
  }

  /** Where the write API listens, when it is on. */
  public Optional<InetSocketAddress> apiAddress() {
    return Optional.ofNullable(apiAddress);
  }

  /**
   * {@code ok} for a producer and for a follower at most one commit behind the newest head it
   * knows; {@code behind} while it syncs or lags; {@code unknown} before it knows a head (and on a
   * server, which follows no one).
   */
  public Health health() {
    if (config.produces()) {
      return Health.OK;
    }
    Optional<SignedHead> head = newestHead();
    if (follower == null || head.isEmpty()) {
      return Health.UNKNOWN;
    }
    Optional<Revision> at = follower.at();
    boolean close = at.isPresent() && head.get().height() - at.get().height() <= 1;
    return close && follower.phase() != Follower.Phase.SYNCING ? Health.OK : Health.BEHIND;
  }

  public String role() {
    return config.produces() ? "producer" : config.follows() ? "follower" : "server";
  }

  /** What {@code GET /status} answers. */
  public NodeStatus status() {
    MerkleDB db = store.current();
    Revision r = db.revision();
    String phase =
        config.produces()
            ? "producing"
            : bootstrap != null && bootstrap.running()
                ? "bootstrapping"
                : follower != null ? follower.phase().name().toLowerCase(Locale.ROOT) : "serving";
    NodeStatus.HeadStatus head =
        newestHead()
            .map(
                h ->
                    new NodeStatus.HeadStatus(
                        h.height(), h.root().toHex(), h.producer().toString()))
            .orElse(null);
    NodeStatus.SyncStatus sync =
        follower == null ? null : follower.syncStats().map(Node::syncStatus).orElse(null);
    List<String> peers = transport.peers().stream().map(NodeId::toString).toList();
    List<NodeStatus.SnapshotStatus> snaps = new ArrayList<>();
    Map<String, io.ferry.blocks.cid.Cid> datasets = snapshotDatasets.cids();
    for (ArchiveFile a : SnapshotArchives.list(env.snapshotDir(config))) {
      String name = a.path().getFileName().toString();
      io.ferry.blocks.cid.Cid cid = datasets.get(name);
      snaps.add(
          new NodeStatus.SnapshotStatus(
              name,
              a.kind().name().toLowerCase(Locale.ROOT),
              a.height(),
              a.bytes(),
              cid == null ? null : cid.toString()));
    }
    return new NodeStatus(
        key.id().toString(),
        role(),
        phase,
        r.height(),
        r.root().toHex(),
        recent(db),
        head,
        peers,
        sync,
        snaps,
        transport.address().toString(),
        httpAddress == null ? null : httpAddress.getHostString() + ":" + httpAddress.getPort(),
        config.network(),
        ClusterView.of(gossip).stream().map(NodeStatus.ClusterStatus::of).toList(),
        traffic(),
        bootstrap == null ? null : NodeStatus.BootstrapStatus.of(bootstrap.report()),
        pushStatus(),
        blocks.status());
  }

  private NodeStatus.PushStatus pushStatus() {
    PushServer.Stats served = pushSync.server().stats();
    PushClient c = pushClient;
    PushClient.Stats own = c == null ? null : c.stats();
    return new NodeStatus.PushStatus(
        served.open(),
        served.commitsPushed(),
        served.bytesPushed(),
        own == null ? null : own.source().map(NodeId::toString).orElse(""),
        own == null ? null : own.applied(),
        own == null ? null : own.gaps(),
        own == null ? null : own.wrongRoots());
  }

  /**
   * Bytes moved so far, from the same counters {@code /metrics} shows; null on a transport that
   * keeps none (every transport of the product does: they are {@link EngineTransport}s).
   */
  private NodeStatus.TrafficStatus traffic() {
    if (!(transport instanceof EngineTransport t)) {
      return null;
    }
    TransportMetrics m = t.metrics();
    long httpOut = httpMetrics == null ? 0 : (long) httpMetrics.bytesSent();
    return new NodeStatus.TrafficStatus(m.bytesTotal("in"), m.bytesTotal("out"), httpOut);
  }

  private static List<NodeStatus.RevisionStatus> recent(MerkleDB db) {
    List<Revision> all = db.revisions();
    List<NodeStatus.RevisionStatus> out = new ArrayList<>();
    for (int i = all.size() - 1; i >= 0 && out.size() < NodeStatus.RECENT; i--) {
      out.add(new NodeStatus.RevisionStatus(all.get(i).height(), all.get(i).root().toHex()));
    }
    return out;
  }

  private static NodeStatus.SyncStatus syncStatus(SyncStats s) {
    return new NodeStatus.SyncStatus(
        s.keys(),
        s.bytes(),
        s.proofs(),
        s.rangesDone(),
        s.covered(),
        s.targetUpdates(),
        s.failures(),
        s.lies());
  }

  private String statusJson() {
    try {
      return JSON.writeValueAsString(status());
    } catch (JsonProcessingException e) {
      throw new FerryException(ErrorCode.INTERNAL, "status does not encode: " + e.getMessage());
    }
  }

  /**
   * Stops the node: HTTP, peers, the follower (its progress stays staged) or the producer (after
   * the commit in progress), archives being written, the transport, and last the store. Idempotent.
   */
  @Override
  public synchronized void close() {
    if (closed) {
      return;
    }
    closed = true;
    log.info("node {} shutting down", key.id().shortString());
    for (AutoCloseable c : closers) {
      try {
        c.close();
      } catch (Exception e) {
        log.warn("while stopping: {}", e.toString());
      }
    }
    store.close();
    log.info("node {} stopped", key.id().shortString());
  }
}
