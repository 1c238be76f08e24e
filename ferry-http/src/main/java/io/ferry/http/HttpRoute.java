package io.ferry.http;

import java.nio.charset.StandardCharsets;
import java.util.Objects;

/**
 * A read-only route an application adds to a {@link SnapshotHttpServer}: every GET or HEAD whose
 * path starts with {@link #prefix} goes to {@link #handler}, which answers with a complete body.
 * This keeps the server ignorant of what the answer is made from (a node's store, say).
 *
 * <p>The handler runs on the connection's event loop, so it must answer quickly and not block on
 * more than a few local reads. Immutable.
 *
 * @param prefix a path starting and ending with {@code /}, such as {@code /v1/state/}
 * @param pathClass the label its responses are counted under in the metrics
 * @param handler what answers
 */
public record HttpRoute(String prefix, String pathClass, Handler handler) {
  public HttpRoute {
    Objects.requireNonNull(prefix, "prefix");
    Objects.requireNonNull(pathClass, "pathClass");
    Objects.requireNonNull(handler, "handler");
    if (prefix.length() < 2 || !prefix.startsWith("/") || !prefix.endsWith("/")) {
      throw new IllegalArgumentException("a route prefix starts and ends with '/': " + prefix);
    }
  }

  /** Answers the requests of one route. Must be thread-safe: every connection calls it. */
  @FunctionalInterface
  public interface Handler {
    /**
     * @param rest the request path after the prefix, as sent (not percent-decoded; no query)
     * @return the answer; a handler that throws gets a 500
     */
    Answer answer(String rest);
  }

  /**
   * A complete answer.
   *
   * @param status the HTTP status code
   * @param contentType its media type
   * @param body the body
   * @param retryAfterSeconds a {@code Retry-After} header when positive (for a 503)
   */
  public record Answer(int status, String contentType, byte[] body, int retryAfterSeconds) {
    public Answer {
      Objects.requireNonNull(contentType, "contentType");
      Objects.requireNonNull(body, "body");
      if (status < 200 || status > 599) {
        throw new IllegalArgumentException("not an answer status: " + status);
      }
    }

    /** A JSON answer. */
    public static Answer json(int status, String json) {
      return new Answer(status, "application/json", json.getBytes(StandardCharsets.UTF_8), 0);
    }

    /** The same answer with a {@code Retry-After} of {@code seconds}. */
    public Answer retryAfter(int seconds) {
      return new Answer(status, contentType, body, seconds);
    }
  }
}
