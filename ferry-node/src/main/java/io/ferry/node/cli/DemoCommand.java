package io.ferry.node.cli;

import io.ferry.core.Hasher;
import io.ferry.core.identity.KeyFile;
import io.ferry.core.identity.NodeKey;
import java.io.PrintWriter;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.concurrent.Callable;
import picocli.CommandLine.Command;
import picocli.CommandLine.Model.CommandSpec;
import picocli.CommandLine.Option;
import picocli.CommandLine.Spec;

/**
 * {@code ferry demo}: the end-to-end demonstration. It grows with each step; for now it shows the
 * identity layer every protocol stands on: two nodes, key files, a signed message that verifies,
 * and a tampered one that does not.
 */
@Command(
    name = "demo",
    mixinStandardHelpOptions = true,
    description = "Run the end-to-end demo on this machine and print what happened.")
final class DemoCommand implements Callable<Integer> {
  @Spec CommandSpec spec;

  @Option(
      names = "--data",
      paramLabel = "DIR",
      description = "Work directory (default: a new temporary one).")
  Path data;

  @Override
  public Integer call() throws Exception {
    PrintWriter out = spec.commandLine().getOut();
    Path dir =
        data != null ? Files.createDirectories(data) : Files.createTempDirectory("ferry-demo");
    out.println("ferry demo in " + dir);

    NodeKey alice = KeyFile.loadOrCreate(dir.resolve("alice/node.key"));
    NodeKey bob = KeyFile.loadOrCreate(dir.resolve("bob/node.key"));
    out.println(
        "  node alice: "
            + alice.id()
            + "  (key file mode "
            + java.nio.file.attribute.PosixFilePermissions.toString(
                Files.getPosixFilePermissions(dir.resolve("alice/node.key")))
            + ")");
    out.println("  node bob:   " + bob.id());

    byte[] commit = "height=1 put k1=v1".getBytes(StandardCharsets.UTF_8);
    byte[] signature = alice.sign(commit);
    out.println("  alice signs a commit, sha256 " + Hasher.sha256().hash(commit));
    boolean good = alice.id().verify(commit, signature);
    out.println("  bob verifies it against alice's id: " + (good ? "valid" : "INVALID"));
    byte[] tampered = commit.clone();
    tampered[tampered.length - 1] ^= 1;
    boolean forged = alice.id().verify(tampered, signature);
    out.println("  a tampered copy:                    " + (forged ? "VALID (bug!)" : "rejected"));
    boolean wrongSigner = bob.id().verify(commit, signature);
    out.println(
        "  the same signature under bob's id:  " + (wrongSigner ? "VALID (bug!)" : "rejected"));
    return good && !forged && !wrongSigner ? ExitCodes.OK : ExitCodes.VERIFICATION_FAILED;
  }
}
