package io.ferry.net.engine;

import com.google.protobuf.ByteString;
import io.ferry.core.ErrorCode;
import io.ferry.net.ProtocolId;
import io.ferry.net.Responder;
import io.ferry.wire.v1.Envelope;
import io.ferry.wire.v1.Error;
import io.ferry.wire.v1.Kind;
import java.util.ArrayList;
import java.util.List;

/** The {@link Responder} of one request a peer sent us. Thread-safe; answers at most once. */
final class InboundRequest implements Responder {
  private final Engine engine;
  final Engine.Session session;
  final ProtocolId protocol;
  final long id;
  private boolean answered; // guarded by this
  private boolean cancelled; // guarded by this
  private List<Runnable> onCancel; // guarded by this

  InboundRequest(Engine engine, Engine.Session session, ProtocolId protocol, long id) {
    this.engine = engine;
    this.session = session;
    this.protocol = protocol;
    this.id = id;
  }

  @Override
  public void respond(ByteString payload) {
    if (claim()) {
      engine.answer(
          this,
          Envelope.newBuilder()
              .setProtocolValue(protocol.value())
              .setKind(Kind.KIND_RESPONSE)
              .setRequestId(id)
              .setPayload(payload)
              .build());
    }
  }

  @Override
  public void fail(ErrorCode code, String message) {
    if (claim()) {
      engine.answer(
          this,
          Envelope.newBuilder()
              .setProtocolValue(protocol.value())
              .setKind(Kind.KIND_ERROR)
              .setRequestId(id)
              .setError(Error.newBuilder().setCode(code.wireValue()).setMessage(message))
              .build());
    }
  }

  private synchronized boolean claim() {
    if (answered || cancelled) {
      return false;
    }
    answered = true;
    return true;
  }

  @Override
  public synchronized boolean isCancelled() {
    return cancelled;
  }

  @Override
  public void onCancel(Runnable action) {
    synchronized (this) {
      if (!cancelled) {
        if (onCancel == null) {
          onCancel = new ArrayList<>(1);
        }
        onCancel.add(action);
        return;
      }
    }
    action.run();
  }

  void cancel() {
    List<Runnable> actions;
    synchronized (this) {
      if (cancelled || answered) {
        return;
      }
      cancelled = true;
      actions = onCancel == null ? List.of() : onCancel;
      onCancel = null;
    }
    actions.forEach(Runnable::run);
  }
}
