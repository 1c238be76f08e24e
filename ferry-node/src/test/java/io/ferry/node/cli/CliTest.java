package io.ferry.node.cli;

import static io.ferry.node.cli.CliRun.ferry;
import static org.assertj.core.api.Assertions.assertThat;

import io.ferry.core.ErrorCode;
import io.ferry.core.identity.KeyFile;
import io.ferry.core.identity.NodeId;
import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.attribute.PosixFilePermissions;
import java.util.Arrays;
import java.util.regex.Matcher;
import java.util.regex.Pattern;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.ValueSource;

class CliTest {
  private static final Pattern NODE_ID_LINE = Pattern.compile("(?m)^node id:\\s+(\\S+)$");

  @TempDir Path tmp;

  private static String nodeIdIn(String out) {
    Matcher m = NODE_ID_LINE.matcher(out);
    assertThat(m.find()).as("a 'node id:' line in:%n%s", out).isTrue();
    return m.group(1);
  }

  @Test
  void helpListsEverySubcommand() {
    CliRun r = ferry("--help");
    assertThat(r.exitCode()).isZero();
    for (String sub : new String[] {"node", "demo", "state", "snapshot", "sync", "fetch"}) {
      assertThat(r.out()).containsPattern("(?m)^\\s+" + sub + "\\s");
    }
    assertThat(r.out()).contains("Usage: ferry").contains("Exit codes");
    assertThat(r.err()).isEmpty();
  }

  @Test
  void noArgumentsPrintsUsage() {
    CliRun r = ferry();
    assertThat(r.exitCode()).isZero();
    assertThat(r.out()).contains("Usage: ferry").containsPattern("(?m)^\\s+demo\\s");
  }

  @Test
  void subcommandHelp() {
    CliRun r = ferry("node", "--help");
    assertThat(r.exitCode()).isZero();
    assertThat(r.out()).contains("Usage: ferry node").contains("--data");
  }

  @Test
  void versionNamesFerryAndJava() {
    CliRun r = ferry("--version");
    assertThat(r.exitCode()).isZero();
    assertThat(r.out()).startsWith("ferry ");
    assertThat(r.out().lines().findFirst().orElseThrow()).matches("ferry \\d+\\.\\d+\\.\\d+.*");
    assertThat(r.out()).contains("Java " + Runtime.version().feature());
  }

  @Test
  void mainRunReturnsTheExitCode() {
    assertThat(Main.run("--version")).isZero();
    assertThat(Main.run("--no-such-option")).isEqualTo(ExitCodes.USAGE);
  }

  @ParameterizedTest
  @ValueSource(strings = {"--bogus", "-x", "node --bogus --data x", "demo --nope"})
  void unknownOptionIsUsageError(String args) {
    CliRun r = ferry(args.split(" "));
    assertThat(r.exitCode()).isEqualTo(2);
    assertThat(r.err()).contains("Unknown option");
    assertThat(r.out()).isEmpty();
  }

  @Test
  void unknownSubcommandIsUsageError() {
    CliRun r = ferry("frobnicate");
    assertThat(r.exitCode()).isEqualTo(2);
    assertThat(r.err()).contains("frobnicate");
  }

  @Test
  void syncWithoutItsRequiredOptionsIsUsageError() {
    CliRun r = ferry("sync", "--data", "x");
    assertThat(r.exitCode()).isEqualTo(2);
    assertThat(r.err()).contains("--peer").contains("--trust-root");
  }

  @Test
  void syncWithABadPeerAddressIsBadInput() {
    CliRun r = ferry("sync", "--data", "x", "--peer", "nohost", "--trust-root", "00".repeat(32));
    assertThat(r.exitCode()).isEqualTo(ExitCodes.BAD_INPUT);
    assertThat(r.err()).contains("[ID@]HOST:PORT");
  }

  @Test
  void nodeWithoutDataIsUsageError() {
    CliRun r = ferry("node", "--init");
    assertThat(r.exitCode()).isEqualTo(ExitCodes.BAD_INPUT);
    assertThat(r.err()).contains("--data");
  }

  @Test
  void demoRunsEndToEndAndEveryRootChecksOut() throws IOException {
    Path data = tmp.resolve("demo");
    CliRun r =
        ferry(
            "demo",
            "--data",
            data.toString(),
            "--keys",
            "20000",
            "--updates-per-commit",
            "100",
            "--commit-interval",
            "300",
            "--snapshot-interval",
            "5");
    assertThat(r.exitCode()).as(r.out() + r.err()).isZero();
    assertThat(r.out()).contains("demo: every root checked out").doesNotContain("DIFFERS");
    assertThat(countOf(r.out(), "= the producer's root at that height")).isEqualTo(3);
    assertThat(r.out()).contains("equals the producer's signed head at that height");
    assertThat(r.out()).contains("from 3 servers");
    for (String node : new String[] {"producer", "peer-1", "peer-2", "newcomer"}) {
      assertThat(data.resolve("run-1").resolve(node).resolve("logs/ferry.log")).isRegularFile();
    }
    assertThat(data.resolve("run-1/restored/state")).isDirectory();
  }

  @Test
  void nodeCreatesItsIdentityAndLogFile() throws IOException {
    Path data = tmp.resolve("node1");
    CliRun r = ferry("node", "--data", data.toString(), "--init");
    assertThat(r.exitCode()).as(r.err()).isZero();

    Path key = data.resolve("node.key");
    assertThat(key).isRegularFile();
    assertThat(PosixFilePermissions.toString(Files.getPosixFilePermissions(key)))
        .isEqualTo("rw-------");
    Path log = data.resolve("logs/ferry.log");
    assertThat(log).isRegularFile();

    NodeId id = KeyFile.load(key).id();
    assertThat(nodeIdIn(r.out())).isEqualTo(id.toString());
    assertThat(NodeId.parse(nodeIdIn(r.out()))).isEqualTo(id);
    assertThat(r.out()).contains("log file: " + data.resolve("logs").resolve("ferry.log"));
    assertThat(Files.readString(log, StandardCharsets.UTF_8)).contains("node " + id + " starting");
  }

  @Test
  void nodeKeepsItsIdentityAcrossRuns() throws IOException {
    Path data = tmp.resolve("node2");
    CliRun first = ferry("node", "--data", data.toString(), "--init");
    CliRun second = ferry("node", "--data", data.toString(), "--init");
    assertThat(first.exitCode()).isZero();
    assertThat(second.exitCode()).isZero();
    assertThat(nodeIdIn(second.out())).isEqualTo(nodeIdIn(first.out()));
    assertThat(nodeIdIn(second.out()))
        .isEqualTo(KeyFile.load(data.resolve("node.key")).id().toString());
  }

  @Test
  void eachNodeLogsToItsOwnFile() throws IOException {
    // Embedding runs several commands in one JVM: a node's log must not collect another's lines.
    Path a = tmp.resolve("a");
    Path b = tmp.resolve("b");
    String idA = nodeIdIn(ferry("node", "--data", a.toString(), "--init").out());
    String idB = nodeIdIn(ferry("node", "--data", b.toString(), "--init").out());
    assertThat(idA).isNotEqualTo(idB);
    String logA = Files.readString(a.resolve("logs/ferry.log"));
    String logB = Files.readString(b.resolve("logs/ferry.log"));
    assertThat(logA).contains(idA).doesNotContain(idB);
    assertThat(logB).contains(idB).doesNotContain(idA);
  }

  @Test
  void corruptKeyIsBadInput() throws IOException {
    Path data = Files.createDirectories(tmp.resolve("corrupt"));
    Path key = data.resolve("node.key");
    Files.writeString(key, "-----BEGIN PRIVATE KEY-----\nnonsense\n-----END PRIVATE KEY-----\n");
    Files.setPosixFilePermissions(key, PosixFilePermissions.fromString("rw-------"));
    byte[] before = Files.readAllBytes(key);

    CliRun r = ferry("node", "--data", data.toString(), "--init");
    assertThat(r.exitCode()).isEqualTo(3).isEqualTo(ExitCodes.BAD_INPUT);
    assertThat(r.err()).startsWith("ferry: ").contains(key.toString()).contains("not a valid");
    assertThat(r.err().lines().count()).isEqualTo(1);
    assertThat(r.out()).doesNotContain("node id");
    assertThat(Files.readAllBytes(key)).as("the key file is left alone").isEqualTo(before);
  }

  @Test
  void worldReadableKeyIsAFailureThatSaysWhatToDo() throws IOException {
    Path data = tmp.resolve("perm");
    assertThat(ferry("node", "--data", data.toString(), "--init").exitCode()).isZero();
    Path key = data.resolve("node.key");
    Files.setPosixFilePermissions(key, PosixFilePermissions.fromString("rw-r--r--"));
    CliRun r = ferry("node", "--data", data.toString(), "--init");
    assertThat(r.exitCode()).isEqualTo(ExitCodes.FAILURE);
    assertThat(r.err()).startsWith("ferry: ").contains("chmod 600");
  }

  @Test
  void exitCodesFollowTheDocumentedTable() {
    assertThat(ExitCodes.of(ErrorCode.INVALID_ARGUMENT)).isEqualTo(3);
    assertThat(ExitCodes.of(ErrorCode.INVALID_ENCODING)).isEqualTo(3);
    assertThat(ExitCodes.of(ErrorCode.LIMIT_EXCEEDED)).isEqualTo(3);
    assertThat(ExitCodes.of(ErrorCode.CORRUPT_DATA)).isEqualTo(3);
    assertThat(ExitCodes.of(ErrorCode.VERIFICATION_FAILED)).isEqualTo(4);
    assertThat(ExitCodes.of(ErrorCode.NOT_FOUND)).isEqualTo(5);
    assertThat(ExitCodes.of(ErrorCode.INSUFFICIENT_HISTORY)).isEqualTo(5);
    assertThat(ExitCodes.of(ErrorCode.UNAVAILABLE)).isEqualTo(6);
    assertThat(ExitCodes.of(ErrorCode.TIMEOUT)).isEqualTo(6);
    for (ErrorCode c :
        Arrays.asList(
            ErrorCode.PERMISSION_DENIED,
            ErrorCode.IO_ERROR,
            ErrorCode.ILLEGAL_STATE,
            ErrorCode.INTERNAL)) {
      assertThat(ExitCodes.of(c)).as(c.name()).isEqualTo(1);
    }
  }

  private static int countOf(String text, String word) {
    return text.split(Pattern.quote(word), -1).length - 1;
  }
}
