package io.ferry.node;

import static org.assertj.core.api.Assertions.assertThat;
import static org.awaitility.Awaitility.await;
import static org.junit.jupiter.api.Assumptions.assumeTrue;

import com.fasterxml.jackson.databind.ObjectMapper;
import io.ferry.http.Health;
import io.ferry.http.HttpMetrics;
import io.ferry.http.HttpServerConfig;
import io.ferry.http.SnapshotHttpServer;
import io.ferry.http.StatusSource;
import io.ferry.node.config.NodeSettings;
import io.ferry.node.follow.Follower;
import java.io.IOException;
import java.net.InetSocketAddress;
import java.net.URI;
import java.nio.ByteBuffer;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.StandardCopyOption;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.Optional;
import java.util.concurrent.atomic.AtomicLong;
import java.util.regex.Matcher;
import java.util.regex.Pattern;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;
import org.junit.jupiter.api.io.TempDir;

/**
 * The status page in a real headless Chromium: its scripts run, fetch {@code /status} and draw it.
 * Skipped where no Chromium is installed ({@code apt-get install chromium}). The screenshot of a
 * busy node is kept at {@code target/status-page.png} to look at.
 */
@Timeout(300)
class StatusPageBrowserTest {
  private static final ObjectMapper JSON = new ObjectMapper();
  private static final Pattern HEIGHT =
      Pattern.compile("<div[^>]*\\bid=\"height\"[^>]*\\bdata-value=\"(\\d+)\"");

  @TempDir Path tmp;
  private Chromium chromium;
  private final List<AutoCloseable> closers = new ArrayList<>();

  @BeforeEach
  void findChromium() {
    Optional<Chromium> found = Chromium.find(tmp);
    assumeTrue(found.isPresent(), "no chromium on PATH (apt-get install chromium)");
    chromium = found.get();
  }

  @AfterEach
  void stop() throws Exception {
    for (int i = closers.size() - 1; i >= 0; i--) {
      closers.get(i).close();
    }
  }

  @Test
  void theRenderedPageShowsARealFollowersHeightAndPeers() throws Exception {
    Node producer = start(settings("producer", s -> s.produce = true));
    Node follower =
        start(
            settings(
                "follower",
                s -> {
                  s.trustProducer = producer.id().toString();
                  s.peers = List.of(producer.p2pAddress().toString());
                }));
    await()
        .atMost(Duration.ofSeconds(60))
        .until(
            () ->
                follower.follower().orElseThrow().phase() == Follower.Phase.FOLLOWING
                    && follower.store().height() > 0);

    // Gossip brings the producer's contact info into the follower's cluster list.
    await()
        .atMost(Duration.ofSeconds(30))
        .until(
            () ->
                follower.status().cluster().stream()
                    .anyMatch(c -> c.id().equals(producer.id().toString())));

    long before = follower.store().height();
    String dom = chromium.dumpDom(root(follower.httpAddress().orElseThrow()), 3000);
    long after = follower.store().height();

    Matcher m = HEIGHT.matcher(dom);
    assertThat(m.find()).as("the height element was filled in: %s", dom).isTrue();
    assertThat(Long.parseLong(m.group(1))).isBetween(before, after);
    assertThat(dom).contains(follower.id().toString()).contains(producer.id().toString());
    assertThat(dom).containsPattern("id=\"phase\">(following|catching up)<");
    assertThat(dom).doesNotContain("no cluster data yet");
    assertThat(dom).contains("<code title=\"" + producer.id() + "\">");
    assertThat(dom).doesNotContain("Cannot reach the node");
  }

  @Test
  void aScreenshotOfABusyNodeIsAPngOfTheWindowsSize() throws Exception {
    ScriptedStatus status = new ScriptedStatus();
    InetSocketAddress http = serve(status);

    Path png = chromium.screenshot(root(http), tmp.resolve("page.png"), 8000);

    byte[] bytes = Files.readAllBytes(png);
    assertThat(bytes).startsWith(0x89, 'P', 'N', 'G', '\r', '\n', 0x1a, '\n');
    ByteBuffer ihdr = ByteBuffer.wrap(bytes, 16, 8);
    assertThat(ihdr.getInt()).isEqualTo(1200);
    assertThat(ihdr.getInt()).isEqualTo(900);
    assertThat(bytes.length).isBetween(20_000, 10_000_000); // a page with text and plots, not blank
    assertThat(status.calls.get()).as("the page polled /status").isGreaterThan(2);
    Files.createDirectories(Path.of("target"));
    Files.copy(png, Path.of("target", "status-page.png"), StandardCopyOption.REPLACE_EXISTING);
  }

  @Test
  void clusterEntriesAreRenderedAsTextWithTheirSnapshots() throws Exception {
    ScriptedStatus status = new ScriptedStatus();
    String dom = chromium.dumpDom(root(serve(status)), 2500);

    assertThat(dom).contains("Snapshots in the cluster").contains("3 nodes");
    assertThat(dom).contains("4Lgh2Tq9Wx").contains("devnet").doesNotContain("no cluster data yet");
    // A peer's text is shown as text: the markup it sent never becomes an element.
    assertThat(dom).contains(">&lt;img src=x").doesNotContain("<img src=\"x\"");
    assertThat(dom).contains("&lt;b&gt;0.0.1&lt;/b&gt;").doesNotContain("<b>0.0.1</b>");
    assertThat(dom).contains("&lt;script&gt;alert(2)").doesNotContain("<script>alert(2)");
    Matcher m = HEIGHT.matcher(dom);
    assertThat(m.find()).isTrue();
    assertThat(Long.parseLong(m.group(1))).isBetween(ScriptedStatus.FIRST, status.lastHeight());
  }

  @Test
  void aNodeThatStopsAnsweringIsShownAsUnreachable() throws Exception {
    AtomicLong calls = new AtomicLong();
    InetSocketAddress http =
        serve(() -> calls.incrementAndGet() <= 1 ? new ScriptedStatus().get() : null);

    String dom = chromium.dumpDom(root(http), 3000);

    assertThat(calls.get()).isGreaterThan(1);
    assertThat(dom).contains("Cannot reach the node since").contains("HTTP 503");
    assertThat(dom).contains("class=\"stale\"").contains("unreachable");
    // The last status it gave stays on the page.
    assertThat(dom).containsPattern("id=\"height\"[^>]*data-value=\"" + ScriptedStatus.FIRST);
  }

  // ------------------------------------------------------------------ fixtures

  private static URI root(InetSocketAddress http) {
    return URI.create("http://127.0.0.1:" + http.getPort() + "/");
  }

  /** The node's page and a scripted /status on loopback. */
  private InetSocketAddress serve(StatusSource status) throws IOException {
    HttpServerConfig config =
        HttpServerConfig.defaults(Files.createDirectories(tmp.resolve("archives")))
            .withBind(new InetSocketAddress("127.0.0.1", 0))
            .withIoThreads(1);
    SnapshotHttpServer server =
        new SnapshotHttpServer(
            config, () -> Health.OK, status, Node.page(), HttpMetrics.standalone());
    closers.add(server);
    return server.start();
  }

  private NodeSettings settings(String name, java.util.function.Consumer<NodeSettings> tweak) {
    NodeSettings s = new NodeSettings();
    s.data = tmp.resolve(name).toString();
    s.p2p = "127.0.0.1:0";
    s.http = "127.0.0.1:0";
    s.headIntervalMs = 100L;
    s.producer.updatesPerCommit = 20;
    s.producer.commitIntervalMs = 100L;
    tweak.accept(s);
    return s;
  }

  private Node start(NodeSettings s) {
    Node n = Node.start(s.toConfig());
    closers.add(n);
    return n;
  }

  /**
   * A follower mid-sync in a cluster of three, as the gossip will describe it: each call is one
   * second later, with three more commits and a few MiB more moved.
   */
  private static final class ScriptedStatus implements StatusSource {
    static final long FIRST = 1_204_311;
    static final String HASH_A = "0b6e1f9c2d4a7e8b3c5d9f1a2e4b6c8d0f2a4c6e8b1d3f5a7c9e0b2d4f6a8c0e";
    static final String HASH_B = "5f3a9c1e7b2d4f6a8c0e2b4d6f8a1c3e5b7d9f0a2c4e6b8d1f3a5c7e9b0d2f4a";
    static final String HASH_C = "c2e4a6b8d0f1a3c5e7b9d2f4a6c8e0b1d3f5a7c9e2b4d6f8a0c1e3b5d7f9a2c4";
    final AtomicLong calls = new AtomicLong();

    long lastHeight() {
      return FIRST + 3 * Math.max(0, calls.get() - 1);
    }

    @Override
    public String get() {
      long n = calls.getAndIncrement();
      long height = FIRST + 3 * n;
      long in = 0;
      long out = 0;
      for (long k = 0; k < n; k++) { // counters only grow: sums of per-second rates
        double wave = 1 + 0.6 * Math.sin(k / 1.5);
        in += (long) (6e6 * wave);
        out += (long) (1.5e6 * (2 - wave));
      }
      NodeStatus s =
          new NodeStatus(
              "9xYzKq3mV7cT1bN4wR8pL2sD6fH5jG0aE3uI7oP9kM2",
              "follower",
              "syncing",
              height,
              "5c1e0f9a7b3d2c4e6f8a0b1c2d3e4f5a6b7c8d9e0f1a2b3c4d5e6f7a8b9c0d1e",
              List.of(),
              new NodeStatus.HeadStatus(
                  height + 18,
                  "77a0c4d2e6f8a0b1c2d3e4f5a6b7c8d9e0f1a2b3c4d5e6f7a8b9c0d1e2f3a4b5",
                  "2bQmVx8wN3cR7tY1uI5oP9aS2dF6gH4jK8lZ3xC7vB1"),
              List.of(
                  "2bQmVx8wN3cR7tY1uI5oP9aS2dF6gH4jK8lZ3xC7vB1",
                  "4Lgh2Tq9Wx5Ey8Rb1Nc6Vm3Zk7Jf0Hd4Gs2Pa9Lu5Oi"),
              new NodeStatus.SyncStatus(
                  410_000 + 9_000 * n,
                  52_000_000 + 1_150_000 * n,
                  480 + 11 * n,
                  3,
                  0.41 + n * 0.008,
                  2,
                  1,
                  0),
              List.of(
                  new NodeStatus.SnapshotStatus(
                      "snapshot-1204200-7GsLmPq8xVbW3zYkR2nJcT5dFhA9uE4sQ1wXyZpN6mK.tar.zst",
                      "full",
                      1_204_200,
                      133_102_133,
                      "zdj7WhuEjrB52m1BisYCtmjH1hSKa7yZ3jEZ9JcXaFRD51wVz"),
                  new NodeStatus.SnapshotStatus(
                      "incremental-snapshot-1204200-1204300-3kTm9QxWb2Ye7Rc5Nv8Zd1Fg4Hj6Lp0Sa3Ko9Mu2Xi.tar.zst",
                      "incremental",
                      1_204_300,
                      2_811_004,
                      null)),
              "9xYzKq3mV7cT1bN4wR8pL2sD6fH5jG0aE3uI7oP9kM2@127.0.0.1:8910",
              "127.0.0.1:8909",
              "devnet",
              cluster(height),
              new NodeStatus.TrafficStatus(in, out, 40_000 * n),
              null,
              null,
              null);
      return JSON.valueToTree(s).toString();
    }

    private static List<NodeStatus.ClusterStatus> cluster(long height) {
      long now = System.currentTimeMillis();
      List<NodeStatus.ClusterStatus> nodes = new ArrayList<>();
      nodes.add(member("2bQmVx8wN3cR7tY1uI5oP9aS2dF6gH4jK8lZ3xC7vB1", 8900, height + 18, now));
      nodes.add(
          member("4Lgh2Tq9Wx5Ey8Rb1Nc6Vm3Zk7Jf0Hd4Gs2Pa9Lu5Oi", 8920, height + 17, now - 4000));
      // What a peer says is shown as text, whatever it says.
      nodes.add(
          new NodeStatus.ClusterStatus(
              "<img src=x onerror=alert(1)>",
              "127.0.0.1:8930",
              "127.0.0.1:8929",
              "<script>alert(2)</script>",
              "<b>0.0.1</b>",
              height + 2,
              new NodeStatus.SlotStatus(1_204_100, HASH_A),
              List.of(),
              now - 61_000));
      return nodes;
    }

    private static NodeStatus.ClusterStatus member(String id, int port, long head, long seen) {
      return new NodeStatus.ClusterStatus(
          id,
          "127.0.0.1:" + port,
          "127.0.0.1:" + (port - 1),
          "devnet",
          "0.1.0",
          head,
          new NodeStatus.SlotStatus(1_204_200, HASH_B),
          List.of(new NodeStatus.SlotStatus(1_204_300, HASH_C)),
          seen);
    }
  }
}
