package io.ferry.http;

import java.io.InputStream;
import java.net.InetSocketAddress;
import java.util.List;
import java.util.Map;
import java.util.Objects;
import java.util.Optional;
import java.util.concurrent.CompletableFuture;

/**
 * A route an application adds to a {@link SnapshotHttpServer} for requests that carry a body or
 * whose answer is too large, or too slow in coming, to be built whole: every request, of any
 * method, whose path is {@link #prefix} or starts with it goes to {@link #handler} as a {@link
 * Call}. The handler reads the request body as it arrives ({@link Call#body()}, with backpressure:
 * the server reads from the socket only as fast as the body is consumed, so an upload of any size
 * holds a bounded number of bytes in memory) and answers whole ({@link Call#respond}) or streams
 * ({@link Call#stream}: each write completes when the connection can take more).
 *
 * <p>The handler runs on the connection's event loop and must not block: it hands blocking work
 * (reading the body, a store) to threads of its own. Immutable.
 *
 * @param prefix a path starting and ending with {@code /}, such as {@code /api/v1/data/}; the path
 *     without its last {@code /} matches too (with an empty rest)
 * @param pathClass the label its responses are counted under in the metrics
 * @param handler what answers
 */
public record HttpStreamRoute(String prefix, String pathClass, Handler handler) {
  public HttpStreamRoute {
    Objects.requireNonNull(prefix, "prefix");
    Objects.requireNonNull(pathClass, "pathClass");
    Objects.requireNonNull(handler, "handler");
    if (prefix.length() < 2 || !prefix.startsWith("/") || !prefix.endsWith("/")) {
      throw new IllegalArgumentException("a route prefix starts and ends with '/': " + prefix);
    }
  }

  /** The rest of {@code path} after the prefix, if the route takes it. */
  Optional<String> match(String path) {
    if (path.startsWith(prefix)) {
      return Optional.of(path.substring(prefix.length()));
    }
    return path.equals(prefix.substring(0, prefix.length() - 1))
        ? Optional.of("")
        : Optional.empty();
  }

  /** Answers the requests of one route. Must be thread-safe: every connection calls it. */
  @FunctionalInterface
  public interface Handler {
    /**
     * Takes one request; answers it through {@code call} exactly once, now or later, from any
     * thread. A handler that throws gets a 500 and the connection is closed.
     */
    void handle(Call call);
  }

  /**
   * One request and its answer. Every method may be called from any thread. Answer once: with
   * {@link #respond}, or with {@link #stream} followed by writes and {@link ResponseStream#end()}
   * (or {@link ResponseStream#abort()}). An answer given before the request body was read to its
   * end closes the connection after it.
   */
  public interface Call {
    /** The request method, upper case ({@code GET}, {@code HEAD}, {@code POST}, …). */
    String method();

    /** The path after the prefix, as sent (not percent-decoded; no query). */
    String rest();

    /** The decoded query parameters, in their order. */
    Map<String, List<String>> query();

    /** A request header's value (the first, when repeated). */
    Optional<String> header(String name);

    /** The client's address. */
    InetSocketAddress remote();

    /**
     * The request body as it arrives; empty for a request without one. Reads block: call them on a
     * thread of your own, never the event loop. A read fails with an {@link java.io.IOException}
     * once the client is gone. Closing the stream ends nothing; an answer does.
     */
    InputStream body();

    /**
     * A complete answer; {@code headers} are added after the server's defaults and may replace them
     * (a HEAD answer gives the {@code Content-Length} its GET would have).
     */
    void respond(int status, String contentType, byte[] body, Map<String, String> headers);

    /**
     * Starts a streamed answer: the head now ({@code headers} should give a {@code Content-Length};
     * without one the connection closes after the body), the body by writes.
     */
    ResponseStream stream(int status, Map<String, String> headers);

    /** Completes when the connection closes, for whatever reason. */
    CompletableFuture<Void> closed();
  }

  /** The body of a streamed answer. */
  public interface ResponseStream {
    /**
     * Writes {@code bytes} (the stream takes ownership of the array).
     *
     * @return completes once the connection can take more (at once, while its buffer has room), or
     *     fails when the connection is gone; write the next bytes after it completes
     */
    CompletableFuture<Void> write(byte[] bytes);

    /** Ends the body; the connection goes on with its next request. */
    void end();

    /**
     * Closes the connection without ending the body: the client sees a short body, which is how
     * HTTP/1.1 says that a response with a Content-Length failed midway.
     */
    void abort();
  }
}
