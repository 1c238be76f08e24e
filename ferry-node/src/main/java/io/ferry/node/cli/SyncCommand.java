package io.ferry.node.cli;

import picocli.CommandLine.Command;

/** {@code ferry sync}: sync a store from peers to a trusted root. */
@Command(
    name = "sync",
    mixinStandardHelpOptions = true,
    description = "Sync the state from peers to a trusted root with verified proofs.")
final class SyncCommand extends PlannedCommand {
  @Override
  String arrivesWith() {
    return "step 4, proof sync";
  }
}
