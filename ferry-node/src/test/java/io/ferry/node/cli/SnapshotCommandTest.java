package io.ferry.node.cli;

import static org.assertj.core.api.Assertions.assertThat;

import io.ferry.http.Health;
import io.ferry.http.HttpMetrics;
import io.ferry.http.HttpServerConfig;
import io.ferry.http.SnapshotHttpServer;
import java.io.PrintWriter;
import java.io.StringWriter;
import java.net.InetSocketAddress;
import java.nio.file.Files;
import java.nio.file.Path;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;
import org.junit.jupiter.api.io.TempDir;
import picocli.CommandLine;

/**
 * The snapshot pipeline through the CLI: create full and incremental archives, list them, serve
 * them over HTTP, fetch the newest through the redirect from two servers, restore, same root.
 */
@Timeout(120)
class SnapshotCommandTest {
  @TempDir Path tmp;

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

  @Test
  void createListServeFetchRestore() throws Exception {
    Path node = tmp.resolve("node");
    String root0 =
        ferry("state", "generate", "--data", node.toString(), "--keys", "20000").lastLine();
    Result full = ferry("snapshot", "create", "--data", node.toString(), "--chunk-size", "65536");
    assertThat(full.exitCode()).as(full.err()).isZero();
    Path fullArchive = Path.of(full.lastLine());
    assertThat(fullArchive.getFileName().toString())
        .matches("snapshot-1-[1-9A-HJ-NP-Za-km-z]+\\.tar\\.zst");

    Path changes = tmp.resolve("changes.jsonl");
    Files.writeString(
        changes, "{\"key\":\"00ff\",\"value\":\"01\"}\n{\"key\":\"00fe\",\"value\":\"02\"}\n");
    String root1 =
        ferry("state", "import", "--data", node.toString(), "--jsonl", changes.toString())
            .lastLine();
    assertThat(root1).isNotEqualTo(root0);
    Result inc = ferry("snapshot", "create", "--data", node.toString(), "--incremental");
    assertThat(inc.exitCode()).as(inc.err()).isZero();
    Path incArchive = Path.of(inc.lastLine());
    assertThat(incArchive.getFileName().toString()).startsWith("incremental-snapshot-1-2-");

    Result list = ferry("snapshot", "list", "--dir", node.resolve("snapshots").toString());
    assertThat(list.out()).contains(fullArchive.getFileName().toString());
    assertThat(list.out()).contains(incArchive.getFileName().toString());

    HttpServerConfig config =
        HttpServerConfig.defaults(node.resolve("snapshots"))
            .withBind(new InetSocketAddress("127.0.0.1", 0));
    try (SnapshotHttpServer a =
            new SnapshotHttpServer(config, () -> Health.OK, HttpMetrics.standalone());
        SnapshotHttpServer b =
            new SnapshotHttpServer(config, () -> Health.OK, HttpMetrics.standalone())) {
      String ua = "http://127.0.0.1:" + a.start().getPort();
      String ub = "http://127.0.0.1:" + b.start().getPort();
      Path downloads = tmp.resolve("downloads");
      Files.createDirectories(downloads);
      Result gotFull =
          ferry(
              "fetch",
              "--out",
              downloads.resolve(fullArchive.getFileName()).toString(),
              ua + "/snapshot.tar.zst",
              ub + "/snapshot.tar.zst");
      assertThat(gotFull.exitCode()).as(gotFull.err()).isZero();
      Result gotInc =
          ferry(
              "fetch",
              "--out",
              downloads.resolve(incArchive.getFileName()).toString(),
              ua + "/incremental-snapshot.tar.zst");
      assertThat(gotInc.exitCode()).as(gotInc.err()).isZero();
      assertThat(Files.mismatch(Path.of(gotFull.lastLine()), fullArchive)).isEqualTo(-1);

      Path restored = tmp.resolve("restored");
      Result r =
          ferry(
              "snapshot",
              "restore",
              "--data",
              restored.toString(),
              "--archive",
              gotFull.lastLine(),
              "--incremental",
              gotInc.lastLine(),
              "--trust-root",
              root1);
      assertThat(r.exitCode()).as(r.err()).isZero();
      assertThat(r.lastLine()).isEqualTo(root1);
      assertThat(ferry("state", "root", "--data", restored.toString()).lastLine()).isEqualTo(root1);

      // A wrong trusted root is refused and leaves nothing behind.
      Path refused = tmp.resolve("refused");
      Result bad =
          ferry(
              "snapshot",
              "restore",
              "--data",
              refused.toString(),
              "--archive",
              gotFull.lastLine(),
              "--trust-root",
              root1);
      assertThat(bad.exitCode()).isEqualTo(ExitCodes.VERIFICATION_FAILED);
      assertThat(refused.resolve("state")).doesNotExist();
    }
  }
}
