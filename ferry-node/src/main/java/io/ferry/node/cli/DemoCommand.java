package io.ferry.node.cli;

import io.ferry.core.ErrorCode;
import io.ferry.core.FerryException;
import io.ferry.node.demo.Demo;
import java.io.PrintWriter;
import java.io.StringWriter;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.concurrent.Callable;
import picocli.CommandLine;
import picocli.CommandLine.Command;
import picocli.CommandLine.Model.CommandSpec;
import picocli.CommandLine.Option;
import picocli.CommandLine.Spec;

/**
 * {@code ferry demo}: the whole pipeline on this machine, each node a separate process on loopback
 * (see {@link Demo}). Exits 0 when every root checked out.
 */
@Command(
    name = "demo",
    mixinStandardHelpOptions = true,
    description = {
      "Run a small network on this machine: a producer that commits, two peers that sync from it,"
          + " a newcomer that syncs from all three while the producer commits and then follows,"
          + " and a snapshot fetched from several nodes at once and restored; every root checked.",
      "Stops its processes on exit and on Ctrl-C."
    })
final class DemoCommand implements Callable<Integer> {
  @Spec CommandSpec spec;

  @Option(
      names = "--data",
      paramLabel = "DIR",
      description = "Work directory; each run gets DIR/run-N (default: a new temporary one).")
  Path data;

  @Option(
      names = "--keys",
      paramLabel = "N",
      defaultValue = "1000000",
      description = "Keys in the producer's state (default ${DEFAULT-VALUE}).")
  long keys;

  @Option(
      names = "--updates-per-commit",
      paramLabel = "N",
      defaultValue = "1000",
      description = "Keys the producer changes per commit (default ${DEFAULT-VALUE}).")
  int updatesPerCommit;

  @Option(
      names = "--commit-interval",
      paramLabel = "MS",
      defaultValue = "1000",
      description = "Milliseconds between the producer's commits (default ${DEFAULT-VALUE}).")
  long commitIntervalMs;

  @Option(
      names = "--snapshot-interval",
      paramLabel = "K",
      defaultValue = "10",
      description = "A full archive every K commits on every node (default ${DEFAULT-VALUE}).")
  long snapshotInterval;

  @Override
  public Integer call() throws Exception {
    if (keys < 1000 || updatesPerCommit < 1 || commitIntervalMs < 100 || snapshotInterval < 1) {
      throw new FerryException(
          ErrorCode.INVALID_ARGUMENT,
          "need --keys >= 1000, --updates-per-commit >= 1, --commit-interval >= 100 and"
              + " --snapshot-interval >= 1");
    }
    Path dir =
        data != null ? Files.createDirectories(data) : Files.createTempDirectory("ferry-demo");
    PrintWriter out = spec.commandLine().getOut();
    Demo demo =
        new Demo(
            new Demo.Options(
                dir, keys, updatesPerCommit, Duration.ofMillis(commitIntervalMs), snapshotInterval),
            out,
            DemoCommand::runInProcess,
            Progress.interactive());
    return demo.run() ? ExitCodes.OK : ExitCodes.VERIFICATION_FAILED;
  }

  /** Runs a ferry command in this JVM and returns its last line of output. */
  private static String runInProcess(String... args) {
    CommandLine cli = Main.commandLine();
    StringWriter sw = new StringWriter();
    StringWriter err = new StringWriter();
    cli.setOut(new PrintWriter(sw, true));
    cli.setErr(new PrintWriter(err, true));
    int code = cli.execute(args);
    if (code != 0) {
      throw new FerryException(
          ErrorCode.INTERNAL, "ferry " + String.join(" ", args) + " failed: " + err);
    }
    String[] lines = sw.toString().strip().split("\n");
    return lines[lines.length - 1].strip();
  }
}
