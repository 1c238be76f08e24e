package io.ferry.core;

/**
 * The one exception type Ferry throws for expected failures. Its {@link ErrorCode} says what kind
 * of failure it is, so callers branch on {@link #code()} rather than on message text; layers above
 * may subclass it to carry more detail (for example the exact reason a proof was rejected).
 *
 * <p>Unchecked because most failures propagate to a protocol boundary or the CLI, where they are
 * turned into an error envelope or an exit code.
 */
public class FerryException extends RuntimeException {
  private static final long serialVersionUID = 1L;

  private final ErrorCode code;

  public FerryException(ErrorCode code, String message) {
    super(message);
    this.code = code;
  }

  public FerryException(ErrorCode code, String message, Throwable cause) {
    super(message, cause);
    this.code = code;
  }

  public ErrorCode code() {
    return code;
  }

  @Override
  public String toString() {
    return code + ": " + getMessage();
  }
}
