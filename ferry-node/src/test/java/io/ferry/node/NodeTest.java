package io.ferry.node;

import static org.assertj.core.api.Assertions.assertThat;
import static org.awaitility.Awaitility.await;

import ch.qos.logback.classic.Level;
import ch.qos.logback.classic.Logger;
import ch.qos.logback.classic.spi.ILoggingEvent;
import ch.qos.logback.core.read.ListAppender;
import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import com.google.protobuf.ByteString;
import io.ferry.core.Bytes;
import io.ferry.core.archive.ArchiveName;
import io.ferry.core.archive.SnapshotHashes;
import io.ferry.core.archive.SnapshotHashes.Slot;
import io.ferry.core.identity.KeyFile;
import io.ferry.core.identity.NodeId;
import io.ferry.core.identity.NodeKey;
import io.ferry.gossip.head.HeadExchange;
import io.ferry.gossip.head.SignedHead;
import io.ferry.gossip.plane.GossipConfig;
import io.ferry.gossip.value.SignedValue;
import io.ferry.gossip.value.ValueKind;
import io.ferry.http.Health;
import io.ferry.merkledb.KeyValue;
import io.ferry.merkledb.MerkleDB;
import io.ferry.merkledb.Revision;
import io.ferry.net.PeerAddress;
import io.ferry.net.ProtocolHandler;
import io.ferry.net.ProtocolId;
import io.ferry.net.Responder;
import io.ferry.net.TransportConfig;
import io.ferry.net.tcp.NettyTransport;
import io.ferry.node.config.NodeConfig;
import io.ferry.node.config.NodeSettings;
import io.ferry.node.follow.Follower;
import io.ferry.snapshot.ArchiveFile;
import io.ferry.snapshot.SnapshotArchives;
import io.ferry.sync.proof.client.KvSyncStore;
import io.ferry.wire.v1.PullResponse;
import java.net.InetSocketAddress;
import java.net.URI;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.Optional;
import java.util.Random;
import java.util.concurrent.atomic.AtomicInteger;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;
import org.junit.jupiter.api.io.TempDir;
import org.slf4j.LoggerFactory;

/** Nodes in one JVM over real loopback sockets: a producer and followers. */
@Timeout(180)
class NodeTest {
  @TempDir Path tmp;
  private final List<Node> nodes = new ArrayList<>();

  @AfterEach
  void stop() {
    for (int i = nodes.size() - 1; i >= 0; i--) {
      nodes.get(i).close();
    }
  }

  /** A producer over a generated state of {@code keys} keys, committing every 200 ms. */
  private Node producer(int keys) throws Exception {
    Path dir = tmp.resolve("producer");
    try (MerkleDB db = NodeStores.open(dir.resolve("state"), null)) {
      List<KeyValue> kvs = new ArrayList<>();
      Random r = new Random(1);
      for (int i = 0; i < keys; i++) {
        byte[] k = new byte[32];
        byte[] v = new byte[100];
        r.nextBytes(k);
        r.nextBytes(v);
        kvs.add(new KeyValue(Bytes.wrap(k), Bytes.wrap(v)));
      }
      kvs.sort((a, b) -> a.key().compareTo(b.key()));
      db.bulkLoad(kvs.iterator());
    }
    NodeSettings s = settings(dir);
    s.produce = true;
    s.producer.updatesPerCommit = 100;
    s.producer.commitIntervalMs = 200L;
    return start(s);
  }

  private NodeSettings settings(Path dir) {
    NodeSettings s = new NodeSettings();
    s.data = dir.toString();
    s.p2p = "127.0.0.1:0";
    s.http = "127.0.0.1:0";
    s.headIntervalMs = 100L;
    s.snapshots.fullInterval = 5L;
    s.snapshots.incrementalInterval = 0L;
    return s;
  }

  private Node follower(String name, String trustProducer, Node... peers) throws Exception {
    PeerAddress[] addresses = new PeerAddress[peers.length];
    for (int i = 0; i < peers.length; i++) {
      addresses[i] = peers[i].p2pAddress();
    }
    return follower(name, trustProducer, addresses);
  }

  private Node follower(String name, String trustProducer, Node peer, PeerAddress other)
      throws Exception {
    return follower(name, trustProducer, peer.p2pAddress(), other);
  }

  private Node follower(String name, String trustProducer, PeerAddress... peers) throws Exception {
    NodeSettings s = settings(tmp.resolve(name));
    s.trustProducer = trustProducer;
    s.peers = new ArrayList<>();
    for (PeerAddress p : peers) {
      s.peers.add(p.toString());
    }
    return start(s);
  }

  private Node start(NodeSettings s) throws Exception {
    NodeConfig c = s.toConfig();
    Node n = Node.start(c);
    nodes.add(n);
    return n;
  }

  /** Collects the head exchange's refusals, which it logs at INFO (once per peer and producer). */
  private static final class HeadRefusals implements AutoCloseable {
    private final Logger logger = (Logger) LoggerFactory.getLogger(HeadExchange.class);
    private final Level level = logger.getLevel();
    private final ListAppender<ILoggingEvent> events = new ListAppender<>();

    HeadRefusals() {
      events.start();
      logger.setLevel(Level.INFO);
      logger.addAppender(events);
    }

    /** True once a head signed by {@code producer} was refused. */
    boolean heard(NodeId producer) {
      synchronized (events) { // AppenderBase appends holding the appender's lock
        return events.list.stream()
            .map(ILoggingEvent::getFormattedMessage)
            .anyMatch(m -> m.startsWith("ignoring heads of") && m.contains(producer.shortString()));
      }
    }

    @Override
    public void close() {
      logger.detachAppender(events);
      logger.setLevel(level);
    }
  }

  /** The revision a stopped node's store is at. */
  private static Revision storedRevision(Node stopped) {
    try (MerkleDB db = NodeStores.open(stopped.config().stateDir(), null)) {
      return db.revision();
    }
  }

  /** True when {@code follower}'s store is at a state the producer had at the same height. */
  private static boolean atProducersState(Node follower, Node producer) {
    MerkleDB f = follower.store();
    Revision at = f.revision();
    return at.height() > 0 && producer.store().revisions().contains(at);
  }

  @Test
  void aFollowerSyncsToTheProducersHeadThenFollowsAndServesTheSameArchives() throws Exception {
    Node producer = producer(20_000);
    Node follower = follower("follower", producer.id().toString(), producer);

    await()
        .atMost(Duration.ofSeconds(90))
        .until(
            () ->
                follower.follower().orElseThrow().phase() == Follower.Phase.FOLLOWING
                    && atProducersState(follower, producer));
    long synced = follower.store().height();
    assertThat(follower.follower().orElseThrow().syncStats()).isPresent();
    assertThat(follower.follower().orElseThrow().syncStats().get().keys()).isPositive();

    // It keeps up with change proofs as the producer commits.
    await()
        .atMost(Duration.ofSeconds(60))
        .until(
            () -> follower.store().height() >= synced + 5 && atProducersState(follower, producer));
    assertThat(follower.health()).isIn(Health.OK, Health.BEHIND);

    // Both make the archive of the same height, byte for byte the same file.
    await()
        .atMost(Duration.ofSeconds(60))
        .until(
            () -> {
              Optional<ArchiveFile> p =
                  SnapshotArchives.newestFull(producer.config().snapshotDir());
              Optional<ArchiveFile> f =
                  SnapshotArchives.newestFull(follower.config().snapshotDir());
              return p.isPresent()
                  && f.isPresent()
                  && p.get().height() > synced
                  && SnapshotArchives.list(follower.config().snapshotDir()).stream()
                      .anyMatch(a -> a.name().equals(p.get().name()));
            });

    // Each advertises the newest full archive it has made.
    for (Node n : List.of(producer, follower)) {
      await()
          .atMost(Duration.ofSeconds(60))
          .until(
              () ->
                  n.latestSnapshots()
                      .orElseThrow()
                      .current()
                      .map(SnapshotHashes::full)
                      .equals(
                          SnapshotArchives.newestFull(n.config().snapshotDir())
                              .map(a -> Slot.of(a.name()))));
    }

    // GET /status reports it.
    URI status =
        URI.create(
            "http://127.0.0.1:" + follower.httpAddress().orElseThrow().getPort() + "/status");
    try (HttpClient http = HttpClient.newHttpClient()) {
      HttpResponse<String> r =
          http.send(HttpRequest.newBuilder(status).build(), HttpResponse.BodyHandlers.ofString());
      assertThat(r.statusCode()).isEqualTo(200);
      JsonNode json = new ObjectMapper().readTree(r.body());
      assertThat(json.path("node_id").asText()).isEqualTo(follower.id().toString());
      assertThat(json.path("role").asText()).isEqualTo("follower");
      assertThat(json.path("head").path("producer").asText()).isEqualTo(producer.id().toString());
      assertThat(json.path("peers").toString()).contains(producer.id().toString());
      assertThat(json.path("snapshots").size()).isPositive();
      assertThat(json.path("height").asLong()).isGreaterThanOrEqualTo(synced);
      // It synced over the network: the traffic counters say so.
      assertThat(json.path("traffic").path("p2p_in").asLong())
          .isGreaterThan(json.path("sync").path("bytes").asLong());
      assertThat(json.path("traffic").path("p2p_out").asLong()).isPositive();
      JsonNode recent = json.path("recent");
      assertThat(recent.size()).isBetween(2, NodeStatus.RECENT);
      assertThat(recent.get(0).path("height").asLong()).isGreaterThanOrEqualTo(synced);
      assertThat(recent.get(0).path("height").asLong())
          .isGreaterThan(recent.get(1).path("height").asLong());
    }
  }

  @Test
  void aNewcomerSyncsFromSeveralPeersIncludingAFollower() throws Exception {
    Node producer = producer(10_000);
    Node first = follower("first", producer.id().toString(), producer);
    await().atMost(Duration.ofSeconds(90)).until(() -> atProducersState(first, producer));
    Node newcomer = follower("newcomer", producer.id().toString(), producer, first);
    await()
        .atMost(Duration.ofSeconds(90))
        .until(
            () ->
                newcomer.follower().orElseThrow().phase() == Follower.Phase.FOLLOWING
                    && atProducersState(newcomer, producer));
  }

  @Test
  void aStartingNodeRemovesWhatKilledWritesAndRestoresAndAFinishedSyncLeft() throws Exception {
    Path dir = tmp.resolve("server");
    Path archives = java.nio.file.Files.createDirectories(dir.resolve("snapshots"));
    byte[] bytes = new byte[100_000];
    new Random(5).nextBytes(bytes);
    Path archive =
        java.nio.file.Files.write(
            archives.resolve(
                "snapshot-5-" + io.ferry.core.Hash.wrap(new byte[32]).toBase58() + ".tar.zst"),
            bytes);
    Path spool = java.nio.file.Files.write(archives.resolve(".snapshot-11.spool"), bytes);
    Path tar = java.nio.file.Files.write(archives.resolve(".snapshot-12.tmp"), bytes);
    Path restore = dir.resolve(".state.restore-" + java.util.UUID.randomUUID());
    java.nio.file.Files.createDirectories(restore);
    java.nio.file.Files.write(restore.resolve("000009.sst"), bytes);
    Path staging = dir.resolve("sync-staging");
    try (var finished = NodeStores.openStaging(staging)) {
      finished.apply(
          Optional.empty(),
          List.of(io.ferry.merkledb.KeyChange.put(Bytes.wrap(new byte[] {1}), Bytes.wrap(bytes))),
          io.ferry.core.Hash.wrap(new byte[32]),
          List.of());
      finished.clear();
    }

    start(settings(dir));

    assertThat(spool).doesNotExist();
    assertThat(tar).doesNotExist();
    assertThat(restore).doesNotExist();
    assertThat(staging).doesNotExist();
    assertThat(java.nio.file.Files.readAllBytes(archive)).isEqualTo(bytes);
  }

  @Test
  void aStartingNodeAdvertisesTheNewestArchivesItHas() throws Exception {
    Path dir = tmp.resolve("server");
    Path archives = java.nio.file.Files.createDirectories(dir.resolve("snapshots"));
    ArchiveName full = ArchiveName.full(20, hash(20));
    ArchiveName onFull = ArchiveName.incremental(20, 25, hash(25));
    for (ArchiveName n :
        List.of(
            ArchiveName.full(10, hash(10)),
            ArchiveName.incremental(10, 30, hash(30)), // higher, but on the older full
            full,
            ArchiveName.incremental(20, 22, hash(22)),
            onFull)) {
      java.nio.file.Files.write(archives.resolve(n.fileName()), new byte[] {1});
    }
    Node server = start(settings(dir));
    assertThat(server.latestSnapshots().orElseThrow().current())
        .contains(SnapshotHashes.of(Slot.of(full), Slot.of(onFull)));
  }

  private static io.ferry.core.Hash hash(int seed) {
    byte[] b = new byte[32];
    b[0] = (byte) seed;
    return io.ferry.core.Hash.wrap(b);
  }

  @Test
  void aFollowersStagingStoreLeavesFsyncsToTheSync() throws Exception {
    NodeSettings s = settings(tmp.resolve("follower"));
    s.trustRoot = "11".repeat(32);
    Node follower = start(s);
    // Staged proofs are not fsynced one by one; the sync fsyncs once before its build.
    assertThat(follower.staging())
        .hasValueSatisfying(st -> assertThat(((KvSyncStore) st).syncWrites()).isFalse());
  }

  @Test
  void headsSignedByAnotherKeyAreRefused() throws Exception {
    Node producer = producer(2_000);
    NodeKey stranger = NodeKey.generate();
    Node follower;
    try (HeadRefusals refusals = new HeadRefusals()) {
      follower = follower("misled", stranger.id().toString(), producer);
      // It hears the producer's heads and refuses them.
      await().atMost(Duration.ofSeconds(30)).until(() -> refusals.heard(producer.id()));
    }
    assertThat(follower.newestHead()).isEmpty();
    assertThat(follower.status().peers()).contains(producer.id().toString());
    assertThat(follower.follower().orElseThrow().phase()).isEqualTo(Follower.Phase.WAITING);
    assertThat(follower.store().root().isZero()).isTrue();
    assertThat(follower.health()).isEqualTo(Health.UNKNOWN);
    assertThat(producer.newestHead()).isPresent();
  }

  @Test
  void aRestartedFollowerIgnoresReplayedOldHeadsAndNeverGoesBack() throws Exception {
    Node producer = producer(2_000);
    Node old = follower("old", producer.id().toString(), producer);
    await().atMost(Duration.ofSeconds(60)).until(() -> atProducersState(old, producer));
    old.close();
    Revision oldState = storedRevision(old);
    Node follower = follower("follower", producer.id().toString(), producer);
    await()
        .atMost(Duration.ofSeconds(60))
        .until(
            () ->
                follower.store().height() > oldState.height() + 3
                    && atProducersState(follower, producer));
    follower.close();
    producer.close();
    Revision synced = storedRevision(follower);

    // After the restart its only peers are a server of the old state (which has no history from
    // the follower's root, so a catch-up to the old head would fall back to a full sync) and a
    // peer that replays the producer's real, correctly signed head of that old state.
    Node oldServer = start(settings(tmp.resolve("old")));
    NodeKey producerKey = KeyFile.loadOrCreate(producer.config().keyFile());
    SignedHead replayed = SignedHead.sign(producerKey, oldState.height(), oldState.root());
    AtomicInteger asked = new AtomicInteger();
    NettyTransport replayer =
        NettyTransport.start(
            NodeKey.generate(), new InetSocketAddress("127.0.0.1", 0), TransportConfig.DEFAULT);
    try {
      replayer.register(
          ProtocolId.GOSSIP,
          new ProtocolHandler() {
            @Override
            public void onRequest(NodeId from, ByteString payload, Responder responder) {
              // Every pull is answered with the producer's real head of the old state, in a value
              // the producer signed now: fresh to the gossip plane, old to the store.
              asked.incrementAndGet();
              SignedValue value =
                  SignedValue.sign(
                      producerKey,
                      GossipConfig.DEFAULT_NETWORK,
                      ValueKind.SIGNED_HEAD,
                      System.currentTimeMillis(),
                      Bytes.EMPTY,
                      Bytes.wrap(replayed.toProto().toByteArray()));
              responder.respond(
                  PullResponse.newBuilder().addValues(value.toProto()).build().toByteString());
            }
          });
      Node restarted =
          follower(
              "follower",
              producer.id().toString(),
              oldServer,
              replayer.address().withId(replayer.localId()));
      await().atMost(Duration.ofSeconds(30)).until(() -> asked.get() >= 10);
      assertThat(restarted.newestHead()).isEmpty();
      assertThat(restarted.follower().orElseThrow().phase()).isEqualTo(Follower.Phase.WAITING);
      assertThat(restarted.store().revision()).isEqualTo(synced);
    } finally {
      replayer.close();
    }
  }
}
