package io.ferry.node.api;

import com.fasterxml.jackson.core.JsonProcessingException;
import com.fasterxml.jackson.databind.ObjectMapper;
import com.fasterxml.jackson.databind.node.ObjectNode;
import java.nio.charset.StandardCharsets;
import java.util.Objects;

/**
 * A refused API request: its HTTP status, a stable code that clients switch on, and a message for
 * people. Its body is {@code {"error": CODE, "message": "..."}}, plus the producer's id on a {@code
 * 409 NOT_PRODUCER}. Immutable.
 *
 * @param producer the producer to send writes to, with {@link Code#NOT_PRODUCER}; else null
 */
public record ApiError(Code code, String message, String producer) {

  /** What went wrong, each with the HTTP status it is answered with. */
  public enum Code {
    /** The request's head cannot be read: not HTTP/1.1, a line or headers too long. */
    BAD_REQUEST(400),
    /** The body is not JSON, or not the JSON of a commit. */
    INVALID_JSON(400),
    /** The body is not a protobuf {@code CommitRequest}. */
    INVALID_PROTOBUF(400),
    /** A key or value is not hex. */
    INVALID_HEX(400),
    /** A batch with no operation. */
    EMPTY_BATCH(400),
    /** A key put twice, deleted twice, or both put and deleted in one batch. */
    DUPLICATE_KEY(400),
    /** A missing or wrong bearer token. */
    UNAUTHORIZED(401),
    /** No such path. */
    NOT_FOUND(404),
    /** A method the path does not take. */
    METHOD_NOT_ALLOWED(405),
    /** This node does not produce; its producer takes writes. */
    NOT_PRODUCER(409),
    /** The body, the batch, a key or a value is over a limit. */
    TOO_LARGE(413),
    /** A content type other than JSON or protobuf. */
    UNSUPPORTED_MEDIA_TYPE(415),
    /** The node is stopping, or too many commits are waiting. */
    UNAVAILABLE(503),
    /** A failure of the node's own. */
    INTERNAL(500);

    private final int status;

    Code(int status) {
      this.status = status;
    }

    public int status() {
      return status;
    }
  }

  private static final ObjectMapper JSON = new ObjectMapper();

  public ApiError {
    Objects.requireNonNull(code, "code");
    Objects.requireNonNull(message, "message");
  }

  public ApiError(Code code, String message) {
    this(code, message, null);
  }

  public int status() {
    return code.status();
  }

  /** The JSON body. */
  public byte[] toJson() {
    ObjectNode o = JSON.createObjectNode();
    o.put("error", code.name());
    o.put("message", message);
    if (producer != null) {
      o.put("producer", producer);
    }
    try {
      return JSON.writeValueAsString(o).getBytes(StandardCharsets.UTF_8);
    } catch (JsonProcessingException e) {
      throw new IllegalStateException("an error body does not encode", e);
    }
  }

  /** This error as an exception, for parsing code that stops at the first problem. */
  public Refused refused() {
    return new Refused(this);
  }

  /** Carries an {@link ApiError} out of the code that found it. */
  public static final class Refused extends RuntimeException {
    private static final long serialVersionUID = 1L;
    private final transient ApiError error;

    Refused(ApiError error) {
      super(error.code() + ": " + error.message(), null, false, false);
      this.error = error;
    }

    public ApiError error() {
      return error;
    }
  }
}
