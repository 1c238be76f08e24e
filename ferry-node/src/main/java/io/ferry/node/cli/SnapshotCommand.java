package io.ferry.node.cli;

import picocli.CommandLine.Command;
import picocli.CommandLine.Model.CommandSpec;
import picocli.CommandLine.Spec;

/** {@code ferry snapshot}: create, list, restore and serve snapshot archives. */
@Command(
    name = "snapshot",
    mixinStandardHelpOptions = true,
    description = "Create, list, restore and serve snapshot archives of the state.",
    subcommands = {
      SnapshotCreateCommand.class,
      SnapshotListCommand.class,
      SnapshotRestoreCommand.class,
      SnapshotServeCommand.class
    })
final class SnapshotCommand implements Runnable {
  @Spec CommandSpec spec;

  @Override
  public void run() {
    spec.commandLine().usage(spec.commandLine().getOut());
  }
}
