package io.ferry.node.api;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import io.ferry.core.Bytes;
import io.ferry.core.ErrorCode;
import io.ferry.core.FerryException;
import io.ferry.core.Limits;
import java.io.IOException;
import java.io.InputStream;
import java.net.URI;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.nio.charset.StandardCharsets;
import java.time.Duration;

/**
 * Fetches a {@link StateAnswer} from a node's HTTP port ({@code GET /v1/state/<hex key>}), reading
 * at most {@link Limits#MAX_STATE_ANSWER_BYTES}. It checks nothing the answer claims: that is
 * {@link VerifiedRead#check}'s. Blocking; each call uses its own connection. Thread-safe.
 */
public final class StateClient {
  private static final ObjectMapper JSON = new ObjectMapper();
  private final HttpClient http;
  private final Duration timeout;

  public StateClient(Duration timeout) {
    this.timeout = timeout;
    this.http =
        HttpClient.newBuilder()
            .version(HttpClient.Version.HTTP_1_1)
            .connectTimeout(timeout)
            .followRedirects(HttpClient.Redirect.NEVER)
            .build();
  }

  /**
   * The base URL of a node's HTTP port from what an operator types: {@code http://HOST:PORT} or
   * {@code HOST:PORT}.
   */
  public static URI baseUrl(String text) {
    String t = text.strip();
    if (!t.contains("://")) {
      t = "http://" + t;
    }
    while (t.endsWith("/")) {
      t = t.substring(0, t.length() - 1);
    }
    URI u;
    try {
      u = URI.create(t);
    } catch (IllegalArgumentException e) {
      throw new FerryException(ErrorCode.INVALID_ARGUMENT, "bad node URL '" + text + "'");
    }
    if (!"http".equals(u.getScheme()) && !"https".equals(u.getScheme()) || u.getHost() == null) {
      throw new FerryException(
          ErrorCode.INVALID_ARGUMENT, "a node URL is http://HOST:PORT, not '" + text + "'");
    }
    return u;
  }

  /**
   * Asks {@code node} for {@code key}.
   *
   * @throws FerryException {@link ErrorCode#UNAVAILABLE} when the node cannot be reached or answers
   *     503 (no signed head for its state yet: retry), {@link ErrorCode#UNSUPPORTED} when it serves
   *     no verified reads, {@link ErrorCode#LIMIT_EXCEEDED} for an answer over the limit, {@link
   *     ErrorCode#INVALID_ARGUMENT} for an answer that refuses the key
   */
  public StateAnswer fetch(URI node, Bytes key) {
    URI uri = URI.create(node + StateReads.PREFIX + key.toHex());
    HttpResponse<InputStream> r;
    try {
      r =
          http.send(
              HttpRequest.newBuilder(uri)
                  .timeout(timeout)
                  .header("Accept", "application/json")
                  .GET()
                  .build(),
              HttpResponse.BodyHandlers.ofInputStream());
    } catch (IOException e) {
      throw new FerryException(ErrorCode.UNAVAILABLE, "cannot reach " + node + ": " + e, e);
    } catch (InterruptedException e) {
      Thread.currentThread().interrupt();
      throw new FerryException(ErrorCode.UNAVAILABLE, "interrupted while asking " + node);
    }
    byte[] body = read(r, node);
    if (r.statusCode() == 200) {
      return StateAnswer.fromJson(body);
    }
    String message = errorMessage(body);
    throw switch (r.statusCode()) {
      case 503 ->
          new FerryException(
              ErrorCode.UNAVAILABLE, node + " cannot answer now (try again): " + message);
      case 404 ->
          new FerryException(
              ErrorCode.UNSUPPORTED, node + " serves no verified reads at " + StateReads.PREFIX);
      case 400, 413 ->
          new FerryException(ErrorCode.INVALID_ARGUMENT, node + " refused the key: " + message);
      default ->
          new FerryException(
              ErrorCode.UNAVAILABLE, node + " answered " + r.statusCode() + ": " + message);
    };
  }

  private static byte[] read(HttpResponse<InputStream> r, URI node) {
    long announced = r.headers().firstValueAsLong("content-length").orElse(-1);
    try (InputStream in = r.body()) {
      if (announced > Limits.MAX_STATE_ANSWER_BYTES) {
        throw tooLarge(node);
      }
      byte[] b = in.readNBytes(Limits.MAX_STATE_ANSWER_BYTES + 1);
      if (b.length > Limits.MAX_STATE_ANSWER_BYTES) {
        throw tooLarge(node);
      }
      return b;
    } catch (IOException e) {
      throw new FerryException(ErrorCode.UNAVAILABLE, "reading " + node + "'s answer: " + e, e);
    }
  }

  private static FerryException tooLarge(URI node) {
    return new FerryException(
        ErrorCode.LIMIT_EXCEEDED,
        node + "'s answer is over " + Limits.MAX_STATE_ANSWER_BYTES + " bytes; not read");
  }

  /** The message of an error body, or its start when it is not the API's JSON. */
  private static String errorMessage(byte[] body) {
    try {
      JsonNode n = JSON.readTree(body);
      if (n != null && n.hasNonNull("message")) {
        return n.path("error").asText() + ": " + n.get("message").asText();
      }
    } catch (IOException e) {
      // not JSON: show the text
    }
    String text = new String(body, StandardCharsets.UTF_8).strip();
    return text.length() > 200 ? text.substring(0, 200) + "…" : text;
  }
}
