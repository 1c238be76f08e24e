package io.ferry.node.cli;

import picocli.CommandLine.Command;

/** {@code ferry state}: tools for the local MerkleDB. */
@Command(
    name = "state",
    mixinStandardHelpOptions = true,
    description = "Inspect and change the local state: generate, import, root, get, proof.")
final class StateCommand extends PlannedCommand {
  @Override
  String arrivesWith() {
    return "step 2, MerkleDB";
  }
}
