package io.ferry.sim;

import com.google.protobuf.ByteString;
import io.ferry.core.Hash;
import io.ferry.wire.v1.Envelope;
import java.nio.ByteBuffer;
import java.nio.charset.StandardCharsets;
import java.security.MessageDigest;
import java.security.NoSuchAlgorithmException;
import java.util.ArrayDeque;
import java.util.ArrayList;
import java.util.List;
import java.util.Locale;
import java.util.function.Consumer;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * The ordered record of everything the simulated network did: frames sent, delivered, dropped and
 * tampered with, connections dialled, opened and closed, crashes, restarts, partitions; and what
 * checkers observed of the nodes ({@link Kind#OBSERVE}). Its {@link #hash()} is a SHA-256 over
 * every event in order (virtual time, kind, nodes, protocol, frame kind, request id, payload bytes,
 * detail), so two runs did the same thing exactly when their hashes are equal.
 *
 * <p>Keeps the last {@value #RECENT} events for failure reports. Single-threaded, like the whole
 * simulator.
 */
public final class Trace {
  private static final Logger log = LoggerFactory.getLogger(Trace.class);
  private static final int RECENT = 64;

  /** What happened. */
  public enum Kind {
    /** A frame was handed to a link. */
    SEND,
    /** A frame reached its receiver. */
    DELIVER,
    /** A frame was lost; the event's detail says why (loss, partition, closed, down, ...). */
    DROP,
    /** An interceptor changed a frame before delivery. */
    TAMPER,
    /** A connection end opened (the handshake reached it). */
    OPEN,
    /** A connection end closed; the detail is the reason. */
    CLOSE,
    /** A connection end was reset: its peer no longer knew the connection. */
    RESET,
    CRASH,
    STOP,
    START,
    PARTITION,
    HEAL,
    /**
     * What a checker found on a node, such as an archive it wrote (the detail names it), recorded
     * so that the trace hash covers it too.
     */
    OBSERVE
  }

  /**
   * One event. {@code from} and {@code to} are node names; {@code protocol}, {@code frameKind} and
   * {@code requestId} are those of the frame's envelope, zero for events without a frame.
   */
  public record Event(
      long nanos,
      Kind kind,
      String from,
      String to,
      int protocol,
      int frameKind,
      long requestId,
      int payloadBytes,
      String detail) {
    @Override
    public String toString() {
      StringBuilder b = new StringBuilder();
      b.append(String.format(Locale.ROOT, "%.6fs %s %s", nanos / 1e9, kind, from));
      if (!to.isEmpty()) {
        b.append("->").append(to);
      }
      if (protocol != 0 || frameKind != 0) {
        b.append(" p=").append(protocol).append(" k=").append(frameKind);
        b.append(" id=").append(requestId).append(" bytes=").append(payloadBytes);
      }
      if (!detail.isEmpty()) {
        b.append(" (").append(detail).append(')');
      }
      return b.toString();
    }
  }

  private final MessageDigest digest;
  private final ByteBuffer header = ByteBuffer.allocate(40);
  private final ArrayDeque<Event> recent = new ArrayDeque<>(RECENT);
  private final List<Consumer<Event>> listeners = new ArrayList<>();
  private long count;

  Trace() {
    try {
      digest = MessageDigest.getInstance("SHA-256");
    } catch (NoSuchAlgorithmException e) {
      throw new IllegalStateException("SHA-256 is missing from this JDK", e);
    }
  }

  /** Calls {@code listener} with every later event, in order (for debugging and tests). */
  public void addListener(Consumer<Event> listener) {
    listeners.add(listener);
  }

  /** Events recorded so far. */
  public long count() {
    return count;
  }

  /** The last events, oldest first. */
  public List<Event> recent() {
    return List.copyOf(recent);
  }

  /**
   * The SHA-256 over every event so far, in order. Reading it does not end the trace: later events
   * extend the same running hash.
   */
  public Hash hash() {
    try {
      return Hash.wrap(((MessageDigest) digest.clone()).digest());
    } catch (CloneNotSupportedException e) {
      throw new IllegalStateException("SHA-256 digest cannot be cloned", e);
    }
  }

  void record(long nanos, Kind kind, String from, String to, String detail) {
    record(nanos, kind, from, to, null, detail);
  }

  void record(long nanos, Kind kind, String from, String to, Envelope env, String detail) {
    int protocol = env == null ? 0 : env.getProtocolValue();
    int frameKind = env == null ? 0 : env.getKindValue();
    long requestId = env == null ? 0 : env.getRequestId();
    ByteString payload = env == null ? ByteString.EMPTY : env.getPayload();
    header.clear();
    header.putLong(nanos).putInt(kind.ordinal()).putInt(protocol).putInt(frameKind);
    header.putLong(requestId).putInt(payload.size());
    if (env != null && env.hasError()) {
      header.putInt(env.getError().getCode());
      detail = detail.isEmpty() ? env.getError().getMessage() : detail;
    } else {
      header.putInt(0);
    }
    digest.update(header.array(), 0, header.position());
    updateString(from);
    updateString(to);
    updateString(detail);
    digest.update(payload.asReadOnlyByteBuffer());
    count++;
    Event e =
        new Event(nanos, kind, from, to, protocol, frameKind, requestId, payload.size(), detail);
    if (recent.size() == RECENT) {
      recent.removeFirst();
    }
    recent.addLast(e);
    if (log.isTraceEnabled()) {
      log.trace("{}", e);
    }
    for (Consumer<Event> l : listeners) {
      l.accept(e);
    }
  }

  private void updateString(String s) {
    byte[] bytes = s.getBytes(StandardCharsets.UTF_8);
    header.clear();
    header.putInt(bytes.length);
    digest.update(header.array(), 0, 4);
    digest.update(bytes);
  }
}
