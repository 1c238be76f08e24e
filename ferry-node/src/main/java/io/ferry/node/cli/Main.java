package io.ferry.node.cli;

import io.ferry.core.FerryException;
import picocli.CommandLine;

/** Entry point of the {@code ferry} command. */
public final class Main {
  private Main() {}

  public static void main(String[] args) {
    System.exit(run(args));
  }

  /** Runs the CLI and returns its exit code (see {@link ExitCodes}); for tests and embedding. */
  /** True if -v was given anywhere on the command line (it is inherited by subcommands). */
  private static boolean verbose(picocli.CommandLine failed) {
    picocli.CommandLine top = failed;
    while (top.getParent() != null) {
      top = top.getParent();
    }
    return top.getCommand() instanceof FerryCommand f && f.verbose();
  }

  public static int run(String... args) {
    return commandLine().execute(args);
  }

  /** The configured command tree: typed errors become a one-line message and an exit code. */
  public static CommandLine commandLine() {
    CommandLine cli = new CommandLine(new FerryCommand());
    cli.setExecutionExceptionHandler(
        (e, commandLine, parseResult) -> {
          if (e instanceof FerryException fe) {
            commandLine.getErr().println("ferry: " + fe.getMessage());
            return ExitCodes.of(fe.code());
          }
          commandLine.getErr().println("ferry: unexpected error: " + e);
          if (verbose(commandLine)) {
            e.printStackTrace(commandLine.getErr());
          }
          return ExitCodes.FAILURE;
        });
    return cli;
  }
}
