package io.ferry.node.cli;

import java.util.concurrent.Callable;
import picocli.CommandLine.Model.CommandSpec;
import picocli.CommandLine.Spec;

/**
 * A command whose place in the tree is fixed but whose work lands in a later step. It says so and
 * exits with {@link ExitCodes#UNAVAILABLE}, so a script can tell "not here yet" from a failure.
 */
abstract class PlannedCommand implements Callable<Integer> {
  @Spec CommandSpec spec;

  /** Which roadmap step brings this command. */
  abstract String arrivesWith();

  @Override
  public Integer call() {
    spec.commandLine()
        .getErr()
        .println(
            "ferry "
                + spec.qualifiedName(" ").replaceFirst("^ferry ", "")
                + ": not available in this build yet (arrives with "
                + arrivesWith()
                + ").");
    return ExitCodes.UNAVAILABLE;
  }
}
