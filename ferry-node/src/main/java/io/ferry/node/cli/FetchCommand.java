package io.ferry.node.cli;

import picocli.CommandLine.Command;

/** {@code ferry fetch}: download a snapshot archive from peers. */
@Command(
    name = "fetch",
    mixinStandardHelpOptions = true,
    description = "Download snapshot archives from peers over HTTP, in parallel and resumable.")
final class FetchCommand extends PlannedCommand {
  @Override
  String arrivesWith() {
    return "step 5, snapshots and the HTTP snapshot service";
  }
}
