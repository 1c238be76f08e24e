package io.ferry.node.cli;

import io.ferry.snapshot.ArchiveFile;
import io.ferry.snapshot.SnapshotArchives;
import java.io.PrintWriter;
import java.nio.file.Path;
import java.util.concurrent.Callable;
import picocli.CommandLine.Command;
import picocli.CommandLine.Option;
import picocli.CommandLine.Spec;

/** {@code ferry snapshot list}: the archives in a directory, newest first. */
@Command(
    name = "list",
    mixinStandardHelpOptions = true,
    description = "List the archives in a directory, newest first.")
final class SnapshotListCommand implements Callable<Integer> {
  @Spec picocli.CommandLine.Model.CommandSpec spec;

  @Option(
      names = "--dir",
      required = true,
      paramLabel = "ARCHIVES",
      description = "Archive directory (a node's is DIR/snapshots).")
  Path dir;

  @Override
  public Integer call() {
    // The library lists a missing directory as empty; here it is a mistaken path.
    FileChecks.readableDirectory(dir);
    PrintWriter out = spec.commandLine().getOut();
    out.printf("%-12s %10s %14s  %s%n", "kind", "height", "bytes", "file");
    for (ArchiveFile a : SnapshotArchives.list(dir)) {
      out.printf(
          "%-12s %10d %,14d  %s%n",
          a.kind().name().toLowerCase(java.util.Locale.ROOT),
          a.height(),
          a.bytes(),
          a.path().getFileName());
    }
    return ExitCodes.OK;
  }
}
