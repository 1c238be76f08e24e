package io.ferry.sync.snapshot.client;

import io.ferry.core.ErrorCode;
import io.ferry.core.FerryException;

/** Why a snapshot state sync ended without a restored state. */
public final class StateSyncException extends FerryException {
  private static final long serialVersionUID = 1L;

  /** The ways a sync fails, each with its error code. */
  public enum Reason {
    /** No trusted snapshot to offer within the snapshot wait. */
    NO_SNAPSHOTS(ErrorCode.NOT_FOUND),
    /** The application answered ABORT. */
    ABORTED(ErrorCode.ILLEGAL_STATE),
    /** The application threw, or a chunk could not be stored. */
    FAILED(ErrorCode.INTERNAL),
    /** The sync was closed before it ended. */
    CLOSED(ErrorCode.ILLEGAL_STATE);

    private final ErrorCode code;

    Reason(ErrorCode code) {
      this.code = code;
    }
  }

  private final Reason reason;

  public StateSyncException(Reason reason, String message) {
    super(reason.code, message);
    this.reason = reason;
  }

  public StateSyncException(Reason reason, String message, Throwable cause) {
    super(reason.code, message, cause);
    this.reason = reason;
  }

  public Reason reason() {
    return reason;
  }
}
