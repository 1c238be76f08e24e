package io.ferry.node.cli;

import io.ferry.core.ErrorCode;

/** The exit codes of every ferry command, stable for scripts. Documented in docs/cli.md. */
public final class ExitCodes {
  private ExitCodes() {}

  public static final int OK = 0;

  /** Something failed that is not one of the cases below (I/O, a bug). */
  public static final int FAILURE = 1;

  /** The command line itself is wrong: unknown option, missing argument. */
  public static final int USAGE = 2;

  /** An input was malformed or out of limits: bad hex, bad JSON, a corrupt file. */
  public static final int BAD_INPUT = 3;

  /** Data did not verify: a proof, signature or root did not match what is trusted. */
  public static final int VERIFICATION_FAILED = 4;

  /** What was asked for does not exist: a missing data directory, key or root. */
  public static final int NOT_FOUND = 5;

  /** Peers or a feature are unavailable: nobody could serve, or this build lacks it. */
  public static final int UNAVAILABLE = 6;

  /** The output file exists and replacing it was not asked for ({@code fetch} without --force). */
  public static final int EXISTS = 7;

  /**
   * A download ended short: the server closed the connection before the body's announced length
   * ({@code blocks get} when the node's fetch from the network failed midway).
   */
  public static final int INCOMPLETE = 8;

  /** The exit code for a typed Ferry error. */
  public static int of(ErrorCode code) {
    return switch (code) {
      case INVALID_ARGUMENT, INVALID_ENCODING, LIMIT_EXCEEDED, CORRUPT_DATA -> BAD_INPUT;
      case VERIFICATION_FAILED -> VERIFICATION_FAILED;
      case NOT_FOUND, INSUFFICIENT_HISTORY -> NOT_FOUND;
      case UNAVAILABLE, TIMEOUT, UNSUPPORTED -> UNAVAILABLE;
      case PERMISSION_DENIED, IO_ERROR, ILLEGAL_STATE, INTERNAL -> FAILURE;
    };
  }
}
