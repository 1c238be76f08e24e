package io.ferry.node.cli;

import picocli.CommandLine.Option;

/** The {@code --node} option of the {@code ferry blocks} commands, and the client it names. */
final class DataNodeOption {
  @Option(
      names = "--node",
      paramLabel = "URL",
      defaultValue = DataClient.DEFAULT_NODE,
      description = "The node's HTTP service (default ${DEFAULT-VALUE}).")
  String url;

  /** A client of that node's data API. */
  DataClient client() {
    return new DataClient(url);
  }
}
