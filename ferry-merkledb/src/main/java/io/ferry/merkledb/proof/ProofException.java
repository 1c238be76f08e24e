package io.ferry.merkledb.proof;

import io.ferry.core.ErrorCode;
import io.ferry.core.FerryException;

/**
 * A proof failed verification, or could not be generated; {@link #reason()} says exactly why. The
 * error code is {@link ErrorCode#VERIFICATION_FAILED}, except {@link
 * ProofError#MIN_PROOF_SIZE_TOO_LARGE} (a limit) and {@link ProofError#START_AFTER_END} (a bad
 * request).
 */
public final class ProofException extends FerryException {
  private static final long serialVersionUID = 1L;

  private final ProofError reason;

  public ProofException(ProofError reason, String message) {
    super(codeOf(reason), reason + ": " + message);
    this.reason = reason;
  }

  private static ErrorCode codeOf(ProofError reason) {
    return switch (reason) {
      case MIN_PROOF_SIZE_TOO_LARGE -> ErrorCode.LIMIT_EXCEEDED;
      case START_AFTER_END -> ErrorCode.INVALID_ARGUMENT;
      default -> ErrorCode.VERIFICATION_FAILED;
    };
  }

  public ProofError reason() {
    return reason;
  }
}
