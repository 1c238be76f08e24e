package io.ferry.net;

import io.ferry.core.ErrorCode;
import io.ferry.core.FerryException;

/**
 * Why a send, request or connect failed. {@link #failure()} is the kind protocols branch on; for
 * {@link Failure#REMOTE} and {@link Failure#REFUSED} by the peer, {@link #code()} is the code the
 * peer sent.
 */
public final class TransportException extends FerryException {
  private static final long serialVersionUID = 1L;

  /** The kinds of transport failure. */
  public enum Failure {
    /** No answer within the deadline. */
    TIMEOUT,
    /** Not connected, or the connection closed before the answer came. */
    DISCONNECTED,
    /** The peer (or our own peer policy) would not take it: handshake, ban, unknown protocol. */
    REFUSED,
    /** The peer's handler answered with an error. */
    REMOTE,
    /** Too much already in flight or buffered for this peer; retry later or elsewhere. */
    OVERLOADED
  }

  private final Failure failure;

  public TransportException(Failure failure, ErrorCode code, String message) {
    super(code, message);
    this.failure = failure;
  }

  public TransportException(Failure failure, ErrorCode code, String message, Throwable cause) {
    super(code, message, cause);
    this.failure = failure;
  }

  public Failure failure() {
    return failure;
  }

  public static TransportException timeout(String message) {
    return new TransportException(Failure.TIMEOUT, ErrorCode.TIMEOUT, message);
  }

  public static TransportException disconnected(String message) {
    return new TransportException(Failure.DISCONNECTED, ErrorCode.UNAVAILABLE, message);
  }

  public static TransportException refused(ErrorCode code, String message) {
    return new TransportException(Failure.REFUSED, code, message);
  }

  public static TransportException overloaded(String message) {
    return new TransportException(Failure.OVERLOADED, ErrorCode.LIMIT_EXCEEDED, message);
  }

  @Override
  public String toString() {
    return failure + " (" + code() + "): " + getMessage();
  }
}
