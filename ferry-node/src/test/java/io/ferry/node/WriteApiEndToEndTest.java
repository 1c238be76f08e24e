package io.ferry.node;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;
import static org.awaitility.Awaitility.await;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import io.ferry.core.Bytes;
import io.ferry.core.ErrorCode;
import io.ferry.core.FerryException;
import io.ferry.core.identity.NodeKey;
import io.ferry.merkledb.Batch;
import io.ferry.merkledb.Revision;
import io.ferry.node.cli.ExitCodes;
import io.ferry.node.cli.Main;
import io.ferry.node.config.NodeSettings;
import java.io.File;
import java.io.IOException;
import java.io.PrintWriter;
import java.io.StringWriter;
import java.net.InetSocketAddress;
import java.net.URI;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.TimeUnit;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;
import org.junit.jupiter.api.io.TempDir;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;
import picocli.CommandLine;

/**
 * The write API end to end on loopback: a producer that commits only what the application writes
 * and a follower, in one JVM. A commit sent with curl (Java's HTTP client where there is no curl:
 * CI's machines need not have it) becomes readable and proved on the follower through {@code ferry
 * state get --node}, and the follower turns writes away with its producer's id.
 */
@Timeout(180)
class WriteApiEndToEndTest {
  private static final Logger log = LoggerFactory.getLogger(WriteApiEndToEndTest.class);
  private static final ObjectMapper JSON = new ObjectMapper();

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
    s.api = "127.0.0.1:0";
    s.headIntervalMs = 100L;
    s.snapshots.fullInterval = 0L;
    s.snapshots.incrementalInterval = 0L;
    return s;
  }

  private Node start(NodeSettings s) {
    Node n = Node.start(s.toConfig());
    nodes.add(n);
    return n;
  }

  /** A producer with the API that commits nothing of its own (--updates-per-commit 0). */
  private Node producer() {
    NodeSettings s = settings("producer");
    s.produce = true;
    s.producer.updatesPerCommit = 0;
    return start(s);
  }

  private Node follower(Node producer) {
    NodeSettings s = settings("follower");
    s.trustProducer = producer.id().toString();
    s.peers = List.of(producer.p2pAddress().toString());
    s.bootstrapWait = 0L; // nothing to bootstrap from: it proof-syncs at once
    return start(s);
  }

  private static String url(InetSocketAddress a) {
    return "http://127.0.0.1:" + a.getPort();
  }

  /** An HTTP answer: status and body. */
  record Answer(int status, String body) {
    JsonNode json() throws IOException {
      return JSON.readTree(body);
    }
  }

  /** POSTs a JSON commit with curl when it is on PATH, else with Java's HTTP client. */
  private static Answer post(InetSocketAddress api, String json) throws Exception {
    String url = url(api) + "/v1/commit";
    if (curl().isEmpty()) {
      log.info("no curl on PATH: posting with java.net.http instead");
      try (HttpClient c = HttpClient.newHttpClient()) {
        HttpResponse<String> r =
            c.send(
                HttpRequest.newBuilder(URI.create(url))
                    .header("Content-Type", "application/json")
                    .POST(HttpRequest.BodyPublishers.ofString(json))
                    .build(),
                HttpResponse.BodyHandlers.ofString());
        return new Answer(r.statusCode(), r.body());
      }
    }
    Process p =
        new ProcessBuilder(
                curl().get().toString(),
                "-s",
                "-S",
                "-X",
                "POST",
                "-H",
                "Content-Type: application/json",
                "--data",
                json,
                "-w",
                "\n%{http_code}",
                url)
            .redirectErrorStream(true)
            .start();
    String out = new String(p.getInputStream().readAllBytes(), StandardCharsets.UTF_8);
    assertThat(p.waitFor(60, TimeUnit.SECONDS)).isTrue();
    assertThat(p.exitValue()).as(out).isZero();
    int nl = out.lastIndexOf('\n');
    return new Answer(Integer.parseInt(out.substring(nl + 1).strip()), out.substring(0, nl));
  }

  private static java.util.Optional<Path> curl() {
    for (String dir : System.getenv().getOrDefault("PATH", "").split(File.pathSeparator)) {
      Path c = Path.of(dir, "curl");
      if (Files.isExecutable(c)) {
        return java.util.Optional.of(c);
      }
    }
    return java.util.Optional.empty();
  }

  record Run(int exitCode, String out, String err) {}

  private static Run ferry(String... args) {
    StringWriter out = new StringWriter();
    StringWriter err = new StringWriter();
    CommandLine cli = Main.commandLine();
    cli.setOut(new PrintWriter(out, true));
    cli.setErr(new PrintWriter(err, true));
    int code = cli.execute(args);
    return new Run(code, out.toString(), err.toString());
  }

  @Test
  void aCommitThroughTheApiIsReadAndProvedOnTheFollower() throws Exception {
    Node producer = producer();
    Node follower = follower(producer);
    String key = Bytes.wrap("greeting".getBytes(StandardCharsets.UTF_8)).toHex();
    String value = Bytes.wrap("hello, ferry".getBytes(StandardCharsets.UTF_8)).toHex();

    Answer committed =
        post(
            producer.apiAddress().orElseThrow(),
            "{\"put\": {\"" + key + "\": \"" + value + "\"}, \"delete\": [\"00\"]}");
    assertThat(committed.status()).as(committed.body()).isEqualTo(200);
    long height = committed.json().path("height").asLong();
    String root = committed.json().path("root").asText();
    assertThat(height).isEqualTo(1);
    assertThat(root).isEqualTo(producer.store().root().toHex());

    // The follower learns the signed head, catches up to its root, and proves the value.
    await()
        .atMost(Duration.ofSeconds(90))
        .until(() -> follower.store().root().toHex().equals(root));
    String followerHttp = url(follower.httpAddress().orElseThrow());
    String producerId = producer.id().toString();
    Run read =
        ferry("state", "get", "--node", followerHttp, "--key", key, "--trust-producer", producerId);
    assertThat(read.exitCode()).as(read.err()).isZero();
    assertThat(read.out()).isEqualTo("value " + value + "\n" + root + "\n");
    assertThat(read.err()).contains("proved against head 1 signed by " + producerId);

    // An absent key is proved absent: exit 5, no value.
    Run absent =
        ferry(
            "state",
            "get",
            "--node",
            followerHttp,
            "--key",
            "abcd",
            "--trust-producer",
            producerId);
    assertThat(absent.exitCode()).isEqualTo(ExitCodes.NOT_FOUND);
    assertThat(absent.out()).isEqualTo(root + "\n");

    // Trusting someone else, the same answer is refused and prints no value.
    String stranger = NodeKey.generate().id().toString();
    Run refused =
        ferry("state", "get", "--node", followerHttp, "--key", key, "--trust-producer", stranger);
    assertThat(refused.exitCode()).isEqualTo(ExitCodes.VERIFICATION_FAILED);
    assertThat(refused.out()).isEmpty();
    assertThat(refused.err()).contains("not the trusted " + stranger);

    // The follower takes no writes: 409, naming the producer.
    Answer turnedAway = post(follower.apiAddress().orElseThrow(), "{\"delete\": [\"01\"]}");
    assertThat(turnedAway.status()).isEqualTo(409);
    assertThat(turnedAway.json().path("error").asText()).isEqualTo("NOT_PRODUCER");
    assertThat(turnedAway.json().path("producer").asText()).isEqualTo(producerId);
    assertThat(follower.store().root().toHex()).isEqualTo(root);
  }

  @Test
  void anEmbeddedApplicationCommitsThroughNodeCommit() throws Exception {
    NodeSettings s = settings("embedded");
    s.produce = true;
    s.producer.updatesPerCommit = 0;
    s.api = null; // the library alone: no listener
    Node producer = start(s);
    assertThat(producer.apiAddress()).isEmpty();
    Revision r =
        producer.commit(
            new Batch()
                .put(Bytes.fromHex("0102"), Bytes.fromHex("0304"))
                .delete(Bytes.fromHex("05")));
    assertThat(r.height()).isEqualTo(1);
    assertThat(producer.store().get(Bytes.fromHex("0102"))).contains(Bytes.fromHex("0304"));
    // The commit is signed: reads prove against its head at once, and the head is published (on
    // the gossip scheduler, so newestHead shows it a moment later).
    await()
        .atMost(Duration.ofSeconds(10))
        .until(() -> producer.newestHead().map(h -> h.root().equals(r.root())).orElse(false));
    Run read =
        ferry(
            "state",
            "get",
            "--node",
            url(producer.httpAddress().orElseThrow()),
            "--key",
            "0102",
            "--trust-producer",
            producer.id().toString());
    assertThat(read.exitCode()).as(read.err()).isZero();
    assertThat(read.out()).isEqualTo("value 0304\n" + r.root().toHex() + "\n");
    assertThatThrownBy(() -> producer.commit(new Batch()))
        .isInstanceOfSatisfying(
            FerryException.class, e -> assertThat(e.code()).isEqualTo(ErrorCode.INVALID_ARGUMENT));
  }
}
