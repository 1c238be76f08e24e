package io.ferry.node.cli;

import io.ferry.core.identity.KeyFile;
import io.ferry.core.identity.NodeKey;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.concurrent.Callable;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;
import picocli.CommandLine.Command;
import picocli.CommandLine.Model.CommandSpec;
import picocli.CommandLine.Option;
import picocli.CommandLine.ParentCommand;
import picocli.CommandLine.Spec;

/**
 * {@code ferry node}: runs a node on a data directory. In this build it sets up the node's identity
 * and log file; serving and syncing are added step by step.
 */
@Command(
    name = "node",
    mixinStandardHelpOptions = true,
    description = "Run a node: its identity and logs live in the data directory.")
final class NodeCommand implements Callable<Integer> {
  private static final Logger log = LoggerFactory.getLogger(NodeCommand.class);

  @Spec CommandSpec spec;
  @ParentCommand FerryCommand parent;

  @Option(names = "--data", required = true, paramLabel = "DIR", description = "Data directory.")
  Path data;

  @Override
  public Integer call() throws Exception {
    Files.createDirectories(data);
    Path logFile = Logging.logToFile(data.resolve("logs"), parent.verbose());
    NodeKey key = KeyFile.loadOrCreate(data.resolve("node.key"));
    log.info("node {} starting with data directory {}", key.id(), data.toAbsolutePath());
    var out = spec.commandLine().getOut();
    out.println("node id:  " + key.id());
    out.println("log file: " + logFile);
    spec.commandLine()
        .getErr()
        .println("ferry node: serving arrives with step 4 (proof sync); identity is ready.");
    return ExitCodes.OK;
  }
}
