package io.ferry.node.cli;

import io.ferry.core.ErrorCode;
import io.ferry.core.FerryException;
import io.ferry.merkledb.MerkleDB;
import io.ferry.snapshot.ArchiveFile;
import io.ferry.snapshot.SnapshotArchive;
import io.ferry.snapshot.SnapshotArchives;
import io.ferry.snapshot.SnapshotConfig;
import io.ferry.snapshot.SnapshotRetention;
import io.ferry.snapshot.SnapshotWriter;
import java.nio.file.Path;
import java.util.concurrent.Callable;
import picocli.CommandLine.Command;
import picocli.CommandLine.Mixin;
import picocli.CommandLine.Option;
import picocli.CommandLine.Spec;

/** {@code ferry snapshot create}: an archive of the state's head, full or incremental. */
@Command(
    name = "create",
    mixinStandardHelpOptions = true,
    description = {
      "Write an archive of the state's head into the archive directory; the path is printed last.",
      "With --incremental: the changes since the newest full archive there."
    })
final class SnapshotCreateCommand implements Callable<Integer> {
  @Spec picocli.CommandLine.Model.CommandSpec spec;
  @Mixin StoreOptions store;

  @Option(
      names = "--dir",
      paramLabel = "ARCHIVES",
      description = "Archive directory (default DIR/snapshots).")
  Path dir;

  @Option(names = "--incremental", description = "Archive the changes since the newest full one.")
  boolean incremental;

  @Option(
      names = "--zstd-level",
      paramLabel = "N",
      defaultValue = "3",
      description = "zstd level (default ${DEFAULT-VALUE}).")
  int level;

  @Option(
      names = "--chunk-size",
      paramLabel = "BYTES",
      defaultValue = "4194304",
      description = "Uncompressed bytes per chunk (default 4 MiB, at most 15 MiB).")
  int chunkSize;

  @Option(
      names = "--keep",
      paramLabel = "FULL,INCREMENTAL",
      defaultValue = "2,4",
      description = "Archives to keep afterwards (default ${DEFAULT-VALUE}).")
  String keep;

  @Override
  public Integer call() {
    Path out = dir != null ? dir : store.data.resolve("snapshots");
    SnapshotRetention retention = retention(keep); // checked before the archive is written
    SnapshotWriter writer =
        new SnapshotWriter(SnapshotConfig.defaults().withZstdLevel(level).withChunkSize(chunkSize));
    long started = System.nanoTime();
    SnapshotArchive archive;
    try (MerkleDB db = store.openExisting()) {
      FileChecks.directory(out);
      if (incremental) {
        ArchiveFile base =
            SnapshotArchives.newestFull(out)
                .orElseThrow(
                    () ->
                        new FerryException(
                            ErrorCode.NOT_FOUND, "no full archive in " + out + " to build on"));
        archive = writer.writeIncremental(db, db.revision(), base.path(), out);
      } else {
        archive = writer.writeFull(db, out);
      }
    }
    retention.apply(out);
    double secs = (System.nanoTime() - started) / 1e9;
    spec.commandLine()
        .getErr()
        .printf(
            "wrote %s: height %d, %,d bytes in %.2f s%n",
            archive.name(), archive.manifest().height(), archive.bytes(), secs);
    spec.commandLine().getOut().println(archive.path());
    return ExitCodes.OK;
  }

  private static SnapshotRetention retention(String keep) {
    String[] k = keep.split(",");
    try {
      if (k.length == 2) {
        return new SnapshotRetention(
            Integer.parseInt(k[0].strip()), Integer.parseInt(k[1].strip()));
      }
    } catch (NumberFormatException e) {
      // the same answer as a wrong count
    }
    throw new FerryException(
        ErrorCode.INVALID_ARGUMENT, "--keep takes FULL,INCREMENTAL, got '" + keep + "'");
  }
}
