package io.ferry.node.cli;

import static io.ferry.node.cli.CliRun.ferry;
import static org.assertj.core.api.Assertions.assertThat;

import java.io.IOException;
import java.net.InetAddress;
import java.net.ServerSocket;
import java.nio.file.Files;
import java.nio.file.Path;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;
import org.junit.jupiter.api.io.TempDir;

/**
 * An operator's mistakes get one line naming what is wrong and the documented exit code, never
 * "unexpected error" or a stack trace. Tests run as root here, and root reads a mode-000 file, so
 * an unreadable file is a directory given where a file is expected (a refused read is covered by
 * {@link FailureHandlerTest} and {@code IoErrorsTest} with real AccessDeniedExceptions).
 */
@Timeout(60)
class OperatorErrorsTest {
  private static final String ROOT = "11".repeat(32);

  @TempDir Path tmp;

  /** Runs the command and checks it failed with {@code exitCode} and exactly this one line. */
  private static CliRun fails(int exitCode, String message, String... args) {
    CliRun r = ferry(args);
    assertThat(r.err()).isEqualTo("ferry: " + message + System.lineSeparator());
    assertThat(r.exitCode()).as(r.err()).isEqualTo(exitCode);
    return r;
  }

  private static ServerSocket takePort() throws IOException {
    return new ServerSocket(0, 1, InetAddress.getLoopbackAddress());
  }

  private Path dir(String name) throws IOException {
    return Files.createDirectories(tmp.resolve(name));
  }

  private Path file(String name) throws IOException {
    return Files.writeString(tmp.resolve(name), "x");
  }

  private String store() {
    String data = tmp.resolve("s").toString();
    assertThat(ferry("state", "generate", "--data", data, "--keys", "10").exitCode()).isZero();
    return data;
  }

  private String node() {
    return tmp.resolve("n").toString();
  }

  // ---- ports and hosts

  @Test
  void nodeOnAP2pPortInUse() throws IOException {
    try (ServerSocket taken = takePort()) {
      int port = taken.getLocalPort();
      fails(
          ExitCodes.FAILURE,
          "cannot listen for peers on 127.0.0.1:" + port + ": address already in use",
          "node",
          "--data",
          node(),
          "--p2p",
          "127.0.0.1:" + port,
          "--http",
          "off");
    }
  }

  @Test
  void nodeOnAnHttpPortInUse() throws IOException {
    try (ServerSocket taken = takePort()) {
      int port = taken.getLocalPort();
      fails(
          ExitCodes.FAILURE,
          "cannot listen for HTTP on 127.0.0.1:" + port + ": address already in use",
          "node",
          "--data",
          node(),
          "--p2p",
          "127.0.0.1:0",
          "--http",
          "127.0.0.1:" + port);
    }
  }

  @Test
  void snapshotServeOnABusyPort() throws IOException {
    try (ServerSocket taken = takePort()) {
      int port = taken.getLocalPort();
      fails(
          ExitCodes.FAILURE,
          "cannot listen for HTTP on 127.0.0.1:" + port + ": address already in use",
          "snapshot",
          "serve",
          "--dir",
          dir("archives").toString(),
          "--http",
          "127.0.0.1:" + port);
    }
  }

  @Test
  void nodeWithAnUnresolvableP2pHost() {
    fails(
        ExitCodes.BAD_INPUT,
        "p2p: unknown host 'nosuch.invalid'",
        "node",
        "--data",
        node(),
        "--p2p",
        "nosuch.invalid:0",
        "--http",
        "off");
  }

  @Test
  void snapshotServeWithAnUnresolvableHost() throws IOException {
    fails(
        ExitCodes.BAD_INPUT,
        "--http: unknown host 'nosuch.invalid'",
        "snapshot",
        "serve",
        "--dir",
        dir("archives").toString(),
        "--http",
        "nosuch.invalid:0");
  }

  // ---- the node's files

  @Test
  void aMissingConfigFileIsNotFoundWithTheReason() {
    Path config = tmp.resolve("missing.toml");
    fails(
        ExitCodes.NOT_FOUND,
        "cannot read " + config + ": no such file or directory",
        "node",
        "--config",
        config.toString(),
        "--data",
        node());
  }

  @Test
  void anUnreadableConfigIsAnIoError() throws IOException {
    Path notAFile = dir("config.toml");
    fails(
        ExitCodes.FAILURE,
        "cannot read " + notAFile + ": is a directory",
        "node",
        "--config",
        notAFile.toString(),
        "--data",
        node());
  }

  @Test
  void anUnreadableKeyFileIsAnIoErrorNotItsPermissions() throws IOException {
    Path keyDir = dir("node.key");
    fails(
        ExitCodes.FAILURE,
        "cannot read key file " + keyDir + ": is a directory",
        "node",
        "--data",
        node(),
        "--key",
        keyDir.toString(),
        "--init");
  }

  @Test
  void nodeDataThatIsAFile() throws IOException {
    Path data = file("data");
    fails(
        ExitCodes.FAILURE,
        "cannot create directory " + data + ": a file of that name is in the way",
        "node",
        "--data",
        data.toString(),
        "--init");
  }

  @Test
  void syncDataThatIsAFile() throws IOException {
    Path data = file("data");
    fails(
        ExitCodes.FAILURE,
        "cannot create directory " + data + ": a file of that name is in the way",
        "sync",
        "--data",
        data.toString(),
        "--peer",
        "127.0.0.1:1",
        "--trust-root",
        ROOT);
  }

  // ---- snapshots

  @Test
  void snapshotListOfAMissingDirectoryIsNotFound() {
    Path missing = tmp.resolve("missing");
    CliRun r =
        fails(
            ExitCodes.NOT_FOUND,
            "cannot read " + missing + ": no such file or directory",
            "snapshot",
            "list",
            "--dir",
            missing.toString());
    assertThat(r.out()).as("no table header for a directory that is not there").isEmpty();
  }

  @Test
  void snapshotListOfAFile() throws IOException {
    Path notADir = file("archives");
    fails(
        ExitCodes.FAILURE,
        "cannot read " + notADir + ": not a directory",
        "snapshot",
        "list",
        "--dir",
        notADir.toString());
  }

  @Test
  void snapshotServeOfAMissingDirectoryIsNotFound() {
    Path missing = tmp.resolve("missing");
    fails(
        ExitCodes.NOT_FOUND,
        "cannot read " + missing + ": no such file or directory",
        "snapshot",
        "serve",
        "--dir",
        missing.toString(),
        "--http",
        "127.0.0.1:0");
  }

  @Test
  void snapshotServeOfAMissingGenesisIsNotFound() throws IOException {
    Path missing = tmp.resolve("genesis.tar.bz2");
    fails(
        ExitCodes.NOT_FOUND,
        "cannot read " + missing + ": no such file or directory",
        "snapshot",
        "serve",
        "--dir",
        dir("archives").toString(),
        "--genesis",
        missing.toString(),
        "--http",
        "127.0.0.1:0");
  }

  @Test
  void snapshotRestoreOfAnUnreadableArchiveIsAnIoErrorNotCorrupt() throws IOException {
    Path notAFile = dir("snapshot-1-11111111111111111111111111111111.tar.zst");
    Path data = tmp.resolve("restored");
    fails(
        ExitCodes.FAILURE,
        "cannot read " + notAFile + ": is a directory",
        "snapshot",
        "restore",
        "--data",
        data.toString(),
        "--archive",
        notAFile.toString());
    assertThat(data.resolve("state")).doesNotExist();
  }

  @Test
  void snapshotRestoreOfAnUnreadableIncrementalIsAnIoErrorNotCorrupt() throws IOException {
    Path notAFile = dir("incremental.tar.zst");
    Path data = tmp.resolve("restored");
    fails(
        ExitCodes.FAILURE,
        "cannot read " + notAFile + ": is a directory",
        "snapshot",
        "restore",
        "--data",
        data.toString(),
        "--archive",
        file("full.tar.zst").toString(),
        "--incremental",
        notAFile.toString());
    assertThat(data.resolve("state")).doesNotExist();
  }

  @Test
  void snapshotCreateIntoAFile() throws IOException {
    String data = store();
    Path notADir = file("archives");
    fails(
        ExitCodes.FAILURE,
        "cannot create directory " + notADir + ": a file of that name is in the way",
        "snapshot",
        "create",
        "--data",
        data,
        "--dir",
        notADir.toString());
  }

  @Test
  void aKeepThatIsNotTwoNumbersIsRefusedBeforeAnyArchiveIsWritten() {
    String data = store();
    Path archives = tmp.resolve("archives");
    fails(
        ExitCodes.BAD_INPUT,
        "--keep takes FULL,INCREMENTAL, got 'a,b'",
        "snapshot",
        "create",
        "--data",
        data,
        "--dir",
        archives.toString(),
        "--keep",
        "a,b");
    assertThat(archives).as("no archive was written").doesNotExist();
  }

  @Test
  void aKeepOfNoFullArchiveIsRefusedBeforeAnyArchiveIsWritten() {
    String data = store();
    Path archives = tmp.resolve("archives");
    fails(
        ExitCodes.BAD_INPUT,
        "keep at least one full archive and zero or more incrementals, not 0 and 1",
        "snapshot",
        "create",
        "--data",
        data,
        "--dir",
        archives.toString(),
        "--keep",
        "0,1");
    assertThat(archives).as("no archive was written").doesNotExist();
  }

  // ---- state tools

  @Test
  void stateImportFromADirectory() throws IOException {
    Path notAFile = dir("changes.jsonl");
    fails(
        ExitCodes.FAILURE,
        "cannot read " + notAFile + ": is a directory",
        "state",
        "import",
        "--data",
        tmp.resolve("s").toString(),
        "--jsonl",
        notAFile.toString());
  }

  @Test
  void stateProofIntoADirectory() throws IOException {
    String data = store();
    Path outDir = dir("proof.bin");
    fails(
        ExitCodes.FAILURE,
        "cannot write " + outDir + ": is a directory",
        "state",
        "proof",
        "--data",
        data,
        "--out",
        outDir.toString());
  }

  @Test
  void stateProofIntoAMissingDirectoryIsNotFound() {
    String data = store();
    Path noParent = tmp.resolve("nowhere/proof.bin");
    fails(
        ExitCodes.NOT_FOUND,
        "cannot write " + noParent + ": no such file or directory",
        "state",
        "proof",
        "--data",
        data,
        "--out",
        noParent.toString());
  }
}
