package io.ferry.node.cli;

import static org.assertj.core.api.Assertions.assertThat;
import static org.awaitility.Awaitility.await;

import io.ferry.merkledb.Revision;
import io.ferry.node.Node;
import io.ferry.node.config.NodeSettings;
import java.io.BufferedReader;
import java.io.InputStreamReader;
import java.io.PrintWriter;
import java.io.StringWriter;
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
import picocli.CommandLine;

/**
 * {@code ferry sync} against {@code ferry node --p2p} servers running as separate processes over
 * real loopback sockets.
 */
@Timeout(300)
class SyncCommandTest {
  @TempDir Path tmp;
  private final List<Process> servers = new ArrayList<>();

  record Result(int exitCode, String out, String err) {
    String lastLine() {
      String[] lines = out.strip().split("\n");
      return lines[lines.length - 1];
    }
  }

  private static Result ferry(String... args) {
    CommandLine cli = Main.commandLine();
    StringWriter out = new StringWriter();
    StringWriter err = new StringWriter();
    cli.setOut(new PrintWriter(out, true));
    cli.setErr(new PrintWriter(err, true));
    int code = cli.execute(args);
    return new Result(code, out.toString(), err.toString());
  }

  /** Starts {@code ferry node --p2p} in a child JVM and returns the address it prints. */
  private String serve(Path data) throws Exception {
    String java = ProcessHandle.current().info().command().orElse("java");
    Process p =
        new ProcessBuilder(
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
                "off",
                "--stop-with-parent")
            .redirectError(ProcessBuilder.Redirect.DISCARD)
            .start();
    servers.add(p);
    BufferedReader out =
        new BufferedReader(new InputStreamReader(p.getInputStream(), StandardCharsets.UTF_8));
    for (String line; (line = out.readLine()) != null; ) {
      if (line.startsWith("listening ")) {
        return line.substring("listening ".length()).strip();
      }
    }
    throw new AssertionError("server for " + data + " exited before listening");
  }

  @AfterEach
  void stopServers() throws Exception {
    for (Process p : servers) {
      p.destroy(); // SIGTERM: the node closes its store cleanly
    }
    for (Process p : servers) {
      if (!p.waitFor(20, TimeUnit.SECONDS)) {
        p.destroyForcibly();
      }
    }
  }

  @Test
  void syncsOneHundredThousandKeysFromTwoServerProcesses() throws Exception {
    String keys = "100000";
    Path s1 = tmp.resolve("s1");
    Path s2 = tmp.resolve("s2");
    String root = ferry("state", "generate", "--data", s1.toString(), "--keys", keys).lastLine();
    assertThat(ferry("state", "generate", "--data", s2.toString(), "--keys", keys).lastLine())
        .isEqualTo(root);
    String a1 = serve(s1);
    String a2 = serve(s2);
    // The second peer is given without its id: trust comes from the root.
    String a2NoId = a2.substring(a2.indexOf('@') + 1);
    Path client = tmp.resolve("client");
    Result r =
        ferry(
            "sync",
            "--data",
            client.toString(),
            "--peer",
            a1,
            "--peer",
            a2NoId,
            "--trust-root",
            root,
            "--timeout",
            "240");
    assertThat(r.exitCode()).as(r.err()).isZero();
    assertThat(r.lastLine()).isEqualTo(root);
    assertThat(r.err()).contains("synced 100,000 keys");
    assertThat(ferry("state", "root", "--data", client.toString()).lastLine()).isEqualTo(root);
    // The staged copy is in the store now: its files go.
    assertThat(client.resolve("sync-staging")).doesNotExist();
    // Already there: a second run is a no-op.
    Result again = ferry("sync", "--data", client.toString(), "--peer", a1, "--trust-root", root);
    assertThat(again.exitCode()).isZero();
    assertThat(again.lastLine()).isEqualTo(root);
  }

  @Test
  void chunksFromThreeNodeProcessesRestoreTheTrustedRootAndTheClientServesTheArchive()
      throws Exception {
    Path source = tmp.resolve("source");
    String root =
        ferry("state", "generate", "--data", source.toString(), "--keys", "60000").lastLine();
    Result created =
        ferry("snapshot", "create", "--data", source.toString(), "--chunk-size", "65536");
    assertThat(created.exitCode()).as(created.err()).isZero();
    List<String> peers = new ArrayList<>();
    for (String name : List.of("s1", "s2", "s3")) {
      Path archives = Files.createDirectories(tmp.resolve(name).resolve("snapshots"));
      try (var files = Files.list(source.resolve("snapshots"))) {
        for (Path f : files.toList()) {
          Files.copy(f, archives.resolve(f.getFileName()));
        }
      }
      peers.add(serve(tmp.resolve(name))); // a node with an empty store and the archive
    }
    Path client = tmp.resolve("client");
    List<String> args =
        new ArrayList<>(
            List.of(
                "sync",
                "--method",
                "chunks",
                "--data",
                client.toString(),
                "--trust-root",
                root,
                "--discovery-time",
                "5",
                "--timeout",
                "240"));
    for (String p : peers) {
      args.add("--peer");
      args.add(p);
    }
    Result r = ferry(args.toArray(String[]::new));
    assertThat(r.exitCode()).as(r.err()).isZero();
    assertThat(r.lastLine()).isEqualTo(root);
    assertThat(r.err()).contains("restored height").contains("(60,000 keys)");
    assertThat(ferry("state", "root", "--data", client.toString()).lastLine()).isEqualTo(root);
    // The archive it restored from is now its own, byte for byte the servers'.
    Path served;
    try (var files = Files.list(source.resolve("snapshots"))) {
      served =
          files
              .filter(f -> f.getFileName().toString().startsWith("snapshot-"))
              .findFirst()
              .orElseThrow();
    }
    Path kept = client.resolve("snapshots").resolve(served.getFileName());
    assertThat(Files.readAllBytes(kept)).isEqualTo(Files.readAllBytes(served));
    assertThat(client.resolve("state-sync")).doesNotExist();
    // A store already at the root: nothing to do.
    Result again = ferry(args.toArray(String[]::new));
    assertThat(again.exitCode()).as(again.err()).isZero();
    assertThat(again.lastLine()).isEqualTo(root);
  }

  @Test
  void chunksRefuseToOverwriteAStoreAtAnotherRoot() throws Exception {
    Path client = tmp.resolve("client");
    ferry("state", "generate", "--data", client.toString(), "--keys", "10");
    Result r =
        ferry(
            "sync",
            "--method",
            "chunks",
            "--data",
            client.toString(),
            "--peer",
            "127.0.0.1:1",
            "--trust-root",
            "00".repeat(32));
    assertThat(r.exitCode()).isNotZero();
    assertThat(r.err()).contains("chunks restore an empty store");
  }

  @Test
  void aSyncKilledMidwayResumesWithoutFetchingEverythingAgain() throws Exception {
    Path s1 = tmp.resolve("s1");
    String root =
        ferry("state", "generate", "--data", s1.toString(), "--keys", "200000").lastLine();
    String a1 = serve(s1);
    Path client = tmp.resolve("client");
    String javaBin = ProcessHandle.current().info().command().orElse("java");
    Process first =
        new ProcessBuilder(
                javaBin,
                "--enable-native-access=ALL-UNNAMED",
                "-cp",
                System.getProperty("java.class.path"),
                Main.class.getName(),
                "sync",
                "--data",
                client.toString(),
                "--peer",
                a1,
                "--trust-root",
                root,
                "--work-limit",
                "1")
            .redirectErrorStream(true)
            .redirectOutput(ProcessBuilder.Redirect.DISCARD)
            .start();
    // Kill it (SIGKILL) once it has staged some verified data.
    Path staging = client.resolve("sync-staging");
    await("2 MB staged")
        .atMost(Duration.ofSeconds(60))
        .pollInterval(Duration.ofMillis(20))
        .until(() -> stagedBytes(staging) >= 2_000_000 || !first.isAlive());
    assertThat(first.isAlive()).as("the first sync must still be running when killed").isTrue();
    first.destroyForcibly().waitFor(20, TimeUnit.SECONDS);

    Result resumed = ferry("sync", "--data", client.toString(), "--peer", a1, "--trust-root", root);
    assertThat(resumed.exitCode()).as(resumed.err()).isZero();
    assertThat(resumed.lastLine()).isEqualTo(root);
    // The resumed run fetched only what the killed one had not finished.
    java.util.regex.Matcher m =
        java.util.regex.Pattern.compile("synced ([0-9,]+) keys").matcher(resumed.err());
    assertThat(m.find()).isTrue();
    long fetched = Long.parseLong(m.group(1).replace(",", ""));
    assertThat(fetched).isLessThan(200_000);
    assertThat(ferry("state", "root", "--data", client.toString()).lastLine()).isEqualTo(root);
  }

  private static long stagedBytes(Path dir) throws java.io.IOException {
    if (!java.nio.file.Files.isDirectory(dir)) {
      return 0;
    }
    try (var files = java.nio.file.Files.walk(dir)) {
      return files
          .filter(java.nio.file.Files::isRegularFile)
          .filter(f -> f.getFileName().toString().endsWith(".log"))
          .mapToLong(f -> f.toFile().length())
          .sum();
    }
  }

  @Test
  void aStaleStoreCatchesUpWithChangeProofs() throws Exception {
    Path data = tmp.resolve("producer");
    Path client = tmp.resolve("client");
    // The same generated state in both: the client holds the producer's first root.
    String first =
        ferry("state", "generate", "--data", data.toString(), "--keys", "2000").lastLine();
    assertThat(ferry("state", "generate", "--data", client.toString(), "--keys", "2000").lastLine())
        .isEqualTo(first);
    NodeSettings s = new NodeSettings();
    s.data = data.toString();
    s.p2p = "127.0.0.1:0";
    s.http = "off";
    s.produce = true;
    s.producer.updatesPerCommit = 50;
    s.producer.commitIntervalMs = 100L;
    s.snapshots.fullInterval = 0L;
    s.snapshots.incrementalInterval = 0L;
    try (Node producer = Node.start(s.toConfig())) {
      org.awaitility.Awaitility.await()
          .atMost(java.time.Duration.ofSeconds(60))
          .until(() -> producer.store().height() >= 4);
      Revision target = producer.store().revision();

      // The sync starts before its peer is connected: the catch-up is asked again until it is.
      Result r =
          ferry(
              "sync",
              "--data",
              client.toString(),
              "--peer",
              producer.p2pAddress().toString(),
              "--trust-root",
              target.root().toHex(),
              "--timeout",
              "60");

      assertThat(r.exitCode()).as(r.err()).isZero();
      assertThat(r.lastLine()).isEqualTo(target.root().toHex());
      assertThat(r.err()).contains("caught up with").doesNotContain("synced");
      assertThat(ferry("state", "root", "--data", client.toString()).out())
          .contains("height 2")
          .contains(target.root().toHex());
    }
  }

  @Test
  void aRootNoServerHasTimesOutWithExitCodeSix() throws Exception {
    Path s1 = tmp.resolve("s1");
    ferry("state", "generate", "--data", s1.toString(), "--keys", "1000");
    String a1 = serve(s1);
    Result r =
        ferry(
            "sync",
            "--data",
            tmp.resolve("client").toString(),
            "--peer",
            a1,
            "--trust-root",
            "11".repeat(32),
            "--timeout",
            "3");
    assertThat(r.exitCode()).isEqualTo(ExitCodes.UNAVAILABLE);
    assertThat(r.err()).contains("run again to resume");
  }
}
