package io.ferry.node.cli;

import picocli.CommandLine.Command;

/** {@code ferry snapshot}: create, list and verify snapshot archives. */
@Command(
    name = "snapshot",
    mixinStandardHelpOptions = true,
    description = "Create, list, verify and restore snapshot archives of the state.")
final class SnapshotCommand extends PlannedCommand {
  @Override
  String arrivesWith() {
    return "step 5, snapshots and the HTTP snapshot service";
  }
}
