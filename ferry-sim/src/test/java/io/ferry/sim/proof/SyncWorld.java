package io.ferry.sim.proof;

import io.ferry.core.Bytes;
import io.ferry.core.Hash;
import io.ferry.core.KeyRange;
import io.ferry.core.runtime.SeededRandomSource;
import io.ferry.merkledb.Batch;
import io.ferry.merkledb.BranchFactor;
import io.ferry.merkledb.KeyValue;
import io.ferry.merkledb.MerkleDB;
import io.ferry.merkledb.MerkleDBConfig;
import io.ferry.net.PeerAddress;
import io.ferry.net.TransportConfig;
import io.ferry.sim.LinkModel;
import io.ferry.sim.SimNode;
import io.ferry.sim.Simulation;
import io.ferry.sync.proof.ProofServerConfig;
import io.ferry.sync.proof.ProofSyncServer;
import io.ferry.sync.proof.client.SyncConfig;
import java.time.Duration;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.Set;
import java.util.TreeMap;
import java.util.function.BiConsumer;
import java.util.function.BooleanSupplier;

/**
 * Proof sync servers and one syncing client in a {@link Simulation}: every server serves its own
 * MerkleDB holding the same state, the target moves by committing one batch on all of them, and the
 * client is a {@link SyncClient} node that can crash and restart. Lying servers are made by the
 * {@link LyingServers} interceptor on the network.
 *
 * <p>The state and every batch derive from the seed, so a seed gives the same run.
 */
final class SyncWorld implements AutoCloseable {
  static final BranchFactor BF = BranchFactor.BF16;

  final Simulation sim;
  final LyingServers liars = new LyingServers();
  final List<RecordingTransport.Asked> asked = new ArrayList<>();
  private final SeededRandomSource random;
  private final TreeMap<Bytes, Bytes> state = new TreeMap<>();
  private final Map<String, MerkleDB> dbs = new TreeMap<>();
  private final List<SimNode<ProofSyncServer>> servers = new ArrayList<>();
  private final Map<SimNode<ProofSyncServer>, LinkModel> ownLinks = new LinkedHashMap<>();
  private final List<SyncClient> clients = new ArrayList<>();
  private Hash target;
  private SimNode<SyncClient> client;
  private int batches;

  /**
   * @param keys how many key-values the servers start with
   * @param link the model of every link (servers may get their own with {@link #addServer})
   */
  SyncWorld(long seed, int keys, TransportConfig transport, LinkModel link) {
    sim = new Simulation(seed, transport);
    sim.network().setDefaultLink(link);
    sim.network().setInterceptor(liars);
    random = new SeededRandomSource(seed ^ 0x5ca1ab1eL);
    while (state.size() < keys) {
      state.put(randomBytes(32), randomBytes(1 + random.nextInt(96)));
    }
  }

  /** Puts a key-value into the state; servers added after it hold it. */
  void put(Bytes key, Bytes value) {
    state.put(key, value);
  }

  /**
   * Adds a server holding the current state; a non-null {@code link} models its link to the client.
   */
  SimNode<ProofSyncServer> addServer(String name, LinkModel link) {
    return addServer(name, link, null);
  }

  /**
   * Adds a server that tells {@code lies} in turn in its answers to requests of {@code kinds} (see
   * {@link LyingServers}).
   */
  SimNode<ProofSyncServer> addLiar(String name, List<Lie> lies, Set<LyingServers.ProofKind> kinds) {
    return addServer(name, null, (node, db) -> liars.add(node.id(), db, lies, kinds));
  }

  private SimNode<ProofSyncServer> addServer(
      String name, LinkModel link, BiConsumer<SimNode<?>, MerkleDB> then) {
    MerkleDB db = MerkleDB.inMemory(MerkleDBConfig.defaults().withSyncWrites(false));
    List<KeyValue> kvs = new ArrayList<>(state.size());
    state.forEach((k, v) -> kvs.add(new KeyValue(k, v)));
    target = db.bulkLoad(kvs.iterator()).root();
    dbs.put(name, db);
    SimNode<ProofSyncServer> node =
        sim.addNode(
            name,
            ctx ->
                ProofSyncServer.start(
                    ctx.transport(),
                    db,
                    ProofServerConfig.defaults().withThreads(1),
                    r -> ctx.scheduler().execute(r),
                    ctx.clock()));
    if (link != null) {
      ownLinks.put(node, link); // set on the link to the client once it is added
    }
    servers.add(node);
    if (then != null) {
      then.accept(node, db);
    }
    return node;
  }

  /** Adds the syncing client; it starts syncing to the current target at once. */
  SimNode<SyncClient> addClient(SyncConfig config) {
    List<PeerAddress> addresses = servers.stream().map(SimNode::address).toList();
    client =
        sim.addNode(
            "client",
            ctx -> {
              SyncClient c = new SyncClient(ctx, addresses, target, config, asked);
              clients.add(c);
              return c;
            });
    ownLinks.forEach((s, link) -> sim.network().setLink(s.id(), client.id(), link));
    return client;
  }

  SimNode<SyncClient> client() {
    return client;
  }

  List<SimNode<ProofSyncServer>> servers() {
    return List.copyOf(servers);
  }

  /** The root every server is at now, and the client syncs to. */
  Hash target() {
    return target;
  }

  /** The number of key-values the servers hold now. */
  int size() {
    return state.size();
  }

  /** The current state's keys in {@code range}. */
  long keysIn(KeyRange range) {
    return state.keySet().stream().filter(range::contains).count();
  }

  /**
   * Every server commits one batch of {@code changes} (a third each deletes, updates and inserts),
   * then the client, if up, is told the new target.
   */
  Hash moveTarget(int changes) {
    List<Bytes> keys = new ArrayList<>(state.keySet());
    TreeMap<Bytes, Optional<Bytes>> batch = new TreeMap<>();
    for (int i = 0; i < changes; i++) {
      switch (i % 3) {
        case 0 -> batch.put(keys.get(random.nextInt(keys.size())), Optional.empty());
        case 1 -> batch.put(keys.get(random.nextInt(keys.size())), Optional.of(randomBytes(8)));
        default -> batch.put(randomBytes(32), Optional.of(randomBytes(1 + random.nextInt(96))));
      }
    }
    return moveTarget(batch);
  }

  /** Every server commits {@code batch}, then the client, if up, is told the new target. */
  Hash moveTarget(TreeMap<Bytes, Optional<Bytes>> batch) {
    Batch b = new Batch();
    batch.forEach(b::set);
    batch.forEach((k, v) -> v.ifPresentOrElse(x -> state.put(k, x), () -> state.remove(k)));
    Hash root = null;
    for (Map.Entry<String, MerkleDB> e : dbs.entrySet()) {
      Hash r = e.getValue().commit(b).root();
      if (root != null && !root.equals(r)) {
        throw new IllegalStateException(e.getKey() + " committed to " + r + ", not " + root);
      }
      root = r;
    }
    target = root;
    batches++;
    if (client != null && client.isUp()) {
      client.app().sync.updateTarget(root);
    }
    return root;
  }

  int batches() {
    return batches;
  }

  /** Runs until {@code condition} holds or {@code limit} of virtual time has passed. */
  boolean runUntil(BooleanSupplier condition, Duration limit) {
    return sim.runUntil(condition, limit);
  }

  private Bytes randomBytes(int n) {
    byte[] b = new byte[n];
    random.nextBytes(b);
    return Bytes.wrap(b);
  }

  @Override
  public void close() {
    for (SyncClient c : clients) {
      c.local.close();
    }
    for (MerkleDB db : dbs.values()) {
      db.close();
    }
  }
}
