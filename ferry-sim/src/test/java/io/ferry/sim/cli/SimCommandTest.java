package io.ferry.sim.cli;

import static org.assertj.core.api.Assertions.assertThat;

import java.io.PrintWriter;
import java.io.StringWriter;
import org.junit.jupiter.api.Test;
import picocli.CommandLine;

/** {@code ferry sim} in process: its summary, its replays and its exit codes. */
class SimCommandTest {
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

  @Test
  void aRunPrintsItsSummaryAndTraceAndTheSameSeedReplaysIt() {
    Run a = run("--nodes", "3", "--seed", "5", "--duration", "20s");
    Run b = run("--nodes", "3", "--seed", "5", "--duration", "20s");
    assertThat(a.code()).isZero();
    assertThat(a.out()).contains("sim seed=5 nodes=3").contains("20 commits").endsWith(": ok\n");
    String trace = a.out().replaceAll("(?s).*trace ([0-9a-f]+).*", "$1");
    assertThat(trace).hasSize(16);
    assertThat(b.out()).contains("trace " + trace);
  }

  @Test
  void discoveryIsNamedAndChangesTheRun() {
    Run fixed = run("--nodes", "4", "--seed", "5", "--duration", "20s");
    Run found = run("--nodes", "4", "--seed", "5", "--duration", "20s", "--discovery");
    assertThat(found.code()).isZero();
    assertThat(found.out()).contains("faults=none discovery:").endsWith(": ok\n");
    assertThat(fixed.out()).doesNotContain("discovery");
    String trace = found.out().replaceAll("(?s).*trace ([0-9a-f]+).*", "$1");
    assertThat(fixed.out()).doesNotContain("trace " + trace);
  }

  @Test
  void badArgumentsAreAUsageError() {
    assertThat(run("--nodes", "1").code()).isEqualTo(2);
    assertThat(run("--faults", "meteor").err()).contains("unknown fault 'meteor'");
    assertThat(run("--duration", "soon").code()).isEqualTo(2);
  }

  @Test
  void aSweepSaysHowManySeedsHeld() {
    Run r = run("--nodes", "2", "--seed", "1", "--seeds", "3", "--duration", "10s");
    assertThat(r.code()).isZero();
    assertThat(r.out()).contains("sim: 3 of 3 seeds ok");
  }
}
