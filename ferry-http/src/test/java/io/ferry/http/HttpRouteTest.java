package io.ferry.http;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import java.net.InetSocketAddress;
import java.net.URI;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.List;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/** The application's routes: matched by prefix before the server's own paths. */
class HttpRouteTest {
  @TempDir Path tmp;

  private final HttpClient client =
      HttpClient.newBuilder().version(HttpClient.Version.HTTP_1_1).build();

  private HttpResponse<String> send(InetSocketAddress at, String method, String path)
      throws Exception {
    return client.send(
        HttpRequest.newBuilder(URI.create("http://127.0.0.1:" + at.getPort() + path))
            .timeout(Duration.ofSeconds(10))
            .method(method, HttpRequest.BodyPublishers.noBody())
            .build(),
        HttpResponse.BodyHandlers.ofString(StandardCharsets.UTF_8));
  }

  @Test
  void aRouteAnswersUnderItsPrefixAndIsCounted() throws Exception {
    HttpMetrics metrics = HttpMetrics.standalone();
    HttpRoute echo =
        new HttpRoute(
            "/v1/echo/",
            "echo",
            rest ->
                rest.equals("busy")
                    ? HttpRoute.Answer.json(503, "{\"error\":\"BUSY\"}").retryAfter(1)
                    : rest.equals("boom")
                        ? fail()
                        : HttpRoute.Answer.json(200, "{\"rest\":\"" + rest + "\"}"));
    HttpServerConfig config =
        HttpServerConfig.defaults(Files.createDirectories(tmp.resolve("archives")))
            .withBind(new InetSocketAddress("127.0.0.1", 0))
            .withIoThreads(1);
    try (SnapshotHttpServer server =
        new SnapshotHttpServer(
            config,
            HealthSource.UNKNOWN,
            StatusSource.NONE,
            StaticFiles.NONE,
            List.of(echo),
            metrics)) {
      InetSocketAddress at = server.start();
      HttpResponse<String> ok = send(at, "GET", "/v1/echo/ab%2Fcd?x=1");
      assertThat(ok.statusCode()).isEqualTo(200);
      assertThat(ok.body()).isEqualTo("{\"rest\":\"ab%2Fcd\"}");
      assertThat(ok.headers().firstValue("content-type")).hasValue("application/json");
      assertThat(ok.headers().firstValue("cache-control")).hasValue("no-cache");

      HttpResponse<String> busy = send(at, "GET", "/v1/echo/busy");
      assertThat(busy.statusCode()).isEqualTo(503);
      assertThat(busy.headers().firstValue("retry-after")).hasValue("1");

      assertThat(send(at, "GET", "/v1/echo/boom").statusCode()).isEqualTo(500);
      assertThat(send(at, "POST", "/v1/echo/x").statusCode()).isEqualTo(405);
      // Outside the prefix the server's own rules hold: a path with separators is refused.
      assertThat(send(at, "GET", "/v1/other/x").statusCode()).isEqualTo(400);
      assertThat(metrics.requests("echo", 200)).isEqualTo(1.0);
      assertThat(metrics.requests("echo", 503)).isEqualTo(1.0);
    }
  }

  @Test
  void aPrefixStartsAndEndsWithASlash() {
    HttpRoute.Handler h = rest -> HttpRoute.Answer.json(200, "{}");
    assertThatThrownBy(() -> new HttpRoute("/v1/state", "state", h))
        .isInstanceOf(IllegalArgumentException.class);
    assertThatThrownBy(() -> new HttpRoute("v1/", "state", h))
        .isInstanceOf(IllegalArgumentException.class);
  }

  private static HttpRoute.Answer fail() {
    throw new IllegalStateException("the handler broke");
  }
}
