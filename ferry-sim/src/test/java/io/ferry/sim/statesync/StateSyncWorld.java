package io.ferry.sim.statesync;

import io.ferry.core.Bytes;
import io.ferry.core.Hash;
import io.ferry.core.identity.NodeId;
import io.ferry.core.runtime.SeededRandomSource;
import io.ferry.merkledb.Batch;
import io.ferry.merkledb.KeyValue;
import io.ferry.merkledb.MerkleDB;
import io.ferry.merkledb.MerkleDBConfig;
import io.ferry.net.TransportConfig;
import io.ferry.net.peers.Backoff;
import io.ferry.net.peers.PeerKeeper;
import io.ferry.node.NodeStores;
import io.ferry.sim.LinkModel;
import io.ferry.sim.NodeContext;
import io.ferry.sim.SimNode;
import io.ferry.sim.Simulation;
import io.ferry.snapshot.RestoreResult;
import io.ferry.snapshot.SnapshotConfig;
import io.ferry.snapshot.SnapshotRestorer;
import io.ferry.snapshot.SnapshotWriter;
import io.ferry.sync.snapshot.Messages;
import io.ferry.sync.snapshot.StateSyncReactor;
import io.ferry.sync.snapshot.app.Snapshot;
import io.ferry.sync.snapshot.archive.ArchiveApplication;
import io.ferry.sync.snapshot.client.DirectoryChunkStore;
import io.ferry.sync.snapshot.client.StateSyncConfig;
import io.ferry.sync.snapshot.client.SyncOutcome;
import io.ferry.sync.snapshot.client.Syncer;
import io.ferry.sync.snapshot.client.TrustedAppHash;
import io.ferry.sync.snapshot.server.SnapshotServer;
import java.io.IOException;
import java.io.UncheckedIOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.BitSet;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.TreeMap;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.Executor;
import java.util.regex.Matcher;
import java.util.regex.Pattern;
import java.util.stream.Stream;

/**
 * Snapshot state sync in a {@link Simulation}: servers that serve the same archives from disk
 * through the real {@link SnapshotServer} and {@link StateSyncReactor}, honest or faulty ({@link
 * Serving}), and one restoring client whose incarnations each run a real {@link Syncer} and {@link
 * ArchiveApplication} (behind a {@link Scripted} wrapper) over the simulator's transport. The
 * client's staging directory and {@link DirectoryChunkStore} are real directories kept across its
 * crashes, as a disk is; it restores into an in-memory MerkleDB. Every state-sync message any node
 * sends or handles is in {@link #wire}, every connection that closes in {@link #closes}, and every
 * application call in {@link #calls}.
 */
final class StateSyncWorld implements AutoCloseable {

  /** Chunks of 16 KiB: the state below is about 150 of them. */
  static final int CHUNK_BYTES = 16 << 10;

  static final TransportConfig TRANSPORT =
      TransportConfig.DEFAULT.withTimeouts(
          Duration.ofSeconds(2), Duration.ofSeconds(10), Duration.ofSeconds(3));

  /**
   * Two full archives of one store, at heights 100 and 120 (1,000 keys changed between), in one
   * directory, and their snapshots as a server lists them. The state comes from a fixed seed, so
   * every run has the same archives; the simulation's seed decides the rest.
   */
  record Archives(
      Path dir, int keys, Snapshot older, Hash olderRoot, Snapshot newer, Hash newerRoot) {
    private static final long DATA_SEED = 0x5ca1ab1e_0c0ffeeL;

    static Archives write(Path dir, int keys) {
      SeededRandomSource random = new SeededRandomSource(DATA_SEED);
      TreeMap<Bytes, Bytes> state = new TreeMap<>();
      while (state.size() < keys) {
        state.put(bytes(random, 32), bytes(random, 1 + random.nextInt(96)));
      }
      SnapshotWriter writer =
          new SnapshotWriter(SnapshotConfig.defaults().withChunkSize(CHUNK_BYTES));
      try (MerkleDB db = MerkleDB.inMemory(MerkleDBConfig.defaults().withSyncWrites(false))) {
        List<KeyValue> kvs = new ArrayList<>(state.size());
        state.forEach((k, v) -> kvs.add(new KeyValue(k, v)));
        Hash olderRoot = db.bulkLoad(kvs.iterator(), 100).root();
        writer.writeFull(db, dir);
        List<Bytes> all = new ArrayList<>(state.keySet());
        Batch b = new Batch();
        for (int i = 0; i < 1_000; i++) {
          b.set(all.get(random.nextInt(all.size())), Optional.of(bytes(random, 8)));
        }
        Hash newerRoot = db.commit(b, 120).root();
        writer.writeFull(db, dir);
        Map<Long, Snapshot> listed = new TreeMap<>();
        for (Snapshot s : ArchiveApplication.servingOnly(dir).listSnapshots()) {
          listed.put(s.height(), s);
        }
        return new Archives(dir, keys, listed.get(100L), olderRoot, listed.get(120L), newerRoot);
      }
    }

    /** The root of the state at {@code s}'s height, as a node that followed the chain knows. */
    Optional<Bytes> rootAt(Snapshot s) {
      if (s.height() == older.height()) {
        return Optional.of(Bytes.wrap(olderRoot.toBytes()));
      }
      if (s.height() == newer.height()) {
        return Optional.of(Bytes.wrap(newerRoot.toBytes()));
      }
      return Optional.empty();
    }

    private static Bytes bytes(SeededRandomSource random, int n) {
      byte[] b = new byte[n];
      random.nextBytes(b);
      return Bytes.wrap(b);
    }
  }

  /**
   * How the client syncs: the same in every incarnation.
   *
   * @param config the syncer's settings
   * @param trust the app hash it trusts for each snapshot
   * @param offers answers to offers in place of the real application's, or passes them on
   * @param applies answers to applies in place of the real application's, or passes them on
   */
  record ClientSetup(
      StateSyncConfig config,
      TrustedAppHash trust,
      Scripted.OfferScript offers,
      Scripted.ApplyScript applies) {
    static ClientSetup trusting(StateSyncConfig config, TrustedAppHash trust) {
      return new ClientSetup(config, trust, Scripted.PASS_OFFERS, Scripted.PASS_APPLIES);
    }

    ClientSetup withOffers(Scripted.OfferScript s) {
      return new ClientSetup(config, trust, s, applies);
    }

    ClientSetup withApplies(Scripted.ApplyScript s) {
      return new ClientSetup(config, trust, offers, s);
    }
  }

  /** One incarnation of a server. */
  static final class Server {
    final SnapshotServer server;

    Server(SnapshotServer server) {
      this.server = server;
    }
  }

  /** One incarnation of the client: its syncer and what it restored. */
  static final class Client {
    final int incarnation;
    final Tap transport;
    final Syncer syncer;
    final CompletableFuture<SyncOutcome> result;
    final ArchiveApplication app;
    private final PeerKeeper keeper;
    private MerkleDB restored;

    Client(NodeContext ctx, StateSyncWorld w, ClientSetup setup) {
      this.incarnation = ctx.incarnation();
      transport =
          new Tap(ctx.transport(), incarnation, ctx.clock()::nanos, w.wire, w.closes, m -> false);
      keeper =
          new PeerKeeper(
              transport,
              ctx.scheduler(),
              ctx.random().fork(),
              new Backoff(Duration.ofMillis(250), Duration.ofSeconds(5)));
      StateSyncReactor reactor = new StateSyncReactor(transport, Optional.empty());
      app =
          new ArchiveApplication(
              w.clientArchives, w.clientStaging, w.clientArchives, this::restoreInMemory);
      Executor onScheduler = r -> ctx.scheduler().execute(r);
      syncer =
          new Syncer(
              setup.config(),
              new Scripted(
                  app, incarnation, ctx.clock()::nanos, setup.offers(), setup.applies(), w.calls),
              setup.trust(),
              new DirectoryChunkStore(w.clientChunks),
              transport,
              ctx.scheduler(),
              ctx.random().fork(),
              onScheduler);
      reactor.attach(syncer);
      for (SimNode<Server> s : w.servers) {
        keeper.keep(s.address());
      }
      result = syncer.start();
    }

    private RestoreResult restoreInMemory(Path archive, Hash trustedRoot) {
      return new SnapshotRestorer(MerkleDBConfig.defaults())
          .restoreInto(
              archive,
              Optional.empty(),
              bf -> {
                restored =
                    MerkleDB.inMemory(
                        MerkleDBConfig.defaults().withBranchFactor(bf).withSyncWrites(false));
                return restored;
              },
              Optional.of(trustedRoot));
    }

    /** The store the restore built, once it has. */
    Optional<MerkleDB> restored() {
      return Optional.ofNullable(restored);
    }

    void close() {
      keeper.close();
      if (restored != null) {
        restored.close();
      }
    }
  }

  /**
   * What the client's disk held for a snapshot when it crashed.
   *
   * @param staged chunks the application had verified and staged
   * @param held chunks the chunk store held, with their senders
   */
  record OnDisk(BitSet staged, Map<Integer, NodeId> held) {
    /** Chunks in either. */
    BitSet any() {
      BitSet all = (BitSet) staged.clone();
      held.keySet().forEach(all::set);
      return all;
    }
  }

  final Simulation sim;
  final Archives archives;
  final List<Tap.Seen> wire = new ArrayList<>();
  final List<Tap.Closed> closes = new ArrayList<>();
  final List<Scripted.Call> calls = new ArrayList<>();
  private final Path root;
  private final Path clientArchives;
  private final Path clientStaging;
  private final Path clientChunks;
  private final List<SimNode<Server>> servers = new ArrayList<>();
  private final List<Client> clients = new ArrayList<>();
  private final Map<Integer, Map<String, Integer>> scores = new TreeMap<>();
  private SimNode<Client> client;

  StateSyncWorld(long seed, Archives archives, LinkModel link) {
    this.archives = archives;
    sim = new Simulation(seed, TRANSPORT);
    sim.network().setDefaultLink(link);
    root = TempDirs.create("ferry-statesync-sim-");
    clientArchives = root.resolve("client/snapshots");
    clientStaging = root.resolve("client/state-sync/frames");
    clientChunks = root.resolve("client/state-sync/chunks");
  }

  /** Adds a server that serves the archives as {@code serving} says. */
  SimNode<Server> addServer(String name, Serving serving) {
    SimNode<Server> node =
        sim.addNode(
            name,
            ctx -> {
              Tap tap =
                  new Tap(
                      ctx.transport(),
                      ctx.incarnation(),
                      ctx.clock()::nanos,
                      wire,
                      closes,
                      m -> serving instanceof Serving.Stalled && m instanceof Messages.ChunkSent);
              SnapshotServer server =
                  new SnapshotServer(
                      serving.around(ArchiveApplication.servingOnly(archives.dir())),
                      tap,
                      r -> ctx.scheduler().execute(r),
                      ctx.clock(),
                      SnapshotServer.Config.DEFAULT);
              new StateSyncReactor(tap, Optional.of(server));
              return new Server(server);
            });
    servers.add(node);
    return node;
  }

  /** Adds the restoring client, connected to every server; it starts syncing at once. */
  SimNode<Client> addClient(ClientSetup setup) {
    client =
        sim.addNode(
            "client",
            ctx -> {
              Client c = new Client(ctx, this, setup);
              clients.add(c);
              return c;
            });
    return client;
  }

  /** The server named {@code name}. */
  SimNode<Server> server(String name) {
    return servers.stream().filter(s -> s.name().equals(name)).findFirst().orElseThrow();
  }

  SimNode<Client> client() {
    return client;
  }

  /** The client's incarnations so far, first first. */
  List<Client> incarnations() {
    return List.copyOf(clients);
  }

  /** Runs until the running client's sync ends, or {@code limit} of virtual time has passed. */
  boolean runToEnd(Duration limit) {
    return sim.runUntil(() -> client.app().result.isDone(), limit);
  }

  /** Runs until the running client has applied {@code chunks} chunks; false if its sync ended. */
  boolean runUntilApplied(int chunks, Duration limit) {
    Syncer s = client.app().syncer;
    sim.runUntil(() -> s.result().isDone() || s.progress().applied() >= chunks, limit);
    return !s.result().isDone() && s.progress().applied() >= chunks;
  }

  /** Crashes the client and says what its disk kept of {@code snapshot}. */
  OnDisk crashClient(Snapshot snapshot) {
    scores.put(client.app().incarnation, scoresNow());
    sim.crash(client);
    return onDisk(snapshot);
  }

  /**
   * Each server's score with the client's incarnation {@code k}: taken when it crashed, or now for
   * the one running (scores recover with time, and time goes on after a crash).
   */
  Map<String, Integer> scores(int k) {
    if (client.isUp() && client.app().incarnation == k) {
      return scoresNow();
    }
    return scores.get(k);
  }

  private Map<String, Integer> scoresNow() {
    Map<String, Integer> out = new TreeMap<>();
    for (SimNode<Server> s : servers) {
      out.put(s.name(), client.app().transport.peerManager().standing(s.id()).score());
    }
    return out;
  }

  private static final Pattern CHUNK = Pattern.compile("(\\d+)-([0-9a-f]+)\\.chunk");
  private static final Pattern FRAME = Pattern.compile("(\\d+)\\.zst");

  /** What the client's staging and chunk store hold of {@code s} now. */
  OnDisk onDisk(Snapshot s) {
    BitSet staged = new BitSet();
    for (Path f : files(clientStaging.resolve(s.height() + "-" + s.hash().toHex()))) {
      Matcher m = FRAME.matcher(f.getFileName().toString());
      if (m.matches()) {
        staged.set(Integer.parseInt(m.group(1)));
      }
    }
    Map<Integer, NodeId> held = new TreeMap<>();
    for (Path f :
        files(clientChunks.resolve(s.height() + "-" + s.format() + "-" + s.hash().toHex()))) {
      Matcher m = CHUNK.matcher(f.getFileName().toString());
      if (m.matches()) {
        held.put(
            Integer.parseInt(m.group(1)), NodeId.of(java.util.HexFormat.of().parseHex(m.group(2))));
      }
    }
    return new OnDisk(staged, held);
  }

  private static List<Path> files(Path dir) {
    if (!Files.isDirectory(dir)) {
      return List.of();
    }
    try (Stream<Path> s = Files.list(dir)) {
      return s.sorted().toList();
    } catch (IOException e) {
      throw new UncheckedIOException(e);
    }
  }

  /** What the client's incarnations sent and handled. */
  List<Tap.Seen> clientWire() {
    NodeId id = client.id();
    return wire.stream().filter(s -> s.node().equals(id)).toList();
  }

  /** The chunk requests the client's {@code incarnation} sent. */
  List<Tap.Seen> requests(int incarnation) {
    return clientWire().stream()
        .filter(s -> s.outbound() && s.isRequest() && s.incarnation() == incarnation)
        .toList();
  }

  @Override
  public void close() {
    for (Client c : clients) {
      c.close();
    }
    NodeStores.delete(root);
  }
}
