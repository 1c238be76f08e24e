package io.ferry.node.cli;

import picocli.CommandLine.Command;
import picocli.CommandLine.Model.CommandSpec;
import picocli.CommandLine.Spec;

/**
 * {@code ferry state}: tools for the local MerkleDB. Every subcommand that commits or reads a root
 * prints it as 64 lowercase hex digits on the last line of standard output.
 */
@Command(
    name = "state",
    mixinStandardHelpOptions = true,
    description = "Inspect and change the local state: generate, import, root, get, proof.",
    subcommands = {
      StateGenerateCommand.class,
      StateImportCommand.class,
      StateRootCommand.class,
      StateGetCommand.class,
      StateProofCommand.class
    })
final class StateCommand implements Runnable {
  @Spec CommandSpec spec;

  @Override
  public void run() {
    spec.commandLine().usage(spec.commandLine().getOut());
  }
}
