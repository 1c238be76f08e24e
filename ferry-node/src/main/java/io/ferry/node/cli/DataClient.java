package io.ferry.node.cli;

import io.ferry.core.ErrorCode;
import io.ferry.core.FerryException;
import java.io.IOException;
import java.io.InputStream;
import java.net.ConnectException;
import java.net.URI;
import java.net.http.HttpClient;
import java.net.http.HttpConnectTimeoutException;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.nio.charset.StandardCharsets;
import java.time.Duration;

/**
 * The CLI's client of a node's data API ({@code /api/v1/data}): sends a request, and turns what
 * cannot be had into a typed error: a node that cannot be reached is {@link ErrorCode#UNAVAILABLE},
 * an answer's status its error code, with the node's message. Blocking, on the caller's thread; one
 * per command.
 */
final class DataClient {
  /** The local node's HTTP service at its default port. */
  static final String DEFAULT_NODE = "http://127.0.0.1:8899";

  private final URI base;
  private final HttpClient http =
      HttpClient.newBuilder()
          .version(HttpClient.Version.HTTP_1_1)
          .connectTimeout(Duration.ofSeconds(10))
          .build();

  DataClient(String node) {
    URI u;
    try {
      u = URI.create(node.endsWith("/") ? node.substring(0, node.length() - 1) : node);
    } catch (IllegalArgumentException e) {
      throw new FerryException(ErrorCode.INVALID_ARGUMENT, "bad --node '" + node + "'");
    }
    if (!"http".equals(u.getScheme()) && !"https".equals(u.getScheme()) || u.getHost() == null) {
      throw new FerryException(
          ErrorCode.INVALID_ARGUMENT, "--node takes http://HOST:PORT, not '" + node + "'");
    }
    this.base = u;
  }

  /** The data API's URI for {@code path} (after {@code /api/v1/data}). */
  URI uri(String path) {
    return URI.create(base + "/api/v1/data" + path);
  }

  /** Sends {@code request}; the body of a 2xx answer, or a typed error with the node's message. */
  <T> HttpResponse<T> send(HttpRequest request, HttpResponse.BodyHandler<T> body) {
    HttpResponse<T> r;
    try {
      r = http.send(request, body);
    } catch (ConnectException | HttpConnectTimeoutException e) {
      throw new FerryException(
          ErrorCode.UNAVAILABLE, "cannot reach the node at " + base + ": " + e.getMessage());
    } catch (IOException e) {
      throw new FerryException(
          ErrorCode.UNAVAILABLE, "the node at " + base + " did not answer: " + e.getMessage());
    } catch (InterruptedException e) {
      Thread.currentThread().interrupt();
      throw new FerryException(ErrorCode.UNAVAILABLE, "interrupted");
    }
    if (r.statusCode() / 100 != 2) {
      throw failure(r.statusCode(), message(r.body()));
    }
    return r;
  }

  private static String message(Object body) {
    try {
      String text =
          switch (body) {
            case String s -> s;
            case byte[] b -> new String(b, StandardCharsets.UTF_8);
            case InputStream in -> {
              try (in) {
                yield new String(in.readNBytes(4096), StandardCharsets.UTF_8);
              }
            }
            case null, default -> "";
          };
      return text.strip();
    } catch (IOException e) {
      return "";
    }
  }

  /** The typed error an answer's status means. */
  static FerryException failure(int status, String message) {
    ErrorCode code =
        switch (status) {
          case 400, 413, 416 -> ErrorCode.INVALID_ARGUMENT;
          case 403 -> ErrorCode.PERMISSION_DENIED;
          case 404 -> ErrorCode.NOT_FOUND;
          case 501, 502, 503, 504 -> ErrorCode.UNAVAILABLE;
          default -> ErrorCode.INTERNAL;
        };
    return new FerryException(
        code, "the node answered " + status + (message.isEmpty() ? "" : ": " + message));
  }
}
