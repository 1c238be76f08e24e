package io.ferry.node.cli;

import picocli.CommandLine;

/** Entry point of the {@code ferry} command. */
public final class Main {
  private Main() {}

  public static void main(String[] args) {
    System.exit(run(args));
  }

  /** Runs the CLI and returns its exit code (see {@link ExitCodes}); for tests and embedding. */
  public static int run(String... args) {
    return commandLine().execute(args);
  }

  /** The configured command tree: failures become a one-line message and an exit code. */
  public static CommandLine commandLine() {
    CommandLine cli = new CommandLine(new FerryCommand());
    cli.setExecutionExceptionHandler(new FailureHandler());
    return cli;
  }
}
