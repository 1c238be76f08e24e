package io.ferry.sim.cli;

import static org.assertj.core.api.Assertions.assertThat;

import java.io.PrintWriter;
import java.io.StringWriter;
import org.junit.jupiter.api.Test;
import picocli.CommandLine;

/** {@code ferry sim gossip} in process: its summary line, its replay and its exit codes. */
class GossipCommandTest {
  private record Run(int code, String out, String err) {}

  private static Run run(String... args) {
    StringWriter out = new StringWriter();
    StringWriter err = new StringWriter();
    CommandLine cli = new CommandLine(new SimCommand());
    cli.setOut(new PrintWriter(out));
    cli.setErr(new PrintWriter(err));
    int code = cli.execute(args);
    return new Run(code, out.toString(), err.toString());
  }

  private static final String[] SMALL = {
    "gossip",
    "--nodes",
    "30",
    "--publications",
    "2",
    "--warmup",
    "10s",
    "--every",
    "5s",
    "--window",
    "10s"
  };

  private static String[] small(String... more) {
    String[] args = new String[SMALL.length + more.length];
    System.arraycopy(SMALL, 0, args, 0, SMALL.length);
    System.arraycopy(more, 0, args, SMALL.length, more.length);
    return args;
  }

  @Test
  void aRunPrintsCoverageAndTrafficAndTheSameSeedReplaysIt() {
    Run a = run(small("--seed", "4", "--faults", "loss,liars"));
    Run b = run(small("--seed", "4", "--faults", "loss,liars"));
    assertThat(a.code()).as(a.out() + a.err()).isZero();
    assertThat(a.out())
        .contains("gossip seed=4 nodes=30 faults=[loss, liars]: 99% coverage p50 ")
        .contains("over 2 values")
        .contains("B/node/s")
        .contains("1/1 liars banned")
        .endsWith(": ok\n");
    String trace = a.out().replaceAll("(?s).*trace ([0-9a-f]+).*", "$1");
    assertThat(trace).hasSize(16);
    assertThat(b.out()).contains("trace " + trace);
  }

  @Test
  void theExistingCommandStillRunsWholeNodes() {
    Run r = run("--nodes", "2", "--seed", "1", "--duration", "10s");
    assertThat(r.code()).isZero();
    assertThat(r.out()).startsWith("sim seed=1 nodes=2");
  }

  @Test
  void badArgumentsAreAUsageError() {
    assertThat(run("gossip", "--nodes", "5").code()).isEqualTo(2);
    Run meteor = run(small("--faults", "meteor"));
    assertThat(meteor.code()).isEqualTo(2);
    assertThat(meteor.err()).contains("unknown fault 'meteor'");
    Run crowded = run("gossip", "--nodes", "20", "--publications", "9", "--window", "10s");
    assertThat(crowded.code()).isEqualTo(2);
    assertThat(crowded.err()).contains("do not fit in");
  }
}
