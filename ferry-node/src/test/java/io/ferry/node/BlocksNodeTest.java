package io.ferry.node;

import static org.assertj.core.api.Assertions.assertThat;
import static org.awaitility.Awaitility.await;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import io.ferry.blocks.cid.Cid;
import io.ferry.blocks.dataset.Manifest;
import io.ferry.blocks.store.BlockStore;
import io.ferry.merkledb.store.KvStore;
import io.ferry.merkledb.store.StoreIterator;
import io.ferry.merkledb.store.WriteBatch;
import io.ferry.net.peers.PeerManager;
import io.ferry.node.config.NodeSettings;
import java.io.IOException;
import java.net.URI;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.List;
import java.util.Random;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.TimeUnit;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;
import org.junit.jupiter.api.io.TempDir;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * The block exchange between whole nodes over loopback, through the data API on their HTTP ports: a
 * dataset put on one node is streamed by three others at once (one of them finding the holder by
 * its provider record alone), in ranges, and then served locally; a holder whose disk corrupted its
 * blocks is caught on arrival and the download still completes with the exact bytes.
 */
@Timeout(180)
class BlocksNodeTest {
  private static final Logger log = LoggerFactory.getLogger(BlocksNodeTest.class);
  private static final ObjectMapper JSON = new ObjectMapper();

  @TempDir Path tmp;
  private final List<Node> nodes = new ArrayList<>();
  private final HttpClient http =
      HttpClient.newBuilder()
          .version(HttpClient.Version.HTTP_1_1)
          .connectTimeout(Duration.ofSeconds(10))
          .build();

  @AfterEach
  void stop() {
    for (int i = nodes.size() - 1; i >= 0; i--) {
      nodes.get(i).close();
    }
  }

  private Node start(String name, Node... peers) {
    NodeSettings s = new NodeSettings();
    s.data = tmp.resolve(name).toString();
    s.p2p = "127.0.0.1:0";
    s.http = "127.0.0.1:0";
    s.headIntervalMs = 100L;
    s.snapshots.fullInterval = 0L;
    s.snapshots.incrementalInterval = 0L;
    s.peers = new ArrayList<>();
    for (Node p : peers) {
      s.peers.add(p.p2pAddress().toString());
    }
    Node n = Node.start(s.toConfig());
    nodes.add(n);
    return n;
  }

  private static URI uri(Node n, String path) {
    return URI.create(
        "http://127.0.0.1:" + n.httpAddress().orElseThrow().getPort() + "/api/v1/data" + path);
  }

  private String put(Node n, Path file) throws Exception {
    HttpResponse<String> r =
        http.send(
            HttpRequest.newBuilder(uri(n, "?blockSize=16384"))
                .header("Content-Type", "application/x-test")
                .header("Content-Disposition", "attachment; filename=\"data set.bin\"")
                .POST(HttpRequest.BodyPublishers.ofFile(file))
                .build(),
            HttpResponse.BodyHandlers.ofString());
    assertThat(r.statusCode()).as(r.body()).isEqualTo(200);
    assertThat(r.headers().firstValue("content-type"))
        .hasValueSatisfying(t -> t.startsWith("text/plain"));
    return r.body();
  }

  private HttpResponse<Path> get(Node n, String path, Path out, String range) throws Exception {
    HttpRequest.Builder b = HttpRequest.newBuilder(uri(n, path));
    if (range != null) {
      b.header("Range", range);
    }
    return http.send(b.build(), HttpResponse.BodyHandlers.ofFile(out));
  }

  private static byte[] randomFile(Path file, int size, long seed) throws IOException {
    byte[] data = new byte[size];
    new Random(seed).nextBytes(data);
    Files.write(file, data);
    return data;
  }

  /** {@code cmp} when it is on PATH (as the issue asks), else the JDK's byte comparison. */
  private static void assertSameBytes(Path a, Path b) throws Exception {
    Path cmp = whichCmp();
    if (cmp != null) {
      Process p = new ProcessBuilder(cmp.toString(), a.toString(), b.toString()).start();
      assertThat(p.waitFor(60, TimeUnit.SECONDS)).isTrue();
      assertThat(p.exitValue())
          .as("cmp %s %s: %s", a, b, new String(p.getInputStream().readAllBytes()))
          .isZero();
    } else {
      log.info("cmp is not on PATH: comparing with Files.mismatch");
      assertThat(Files.mismatch(a, b)).isEqualTo(-1L);
    }
  }

  private static Path whichCmp() {
    for (String dir : System.getenv().getOrDefault("PATH", "").split(java.io.File.pathSeparator)) {
      Path p = Path.of(dir, "cmp");
      if (Files.isExecutable(p)) {
        return p;
      }
    }
    return null;
  }

  @Test
  void putOnOneNodeIsStreamedByThreeOthersAtOnceInRangesAndThenServedLocally() throws Exception {
    Node holder = start("holder");
    Node a = start("a", holder);
    Node b = start("b", holder);
    Node c = start("c", a); // knows no holder: it finds one by provider records
    Path file = tmp.resolve("data.bin");
    byte[] data = randomFile(file, (3 << 20) + 12_345, 1);
    String cid = put(holder, file);
    Cid.parse(cid);

    List<Node> downloaders = List.of(a, b, c);
    List<CompletableFuture<HttpResponse<Path>>> fetches = new ArrayList<>();
    for (Node d : downloaders) {
      Path out = tmp.resolve("out-" + downloaders.indexOf(d));
      fetches.add(
          http.sendAsync(
              HttpRequest.newBuilder(uri(d, "/" + cid + "/network/stream")).build(),
              HttpResponse.BodyHandlers.ofFile(out)));
    }
    for (CompletableFuture<HttpResponse<Path>> f : fetches) {
      HttpResponse<Path> r = f.get(120, TimeUnit.SECONDS);
      assertThat(r.statusCode()).isEqualTo(200);
      assertThat(r.headers().firstValueAsLong("content-length")).hasValue(data.length);
      assertThat(r.headers().firstValue("content-type")).hasValue("application/x-test");
      assertThat(r.headers().firstValue("content-disposition"))
          .hasValue("attachment; filename=\"data_set.bin\"");
      assertSameBytes(file, r.body());
    }

    // Ranges: inside a block and across several, a suffix, and one past the end.
    HttpResponse<Path> mid =
        get(a, "/" + cid + "/network/stream", tmp.resolve("r1"), "bytes=100000-300000");
    assertThat(mid.statusCode()).isEqualTo(206);
    assertThat(mid.headers().firstValue("content-range"))
        .hasValue("bytes 100000-300000/" + data.length);
    assertThat(Files.readAllBytes(mid.body())).isEqualTo(Arrays.copyOfRange(data, 100000, 300001));
    HttpResponse<Path> tail = get(c, "/" + cid + "/network/stream", tmp.resolve("r2"), "bytes=-10");
    assertThat(tail.statusCode()).isEqualTo(206);
    assertThat(Files.readAllBytes(tail.body()))
        .isEqualTo(Arrays.copyOfRange(data, data.length - 10, data.length));
    HttpResponse<Path> past =
        get(b, "/" + cid + "/network/stream", tmp.resolve("r3"), "bytes=" + data.length + "-");
    assertThat(past.statusCode()).isEqualTo(416);

    // HEAD describes the content without sending it.
    HttpResponse<Void> head =
        http.send(
            HttpRequest.newBuilder(uri(b, "/" + cid + "/network/stream"))
                .method("HEAD", HttpRequest.BodyPublishers.noBody())
                .build(),
            HttpResponse.BodyHandlers.discarding());
    assertThat(head.statusCode()).isEqualTo(200);
    assertThat(head.headers().firstValueAsLong("content-length")).hasValue(data.length);

    // Every downloader now holds it: the local read serves it without the network.
    HttpResponse<Path> local = get(c, "/" + cid, tmp.resolve("local"), null);
    assertThat(local.statusCode()).isEqualTo(200);
    assertSameBytes(file, local.body());

    HttpResponse<String> manifest =
        http.send(
            HttpRequest.newBuilder(uri(c, "/" + cid + "/network/manifest")).build(),
            HttpResponse.BodyHandlers.ofString());
    assertThat(manifest.statusCode()).isEqualTo(200);
    JsonNode m = JSON.readTree(manifest.body());
    assertThat(m.path("cid").asText()).isEqualTo(cid);
    assertThat(m.path("datasetSize").asLong()).isEqualTo(data.length);
    assertThat(m.path("blockSize").asInt()).isEqualTo(16384);
    assertThat(m.path("filename").asText()).isEqualTo("data set.bin");
    assertThat(m.path("mimetype").asText()).isEqualTo("application/x-test");
    assertThat(m.path("protected").asBoolean()).isFalse();

    JsonNode list =
        JSON.readTree(
            http.send(
                    HttpRequest.newBuilder(uri(holder, "")).build(),
                    HttpResponse.BodyHandlers.ofString())
                .body());
    assertThat(list.path("content"))
        .anySatisfy(
            d -> {
              assertThat(d.path("cid").asText()).isEqualTo(cid);
              assertThat(d.path("pinned").asBoolean()).isTrue();
              assertThat(d.path("complete").asBoolean()).isTrue();
            });

    // Status and metrics show the exchange.
    NodeStatus.BlocksStatus st = holder.status().blocks();
    assertThat(st.bytesSent()).isGreaterThanOrEqualTo(data.length);
    assertThat(st.datasets()).anySatisfy(d -> assertThat(d.cid()).isEqualTo(cid));
    assertThat(c.status().blocks().bytesReceived()).isGreaterThan(0);
  }

  @Test
  void anErasureCodedUploadIsStreamedByAnotherNodeAsTheOriginalBytes() throws Exception {
    Node holder = start("ec-holder");
    Node reader = start("ec-reader", holder);
    Path file = tmp.resolve("ec.bin");
    byte[] data = randomFile(file, 300_000, 9);
    HttpResponse<String> put =
        http.send(
            HttpRequest.newBuilder(uri(holder, "?blockSize=8192&ec=4,2"))
                .POST(HttpRequest.BodyPublishers.ofFile(file))
                .build(),
            HttpResponse.BodyHandlers.ofString());
    assertThat(put.statusCode()).as(put.body()).isEqualTo(200);
    String cid = put.body();
    JsonNode m =
        JSON.readTree(
            http.send(
                    HttpRequest.newBuilder(uri(reader, "/" + cid + "/network/manifest")).build(),
                    HttpResponse.BodyHandlers.ofString())
                .body());
    assertThat(m.path("protected").asBoolean()).isTrue();
    assertThat(m.path("ecK").asInt()).isEqualTo(4);
    assertThat(m.path("ecM").asInt()).isEqualTo(2);
    assertThat(m.path("originalSize").asLong()).isEqualTo(data.length);
    HttpResponse<Path> r = get(reader, "/" + cid + "/network/stream", tmp.resolve("ec-out"), null);
    assertThat(r.statusCode()).isEqualTo(200);
    assertThat(r.headers().firstValueAsLong("content-length")).hasValue(data.length);
    assertSameBytes(file, r.body());
  }

  @Test
  void aCorruptBlockOnAHoldersDiskIsCaughtOnArrivalAndTheDownloadCompletes() throws Exception {
    Node honest = start("honest");
    Node rotten = start("rotten");
    Path file = tmp.resolve("data.bin");
    randomFile(file, 2 << 20, 2);
    String cid = put(honest, file);
    assertThat(put(rotten, file)).isEqualTo(cid); // the same bytes, name and type: the same CID

    // Bit rot: every block the rotten holder stores has one bit flipped, its length unchanged.
    KvStore kv = rotten.blocksKv();
    WriteBatch rot = new WriteBatch();
    int blocks = 0;
    try (StoreIterator it = kv.scan(BlockStore.BLOCKS, null, null)) {
      while (it.next()) {
        byte[] v = it.value().clone();
        v[v.length / 2] ^= 0x10;
        rot.put(BlockStore.BLOCKS, it.key(), v);
        blocks++;
      }
    }
    assertThat(blocks).isGreaterThan(1);
    kv.write(rot);

    Node fresh = start("fresh", rotten, honest);
    HttpResponse<Path> r = get(fresh, "/" + cid + "/network/stream", tmp.resolve("out"), null);
    assertThat(r.statusCode()).isEqualTo(200);
    assertSameBytes(file, r.body());
    PeerManager verdicts = fresh.transport().peerManager();
    await()
        .atMost(Duration.ofSeconds(30))
        .until(() -> verdicts.isBanned(rotten.id()) || verdicts.standing(rotten.id()).score() < 0);
    assertThat(verdicts.isBanned(honest.id())).isFalse();
    assertThat(verdicts.standing(honest.id()).score()).isGreaterThanOrEqualTo(0);
  }

  @Test
  void theDataApiRefusesBadCidsNonManifestsUnknownDatasetsAndWhatExceedsTheQuota()
      throws Exception {
    NodeSettings s = new NodeSettings();
    s.data = tmp.resolve("small").toString();
    s.p2p = "127.0.0.1:0";
    s.http = "127.0.0.1:0";
    s.snapshots.fullInterval = 0L;
    s.blocksQuota = "256KiB";
    Node n = Node.start(s.toConfig());
    nodes.add(n);

    HttpResponse<String> bad = text(n, "/zNotACid/network/stream");
    assertThat(bad.statusCode()).isEqualTo(400);
    assertThat(bad.body()).startsWith("bad CID");

    Path file = tmp.resolve("small.bin");
    randomFile(file, 100_000, 3);
    String cid = put(n, file);
    Manifest m = n.blocks().store().manifest(Cid.parse(cid)).orElseThrow();
    HttpResponse<String> tree = text(n, "/" + m.tree() + "/network/stream");
    assertThat(tree.statusCode()).isEqualTo(400);
    assertThat(tree.body()).contains("not a dataset's manifest");

    Path other = tmp.resolve("other.bin");
    randomFile(other, 50_000, 4);
    String unknown =
        new Manifest(m.tree(), 50_000, 16384, "x", "y", java.util.Optional.empty())
            .cid()
            .toString();
    assertThat(text(n, "/" + unknown).statusCode()).isEqualTo(404);
    assertThat(text(n, "/" + cid + "/nowhere").statusCode()).isEqualTo(404);

    Path big = tmp.resolve("big.bin");
    randomFile(big, 1 << 20, 5);
    HttpResponse<String> tooBig =
        http.send(
            HttpRequest.newBuilder(uri(n, "")).POST(HttpRequest.BodyPublishers.ofFile(big)).build(),
            HttpResponse.BodyHandlers.ofString());
    assertThat(tooBig.statusCode()).isEqualTo(413);
    // Without a Content-Length the store finds out itself.
    HttpResponse<String> streamed =
        http.send(
            HttpRequest.newBuilder(uri(n, ""))
                .POST(HttpRequest.BodyPublishers.ofInputStream(() -> newInput(big)))
                .build(),
            HttpResponse.BodyHandlers.ofString());
    assertThat(streamed.statusCode()).isEqualTo(413);
    HttpResponse<String> badParam =
        http.send(
            HttpRequest.newBuilder(uri(n, "?blockSize=0"))
                .POST(HttpRequest.BodyPublishers.ofString("x"))
                .build(),
            HttpResponse.BodyHandlers.ofString());
    assertThat(badParam.statusCode()).isEqualTo(400);
    HttpResponse<String> wrongMethod =
        http.send(
            HttpRequest.newBuilder(uri(n, "/" + cid)).DELETE().build(),
            HttpResponse.BodyHandlers.ofString());
    assertThat(wrongMethod.statusCode()).isEqualTo(405);
    // What was refused left the dataset that fits, and nothing else.
    assertThat(n.blocks().store().datasets()).hasSize(1);
  }

  @Test
  void snapshotArchivesArePublishedAsDatasetsAndUnpinnedWhenPruned() throws Exception {
    NodeSettings s = new NodeSettings();
    s.data = tmp.resolve("producer").toString();
    s.p2p = "127.0.0.1:0";
    s.http = "127.0.0.1:0";
    s.produce = true;
    s.producer.updatesPerCommit = 0; // only the commits below
    s.snapshots.fullInterval = 3L;
    s.snapshots.incrementalInterval = 0L;
    s.snapshots.keepFull = 2;
    Node producer = Node.start(s.toConfig());
    nodes.add(producer);
    for (int h = 1; h <= 3; h++) {
      producer.commit(batch(h));
    }
    NodeStatus.SnapshotStatus first = awaitPublished(producer, 3);
    Node other = start("other", producer);
    HttpResponse<Path> r =
        get(other, "/" + first.datasetCid() + "/network/stream", tmp.resolve("archive"), null);
    assertThat(r.statusCode()).isEqualTo(200);
    assertThat(r.headers().firstValue("content-disposition"))
        .hasValue("attachment; filename=\"" + first.name() + "\"");
    assertSameBytes(tmp.resolve("producer").resolve("snapshots").resolve(first.name()), r.body());

    // Two more full archives: retention deletes the first, and its dataset goes with it.
    for (int h = 4; h <= 9; h++) {
      producer.commit(batch(h));
      if (h % 3 == 0) {
        awaitPublished(producer, h);
      }
    }
    Cid firstCid = Cid.parse(first.datasetCid());
    await()
        .atMost(Duration.ofSeconds(30))
        .until(() -> producer.blocks().store().manifest(firstCid).isEmpty());
    assertThat(producer.blocks().store().isPinned(firstCid)).isFalse();
    assertThat(producer.status().snapshots()).noneMatch(a -> a.name().equals(first.name()));
  }

  private static io.ferry.merkledb.Batch batch(int commit) {
    io.ferry.merkledb.Batch b = new io.ferry.merkledb.Batch();
    for (int i = 0; i < 200; i++) {
      b.put(
          io.ferry.core.Bytes.fromHex(String.format("%08x%04x", commit, i)),
          io.ferry.core.Bytes.fromHex("ab".repeat(40)));
    }
    return b;
  }

  /** The archive at {@code height} once the node shows it with its dataset's CID. */
  private static NodeStatus.SnapshotStatus awaitPublished(Node n, long height) {
    NodeStatus.SnapshotStatus[] found = {null};
    await()
        .atMost(Duration.ofSeconds(60))
        .until(
            () -> {
              for (NodeStatus.SnapshotStatus a : n.status().snapshots()) {
                if (a.height() == height && a.datasetCid() != null) {
                  found[0] = a;
                  return true;
                }
              }
              return false;
            });
    return found[0];
  }

  private static java.io.InputStream newInput(Path p) {
    try {
      return Files.newInputStream(p);
    } catch (IOException e) {
      throw new java.io.UncheckedIOException(e);
    }
  }

  private HttpResponse<String> text(Node n, String path) throws Exception {
    return http.send(
        HttpRequest.newBuilder(uri(n, path)).build(),
        HttpResponse.BodyHandlers.ofString(StandardCharsets.UTF_8));
  }
}
