package io.ferry.net;

import com.google.protobuf.ByteString;
import io.ferry.core.ErrorCode;
import io.ferry.core.identity.NodeId;

/**
 * A protocol's receiving side: called by the transport for each frame of its protocol. Calls come
 * on transport threads (one peer's frames in order); a handler must not block, and should hand slow
 * work to its own executor and answer through the {@link Responder} later. A handler that throws
 * answers the request with the exception's code ({@code INTERNAL} for non-Ferry exceptions).
 */
public interface ProtocolHandler {

  /** A one-way message from {@code from}. */
  default void onMessage(NodeId from, ByteString payload) {}

  /** A request from {@code from}; answer exactly once through {@code responder}. */
  default void onRequest(NodeId from, ByteString payload, Responder responder) {
    responder.fail(ErrorCode.UNSUPPORTED, "this protocol takes no requests");
  }
}
