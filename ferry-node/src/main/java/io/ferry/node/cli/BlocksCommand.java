package io.ferry.node.cli;

import picocli.CommandLine.Command;
import picocli.CommandLine.Model.CommandSpec;
import picocli.CommandLine.Spec;

/** {@code ferry blocks}: put, get and list content-addressed datasets through a node. */
@Command(
    name = "blocks",
    mixinStandardHelpOptions = true,
    description = {
      "Put, get and list content-addressed datasets through a node's data API.",
      "A dataset is named by its manifest's CID; any node that holds it serves it."
    },
    subcommands = {BlocksPutCommand.class, BlocksGetCommand.class, BlocksListCommand.class})
final class BlocksCommand implements Runnable {
  @Spec CommandSpec spec;

  @Override
  public void run() {
    spec.commandLine().usage(spec.commandLine().getOut());
  }
}
