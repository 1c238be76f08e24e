package io.ferry.node.cli;

import java.io.IOException;
import java.io.InputStream;
import java.util.Properties;
import picocli.CommandLine.Command;
import picocli.CommandLine.IVersionProvider;
import picocli.CommandLine.Option;
import picocli.CommandLine.ScopeType;

/** The top of the command tree. */
@Command(
    name = "ferry",
    mixinStandardHelpOptions = true,
    versionProvider = FerryCommand.Version.class,
    description =
        "State synchronization between peers: verified snapshots, proofs, push and blocks.",
    subcommands = {
      NodeCommand.class,
      DemoCommand.class,
      StateCommand.class,
      SnapshotCommand.class,
      SyncCommand.class,
      FetchCommand.class,
      GossipCommand.class,
      BlocksCommand.class
    },
    footer = {
      "",
      "Exit codes: 0 ok, 1 failure, 2 usage, 3 bad input, 4 verification failed,",
      "5 not found, 6 unavailable, 7 output exists, 8 incomplete download. See docs/cli.md.",
      "",
      "bin/ferry sim runs whole nodes in the deterministic simulator, from the",
      "ferry-sim module, which is on no product class path: bin/ferry sim --help."
    })
final class FerryCommand implements Runnable {
  @Option(
      names = {"-v", "--verbose"},
      scope = ScopeType.INHERIT,
      description = "Log debug detail to stderr.")
  void setVerbose(boolean verbose) {
    this.verbose = verbose;
    Logging.setVerbose(verbose);
  }

  private boolean verbose;

  boolean verbose() {
    return verbose;
  }

  @picocli.CommandLine.Spec picocli.CommandLine.Model.CommandSpec spec;

  @Override
  public void run() {
    spec.commandLine().usage(spec.commandLine().getOut());
  }

  /** Reads the version Maven wrote into the jar. */
  static final class Version implements IVersionProvider {
    @Override
    public String[] getVersion() throws IOException {
      Properties p = new Properties();
      try (InputStream in =
          FerryCommand.class.getResourceAsStream("/io/ferry/node/version.properties")) {
        if (in != null) {
          p.load(in);
        }
      }
      return new String[] {
        "ferry " + p.getProperty("version", "unknown"),
        "Java " + Runtime.version() + " (" + System.getProperty("java.vendor") + ")"
      };
    }
  }
}
