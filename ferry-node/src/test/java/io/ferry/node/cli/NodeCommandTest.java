package io.ferry.node.cli;

import static org.assertj.core.api.Assertions.assertThat;
import static org.awaitility.Awaitility.await;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import io.ferry.gossip.value.ContactInfo;
import io.ferry.gossip.value.Result;
import io.ferry.gossip.value.ValueKind;
import io.ferry.node.Node;
import io.ferry.node.config.NodeSettings;
import java.io.BufferedReader;
import java.io.IOException;
import java.io.InputStreamReader;
import java.io.PrintWriter;
import java.io.StringWriter;
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
import java.util.stream.Stream;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;
import org.junit.jupiter.api.io.TempDir;
import picocli.CommandLine;

/**
 * {@code ferry node} processes over loopback: a producer and a follower killed mid-sync, a follower
 * of another producer, and a node that finds the others from an entrypoint.
 */
@Timeout(300)
class NodeCommandTest {
  @TempDir Path tmp;
  private final List<Process> processes = new ArrayList<>();
  private final HttpClient http = HttpClient.newHttpClient();

  /** A started node: its process, p2p address and HTTP base. */
  record Started(Process process, String p2p, URI http, String id) {}

  private final List<Node> inJvm = new ArrayList<>();

  @AfterEach
  void stop() throws Exception {
    for (Node n : inJvm) {
      n.close();
    }
    for (Process p : processes) {
      p.destroy();
    }
    for (Process p : processes) {
      if (!p.waitFor(20, TimeUnit.SECONDS)) {
        p.destroyForcibly();
      }
    }
    http.close();
  }

  private Started node(Path data, String... args) throws IOException {
    String java = ProcessHandle.current().info().command().orElse("java");
    List<String> cmd =
        new ArrayList<>(
            List.of(
                java,
                "--enable-native-access=ALL-UNNAMED",
                "-Xmx512m",
                "-cp",
                System.getProperty("java.class.path"),
                Main.class.getName(),
                "node",
                "--data",
                data.toString(),
                "--p2p",
                "127.0.0.1:0",
                "--http",
                "127.0.0.1:0",
                "--stop-with-parent"));
    cmd.addAll(List.of(args));
    Files.createDirectories(data);
    Process p = new ProcessBuilder(cmd).redirectError(data.resolve("stderr.txt").toFile()).start();
    processes.add(p);
    BufferedReader out =
        new BufferedReader(new InputStreamReader(p.getInputStream(), StandardCharsets.UTF_8));
    String id = null;
    String httpUrl = null;
    for (String line; (line = out.readLine()) != null; ) {
      if (line.startsWith("node id:")) {
        id = line.substring(8).strip();
      } else if (line.startsWith("http ")) {
        httpUrl = line.substring(5).strip();
      } else if (line.startsWith("listening ")) {
        return new Started(p, line.substring(10).strip(), URI.create(httpUrl), id);
      }
    }
    throw new AssertionError(
        "node exited before listening: " + Files.readString(data.resolve("stderr.txt")));
  }

  private JsonNode status(Started s) {
    try {
      HttpResponse<String> r =
          http.send(
              HttpRequest.newBuilder(s.http().resolve("/status")).build(),
              HttpResponse.BodyHandlers.ofString());
      return r.statusCode() == 200 ? new ObjectMapper().readTree(r.body()) : null;
    } catch (IOException e) {
      return null;
    } catch (InterruptedException e) {
      throw new AssertionError(e);
    }
  }

  private static void generate(Path data, int keys) {
    CommandLine cli = Main.commandLine();
    cli.setOut(new PrintWriter(new StringWriter()));
    cli.setErr(new PrintWriter(new StringWriter()));
    int code =
        cli.execute(
            "state",
            "generate",
            "--data",
            data.toString(),
            "--keys",
            Integer.toString(keys),
            "--value-size",
            "100");
    assertThat(code).isZero();
  }

  /** Waits until the follower is at the producer's height and root at the same moment. */
  private void awaitSameState(Started producer, Started follower) {
    await("the follower at the producer's height and root")
        .atMost(Duration.ofSeconds(120))
        .pollInterval(Duration.ofMillis(100))
        .until(
            () -> {
              JsonNode f = status(follower);
              JsonNode p = status(producer);
              return f != null
                  && p != null
                  && f.path("phase").asText().equals("following")
                  && f.path("height").asLong() == p.path("height").asLong()
                  && f.path("root").asText().equals(p.path("root").asText());
            });
  }

  @Test
  void aFollowerKilledMidSyncResumesAndFinishes() throws Exception {
    Path pdata = tmp.resolve("producer");
    generate(pdata, 300_000);
    Started producer =
        node(pdata, "--produce", "--updates-per-commit", "100", "--commit-interval", "500");
    Path fdata = tmp.resolve("follower");
    String[] follow = {
      "--trust-producer",
      producer.id(),
      "--peer",
      producer.p2p(),
      "--head-interval",
      "200",
      "--work-limit",
      "1"
    };
    Started first = node(fdata, follow);
    // SIGKILL once it has staged some verified data.
    Path staging = fdata.resolve("sync-staging");
    await("3 MB staged")
        .atMost(Duration.ofSeconds(60))
        .pollInterval(Duration.ofMillis(20))
        .until(() -> bytesIn(staging) >= 3_000_000);
    JsonNode before = status(first);
    assertThat(before).isNotNull();
    assertThat(before.path("phase").asText()).isEqualTo("syncing");
    first.process().destroyForcibly().waitFor(20, TimeUnit.SECONDS);

    Started again = node(fdata, follow);
    awaitSameState(producer, again);
    JsonNode after = status(again);
    // It resumed: the second run fetched fewer keys than the state holds.
    assertThat(after.path("sync").path("keys").asLong()).isLessThan(300_000);
    assertThat(after.path("node_id").asText()).isEqualTo(first.id());
  }

  @Test
  void aFollowerOfAnotherProducerRefusesTheHeadsItHears() throws Exception {
    Path pdata = tmp.resolve("producer");
    generate(pdata, 1_000);
    Started producer = node(pdata, "--produce", "--commit-interval", "200");
    CommandLine cli = Main.commandLine();
    StringWriter out = new StringWriter();
    cli.setOut(new PrintWriter(out, true));
    assertThat(cli.execute("node", "--data", tmp.resolve("other").toString(), "--init")).isZero();
    String otherId =
        out.toString()
            .lines()
            .filter(l -> l.startsWith("node id:"))
            .findFirst()
            .orElseThrow()
            .substring(8)
            .strip();
    Started misled =
        node(
            tmp.resolve("misled"),
            "--trust-producer",
            otherId,
            "--peer",
            producer.p2p(),
            "--head-interval",
            "100");
    // It hears the producer's heads (logged once: "ignoring heads of ...") and takes none.
    Path log = tmp.resolve("misled/logs/ferry.log");
    await("a refusal in " + log)
        .atMost(Duration.ofSeconds(60))
        .pollInterval(Duration.ofMillis(100))
        .until(
            () ->
                Files.exists(log)
                    && Files.readString(log).contains("ignoring heads of " + producer.id()));
    // The bootstrap gives up once the table shows peers and no advertisement (a gossip pull or
    // two; longer on a loaded machine), then the follower waits for a head it trusts.
    await("the bootstrap to end")
        .atMost(Duration.ofSeconds(60))
        .pollInterval(Duration.ofMillis(100))
        .until(() -> status(misled).path("phase").asText().equals("waiting"));
    JsonNode s = status(misled);
    assertThat(s.path("phase").asText()).isEqualTo("waiting");
    assertThat(s.path("height").asLong()).isZero();
    assertThat(s.has("head")).isFalse();
    assertThat(s.path("peers").toString()).contains(producer.id());
  }

  /** A node in this JVM, on loopback, stopped after the test. */
  private Node inJvm(String name, String... entrypoints) {
    NodeSettings s = new NodeSettings();
    s.data = tmp.resolve(name).toString();
    s.p2p = "127.0.0.1:0";
    s.http = "off";
    s.headIntervalMs = 100L;
    s.entrypoints = entrypoints.length == 0 ? null : List.of(entrypoints);
    Node n = Node.start(s.toConfig());
    inJvm.add(n);
    return n;
  }

  @Test
  void aNodeGivenAnEntrypointFindsTheOthersThroughGossip() throws Exception {
    Node seed = inJvm("seed");
    String entry = seed.p2pAddress().hostPort(); // as an operator writes it: no id
    Node second = inJvm("second", entry);
    Started third =
        node(
            tmp.resolve("third"),
            "--entrypoint",
            entry,
            "--max-outbound",
            "2",
            "--max-inbound",
            "4",
            "--advertise",
            "localhost",
            "--head-interval",
            "100");
    await("the third node connected to both others")
        .atMost(Duration.ofSeconds(60))
        .pollInterval(Duration.ofMillis(100))
        .until(
            () -> {
              JsonNode s = status(third);
              return s != null
                  && s.path("peers").toString().contains(seed.id().toString())
                  && s.path("peers").toString().contains(second.id().toString());
            });
    // What it tells the others: the advertised host, with the port it bound.
    int port = Integer.parseInt(third.p2p().substring(third.p2p().lastIndexOf(':') + 1));
    await("the third node's contact reached the seed")
        .atMost(Duration.ofSeconds(30))
        .until(
            () ->
                seed.gossip().values(ValueKind.CONTACT_INFO).stream()
                    .anyMatch(
                        v ->
                            v.origin().toString().equals(third.id())
                                && ContactInfo.decode(v.payload())
                                    instanceof Result.Ok<ContactInfo> ok
                                && ok.value().p2p().equals("localhost:" + port)));
  }

  private static long bytesIn(Path dir) throws IOException {
    if (!Files.isDirectory(dir)) {
      return 0;
    }
    try (Stream<Path> s = Files.walk(dir)) {
      return s.filter(Files::isRegularFile)
          .mapToLong(
              p -> {
                try {
                  return Files.size(p);
                } catch (IOException e) {
                  return 0;
                }
              })
          .sum();
    }
  }
}
