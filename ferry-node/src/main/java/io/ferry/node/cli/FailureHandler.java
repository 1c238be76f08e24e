package io.ferry.node.cli;

import io.ferry.core.FerryException;
import io.ferry.core.IoErrors;
import java.io.IOException;
import java.io.PrintWriter;
import java.io.UncheckedIOException;
import java.nio.file.FileSystemException;
import picocli.CommandLine;
import picocli.CommandLine.IExecutionExceptionHandler;
import picocli.CommandLine.ParseResult;

/**
 * Turns what a command throws into one line on standard error and an exit code ({@link ExitCodes}):
 * a typed error by its code; an I/O failure no command foresaw by its reason, since it is still the
 * operator's to fix; anything else is "unexpected". {@code -v} adds the stack trace.
 */
final class FailureHandler implements IExecutionExceptionHandler {
  @Override
  public int handleExecutionException(Exception e, CommandLine cli, ParseResult parsed) {
    PrintWriter err = cli.getErr();
    if (e instanceof FerryException fe) {
      err.println("ferry: " + fe.getMessage());
      return ExitCodes.of(fe.code());
    }
    int code = ExitCodes.FAILURE;
    IOException io = ioFailure(e);
    if (io != null) {
      err.println("ferry: " + describe(io));
      code = ExitCodes.of(IoErrors.code(io));
    } else {
      err.println("ferry: unexpected error: " + e);
    }
    if (verbose(cli)) {
      e.printStackTrace(err);
    }
    return code;
  }

  private static IOException ioFailure(Exception e) {
    return switch (e) {
      case IOException io -> io;
      case UncheckedIOException u -> u.getCause();
      default -> null;
    };
  }

  /** "FILE: reason" (or "FILE -> OTHER: reason" for a move), else the reason alone. */
  static String describe(IOException e) {
    if (e instanceof FileSystemException f && f.getFile() != null) {
      String where =
          f.getOtherFile() == null ? f.getFile() : f.getFile() + " -> " + f.getOtherFile();
      return where + ": " + IoErrors.reason(e);
    }
    return IoErrors.reason(e);
  }

  /** True if -v was given anywhere on the command line (it is inherited by subcommands). */
  private static boolean verbose(CommandLine failed) {
    CommandLine top = failed;
    while (top.getParent() != null) {
      top = top.getParent();
    }
    return top.getCommand() instanceof FerryCommand f && f.verbose();
  }
}
