package io.ferry.node.cli;

import io.ferry.core.Hash;
import io.ferry.merkledb.MerkleDBConfig;
import io.ferry.snapshot.RestoreResult;
import io.ferry.snapshot.SnapshotRestorer;
import java.nio.file.Path;
import java.util.Optional;
import java.util.concurrent.Callable;
import picocli.CommandLine.Command;
import picocli.CommandLine.Option;
import picocli.CommandLine.Spec;

/** {@code ferry snapshot restore}: a full archive, and optionally an incremental, into DIR. */
@Command(
    name = "restore",
    mixinStandardHelpOptions = true,
    description = {
      "Restore a full archive (and an incremental on top) into an empty data directory.",
      "Every chunk is checked as it is read and the root against the manifest and --trust-root;"
          + " on any failure nothing is left behind. The root is printed last."
    })
final class SnapshotRestoreCommand implements Callable<Integer> {
  @Spec picocli.CommandLine.Model.CommandSpec spec;

  @Option(names = "--data", required = true, paramLabel = "DIR", description = "Data directory.")
  Path data;

  @Option(names = "--archive", required = true, paramLabel = "FILE", description = "Full archive.")
  Path archive;

  @Option(names = "--incremental", paramLabel = "FILE", description = "Incremental on top.")
  Path incremental;

  @Option(names = "--trust-root", paramLabel = "HEX", description = "The root to accept.")
  String trustRoot;

  @Override
  public Integer call() {
    FileChecks.readableFile(archive);
    if (incremental != null) {
      FileChecks.readableFile(incremental);
    }
    long started = System.nanoTime();
    RestoreResult r =
        new SnapshotRestorer(MerkleDBConfig.defaults())
            .restore(
                archive,
                Optional.ofNullable(incremental),
                data.resolve("state"),
                Optional.ofNullable(trustRoot).map(Hash::fromHex));
    double secs = (System.nanoTime() - started) / 1e9;
    spec.commandLine()
        .getErr()
        .printf(
            "restored height %d: %,d keys, %,d incremental changes in %.2f s%n",
            r.height(), r.keys(), r.changes(), secs);
    spec.commandLine().getOut().println(r.root().toHex());
    return ExitCodes.OK;
  }
}
