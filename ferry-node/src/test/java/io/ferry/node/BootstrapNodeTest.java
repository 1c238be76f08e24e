package io.ferry.node;

import static org.assertj.core.api.Assertions.assertThat;
import static org.awaitility.Awaitility.await;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import io.ferry.core.Bytes;
import io.ferry.core.archive.SnapshotHashes;
import io.ferry.core.identity.NodeKey;
import io.ferry.merkledb.KeyValue;
import io.ferry.merkledb.MerkleDB;
import io.ferry.net.PeerAddress;
import io.ferry.node.bootstrap.Bootstrap;
import io.ferry.node.config.NodeSettings;
import io.ferry.node.follow.Follower;
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
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;
import org.junit.jupiter.api.io.TempDir;

/**
 * Real nodes on loopback: an empty node chooses a snapshot from gossip, downloads it from every
 * advertiser at once, restores it and follows; or, when no snapshot has its validators' votes,
 * proof-syncs instead.
 */
@Timeout(180)
class BootstrapNodeTest {
  @TempDir Path tmp;
  private final List<Node> nodes = new ArrayList<>();

  @AfterEach
  void stop() {
    for (int i = nodes.size() - 1; i >= 0; i--) {
      nodes.get(i).close();
    }
  }

  private NodeSettings settings(String name) {
    NodeSettings s = new NodeSettings();
    s.data = tmp.resolve(name).toString();
    s.p2p = "127.0.0.1:0";
    s.http = "127.0.0.1:0";
    s.headIntervalMs = 100L;
    s.snapshots.fullInterval = 4L;
    s.snapshots.incrementalInterval = 2L;
    s.snapshots.chunkSize = CHUNK_BYTES;
    return s;
  }

  private Node start(NodeSettings s) {
    Node n = Node.start(s.toConfig());
    nodes.add(n);
    return n;
  }

  /** A producer over a generated state of 20,000 keys, committing every 500 ms. */
  private Node producer() {
    Path dir = tmp.resolve("producer");
    try (MerkleDB db = NodeStores.open(dir.resolve("state"), null)) {
      List<KeyValue> kvs = new ArrayList<>();
      Random r = new Random(1);
      for (int i = 0; i < 20_000; i++) {
        byte[] k = new byte[32];
        byte[] v = new byte[100];
        r.nextBytes(k);
        r.nextBytes(v);
        kvs.add(new KeyValue(Bytes.wrap(k), Bytes.wrap(v)));
      }
      kvs.sort((a, b) -> a.key().compareTo(b.key()));
      db.bulkLoad(kvs.iterator());
    }
    NodeSettings s = settings("producer");
    s.produce = true;
    s.producer.updatesPerCommit = 100;
    s.producer.commitIntervalMs = 500L;
    return start(s);
  }

  private Node follower(String name, Node producer, Node... peers) {
    NodeSettings s = settings(name);
    s.trustProducer = producer.id().toString();
    s.peers = new ArrayList<>();
    for (Node p : peers) {
      s.peers.add(p.p2pAddress().toString());
    }
    return start(s);
  }

  private static Optional<SnapshotHashes> advertised(Node n) {
    return n.latestSnapshots().orElseThrow().current();
  }

  private static JsonNode status(Node n) throws Exception {
    URI uri = URI.create("http://127.0.0.1:" + n.httpAddress().orElseThrow().getPort() + "/status");
    try (HttpClient http = HttpClient.newHttpClient()) {
      HttpResponse<String> r =
          http.send(HttpRequest.newBuilder(uri).build(), HttpResponse.BodyHandlers.ofString());
      assertThat(r.statusCode()).isEqualTo(200);
      return new ObjectMapper().readTree(r.body());
    }
  }

  @Test
  void anEmptyNodeBootstrapsFromEveryAdvertiserOfTheProducersSnapshotThenFollows()
      throws Exception {
    bootstrapsThenFollows("http");
  }

  @Test
  void anEmptyNodeStateSyncsTheProducersSnapshotByChunksFromSeveralPeersThenFollows()
      throws Exception {
    bootstrapsThenFollows("chunks");
  }

  /** Small chunks, so a snapshot of 20,000 keys has enough of them to spread over peers. */
  private static final int CHUNK_BYTES = 64 << 10;

  private void bootstrapsThenFollows(String method) throws Exception {
    Node producer = producer();
    List<Node> followers = new ArrayList<>();
    for (int i = 1; i <= 3; i++) {
      followers.add(follower("follower" + i, producer, producer));
    }
    await()
        .atMost(Duration.ofSeconds(90))
        .until(
            () ->
                followers.stream()
                    .allMatch(f -> f.follower().orElseThrow().phase() == Follower.Phase.FOLLOWING));
    // Following every commit, each follower makes the archives the producer makes, byte for byte:
    // a full one every 4 commits and an incremental every 2. Two rounds of them, then the state
    // stands still.
    long from = producer.store().height();
    // Stopped just after an odd height (no archive is due there), so the archives settle.
    await()
        .atMost(Duration.ofSeconds(90))
        .until(() -> producer.store().height() >= from + 9 && producer.store().height() % 2 == 1);
    producer.producer().orElseThrow().close();
    long height = producer.store().height();
    await()
        .atMost(Duration.ofSeconds(60))
        .during(Duration.ofSeconds(1)) // archives being written have landed
        .until(
            () ->
                followers.stream().allMatch(f -> f.store().height() == height)
                    && advertised(producer).isPresent()
                    && followers.stream()
                            .filter(f -> advertised(f).equals(advertised(producer)))
                            .count()
                        >= 2);
    SnapshotHashes offered = advertised(producer).orElseThrow();

    // The newcomer knows one follower's address as its entrypoint, and trusts the producer.
    NodeSettings ns = settings("newcomer");
    ns.trustProducer = producer.id().toString();
    ns.bootstrap = method;
    PeerAddress entry = followers.get(0).p2pAddress();
    ns.entrypoints = List.of(entry.host() + ":" + entry.port());
    Node newcomer = start(ns);
    Bootstrap bootstrap = newcomer.bootstrap().orElseThrow();
    Bootstrap.Outcome outcome = bootstrap.done().get(90, java.util.concurrent.TimeUnit.SECONDS);
    assertThat(outcome.restored()).as(outcome.reason()).isTrue();
    await()
        .atMost(Duration.ofSeconds(60))
        .until(
            () ->
                newcomer.follower().orElseThrow().phase() == Follower.Phase.FOLLOWING
                    && newcomer.store().height() == height);
    assertThat(newcomer.store().root()).isEqualTo(producer.store().root());
    // No proof sync of the whole state: the snapshot was the state.
    assertThat(newcomer.follower().orElseThrow().syncStats()).isEmpty();
    boolean chunks = method.equals("chunks");
    // It now serves and advertises the archives it restored from: by chunks the full one only
    // (incrementals are not state-synced; the change proofs after it cover them).
    SnapshotHashes kept = chunks ? SnapshotHashes.of(offered.full()) : offered;
    assertThat(advertised(newcomer)).contains(kept);

    Bootstrap.Report report = bootstrap.report();
    assertThat(report.phase()).isEqualTo(Bootstrap.Phase.DONE);
    assertThat(report.servers().stream().filter(s -> s.bytes() > 0).count())
        .as("servers that sent bytes: %s", report.servers())
        .isGreaterThan(1);

    JsonNode b = status(newcomer).path("bootstrap");
    assertThat(b.path("phase").asText()).isEqualTo("done");
    assertThat(b.path("chosen").path("full").path("height").asLong())
        .isEqualTo(offered.full().height());
    assertThat(b.path("chosen").path("full").path("hash").asText())
        .isEqualTo(offered.full().hash().toHex());
    assertThat(b.path("chosen").path("incremental").path("height").asLong())
        .isEqualTo(offered.newestIncremental().map(SnapshotHashes.Slot::height).orElse(0L));
    List<String> advertisers = new ArrayList<>();
    b.path("advertisers").forEach(a -> advertisers.add(a.asText()));
    assertThat(advertisers).contains(producer.id().toString()).hasSizeGreaterThanOrEqualTo(3);
    assertThat(b.path("bytes").asLong()).isPositive();
    // Restored at the snapshot's height, then caught up to the head with change proofs.
    long restoredAt =
        chunks
            ? offered.full().height()
            : offered
                .newestIncremental()
                .map(SnapshotHashes.Slot::height)
                .orElse(offered.full().height());
    assertThat(restoredAt).isLessThan(height);
    assertThat(b.path("reason").asText()).startsWith("restored height " + restoredAt + " root ");
    if (chunks) {
      assertThat(b.path("reason").asText()).contains("by state sync");
    }
  }

  @Test
  void aSnapshotOnlyNonValidatorsAdvertiseIsRejectedAndTheNodeProofSyncs() throws Exception {
    Node producer = producer();
    Node server = follower("follower", producer, producer);
    await()
        .atMost(Duration.ofSeconds(60))
        .until(() -> advertised(producer).isPresent() && advertised(server).isPresent());

    // Two known validators that advertise nothing (they are offline); both must agree.
    NodeSettings s = settings("newcomer");
    s.trustProducer = producer.id().toString();
    s.peers = List.of(server.p2pAddress().toString());
    s.knownValidators =
        List.of(NodeKey.generate().id().toString(), NodeKey.generate().id().toString());
    s.minAgreement = 2;
    s.bootstrapWait = 2L;
    Node newcomer = start(s);

    Bootstrap.Outcome outcome =
        newcomer.bootstrap().orElseThrow().done().get(60, java.util.concurrent.TimeUnit.SECONDS);
    assertThat(outcome.restored()).isFalse();
    assertThat(outcome.reason())
        .startsWith("no snapshot qualified within 2 s")
        .contains("not advertised by a known validator");

    // It proof-syncs and follows instead.
    await()
        .atMost(Duration.ofSeconds(90))
        .until(
            () ->
                newcomer.follower().orElseThrow().phase() == Follower.Phase.FOLLOWING
                    && producer.store().revisions().contains(newcomer.store().revision()));
    assertThat(newcomer.follower().orElseThrow().syncStats()).isPresent();

    JsonNode b = status(newcomer).path("bootstrap");
    assertThat(b.path("phase").asText()).isEqualTo("fallback");
    assertThat(b.has("chosen")).isFalse();
    assertThat(b.path("rejected").size()).isPositive();
    b.path("rejected")
        .forEach(
            r ->
                assertThat(r.path("reason").asText())
                    .isEqualTo("not advertised by a known validator"));
  }
}
