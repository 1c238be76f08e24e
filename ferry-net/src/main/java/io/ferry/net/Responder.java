package io.ferry.net;

import com.google.protobuf.ByteString;
import io.ferry.core.ErrorCode;

/**
 * Answers one request. The first call to {@link #respond} or {@link #fail} wins; later calls are
 * ignored, as are answers after the requester cancelled or disconnected. Thread-safe.
 */
public interface Responder {

  void respond(ByteString payload);

  /** Sends a typed error back to the requester. */
  void fail(ErrorCode code, String message);

  /** Whether the requester cancelled, timed out on our side of the wire, or went away. */
  boolean isCancelled();

  /** Runs {@code action} once if the request is cancelled (at once if it already is). */
  void onCancel(Runnable action);
}
