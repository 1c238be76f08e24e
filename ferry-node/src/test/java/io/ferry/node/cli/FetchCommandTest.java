package io.ferry.node.cli;

import static org.assertj.core.api.Assertions.assertThat;
import static org.awaitility.Awaitility.await;

import io.ferry.http.Health;
import io.ferry.http.HttpMetrics;
import io.ferry.http.HttpServerConfig;
import io.ferry.http.SnapshotHttpServer;
import java.io.PrintWriter;
import java.io.StringWriter;
import java.net.InetSocketAddress;
import java.nio.file.Files;
import java.nio.file.Path;
import java.security.MessageDigest;
import java.time.Duration;
import java.util.HexFormat;
import java.util.Random;
import java.util.concurrent.TimeUnit;
import java.util.regex.Matcher;
import java.util.regex.Pattern;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;
import org.junit.jupiter.api.io.TempDir;
import picocli.CommandLine;

/** {@code ferry fetch} as a separate process, killed mid-download and run again. */
@Timeout(180)
class FetchCommandTest {
  @TempDir Path tmp;

  @Test
  void aFetchKilledMidwayResumesFromItsPartialFile() throws Exception {
    Path archives = Files.createDirectories(tmp.resolve("archives"));
    byte[] file = new byte[12 << 20];
    new Random(7).nextBytes(file);
    String name = "snapshot-5-3yZe7dXWyKEMSbd6Ru7qJ4hEosb1vYzz4kvwqPQ8BHAu.tar.zst";
    Files.write(archives.resolve(name), file);
    String sha = HexFormat.of().formatHex(MessageDigest.getInstance("SHA-256").digest(file));
    // 2 MiB/s: the first process is still downloading when it is killed.
    HttpServerConfig config =
        HttpServerConfig.defaults(archives)
            .withBind(new InetSocketAddress("127.0.0.1", 0))
            .withEgressLimits(2 << 20, 0);
    try (SnapshotHttpServer server =
        new SnapshotHttpServer(config, () -> Health.OK, HttpMetrics.standalone())) {
      String url = "http://127.0.0.1:" + server.start().getPort() + "/snapshot.tar.zst";
      Path out = tmp.resolve("downloads").resolve(name);
      Files.createDirectories(out.getParent());
      String java = ProcessHandle.current().info().command().orElse("java");
      Process first =
          new ProcessBuilder(
                  java,
                  "--enable-native-access=ALL-UNNAMED",
                  "-cp",
                  System.getProperty("java.class.path"),
                  Main.class.getName(),
                  "fetch",
                  "--out",
                  out.toString(),
                  "--connections",
                  "2",
                  url)
              .redirectErrorStream(true)
              .redirectOutput(ProcessBuilder.Redirect.DISCARD)
              .start();
      // SIGKILL once the state file records some progress: nothing gets to clean up.
      Path state = out.resolveSibling(name + ".part.state");
      await("progress in " + state)
          .atMost(Duration.ofSeconds(60))
          .pollInterval(Duration.ofMillis(20))
          .until(() -> recordsProgress(state) || !first.isAlive());
      assertThat(first.isAlive()).as("the first fetch must still be running when killed").isTrue();
      first.destroyForcibly().waitFor(20, TimeUnit.SECONDS);
      assertThat(out).doesNotExist();

      CommandLine cli = Main.commandLine();
      StringWriter stdout = new StringWriter();
      StringWriter stderr = new StringWriter();
      cli.setOut(new PrintWriter(stdout, true));
      cli.setErr(new PrintWriter(stderr, true));
      int code = cli.execute("fetch", "--out", out.toString(), "--sha256", sha, url);
      assertThat(code).as(stderr.toString()).isZero();
      assertThat(Files.mismatch(out, archives.resolve(name))).isEqualTo(-1);
      Matcher m =
          Pattern.compile("fetched ([0-9,]+) of ([0-9,]+) bytes").matcher(stderr + "" + stdout);
      assertThat(m.find()).as(stderr.toString()).isTrue();
      long fetched = Long.parseLong(m.group(1).replace(",", ""));
      assertThat(fetched)
          .as("the resumed run fetches only what is missing")
          .isLessThan(file.length);
      assertThat(out.resolveSibling(name + ".part")).doesNotExist();
      assertThat(state).doesNotExist();
    }
  }

  @Test
  void anExistingFileIsReplacedOnlyWithForce() throws Exception {
    Path archives = Files.createDirectories(tmp.resolve("archives"));
    byte[] file = new byte[200_000];
    new Random(8).nextBytes(file);
    String name = "snapshot-5-3yZe7dXWyKEMSbd6Ru7qJ4hEosb1vYzz4kvwqPQ8BHAu.tar.zst";
    Files.write(archives.resolve(name), file);
    HttpServerConfig config =
        HttpServerConfig.defaults(archives).withBind(new InetSocketAddress("127.0.0.1", 0));
    try (SnapshotHttpServer server =
        new SnapshotHttpServer(config, () -> Health.OK, HttpMetrics.standalone())) {
      String url = "http://127.0.0.1:" + server.start().getPort() + "/snapshot.tar.zst";
      Path out = Files.writeString(tmp.resolve(name), "precious");

      StringWriter stderr = new StringWriter();
      CommandLine cli = Main.commandLine();
      cli.setOut(new PrintWriter(new StringWriter(), true));
      cli.setErr(new PrintWriter(stderr, true));
      int code = cli.execute("fetch", "--out", out.toString(), url);
      assertThat(code).as(stderr.toString()).isEqualTo(ExitCodes.EXISTS).isEqualTo(7);
      assertThat(stderr.toString().strip().lines())
          .singleElement(org.assertj.core.api.InstanceOfAssertFactories.STRING)
          .contains(out.toString(), "exists", "--force");
      assertThat(Files.readString(out)).isEqualTo("precious");

      cli = Main.commandLine();
      cli.setOut(new PrintWriter(new StringWriter(), true));
      cli.setErr(new PrintWriter(new StringWriter(), true));
      assertThat(cli.execute("fetch", "--force", "--out", out.toString(), url)).isZero();
      assertThat(Files.readAllBytes(out)).isEqualTo(file);
    }
  }

  /** True when the state file marks at least one segment complete. */
  private static boolean recordsProgress(Path state) {
    try {
      String[] lines = Files.readString(state).split("\n");
      return lines.length >= 4 && lines[3].matches("[0-9]+ .*[1-9a-f].*");
    } catch (java.io.IOException e) {
      return false; // not there yet, or being replaced
    }
  }
}
