package io.ferry.http;

import static org.assertj.core.api.Assertions.assertThat;

import java.net.http.HttpResponse;
import java.nio.charset.StandardCharsets;
import java.nio.file.Path;
import java.util.concurrent.atomic.AtomicReference;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

class StatusRouteTest {
  @TempDir Path tmp;

  @Test
  void statusServesTheSourcesJsonAndFailsClosed() throws Exception {
    AtomicReference<String> json = new AtomicReference<>("{\"height\":7,\"name\":\"n\u00e9ud\"}");
    try (ServerFixture f = new ServerFixture(tmp, HealthSource.UNKNOWN, json::get, c -> c)) {
      HttpResponse<byte[]> r = f.get("/status");
      assertThat(r.statusCode()).isEqualTo(200);
      assertThat(r.headers().firstValue("content-type")).hasValue("application/json");
      assertThat(new String(r.body(), StandardCharsets.UTF_8)).isEqualTo(json.get());
      assertThat(f.send("HEAD", "/status").statusCode()).isEqualTo(200);
      json.set(null);
      assertThat(f.get("/status").statusCode()).isEqualTo(503);
    }
  }

  @Test
  void withoutASourceStatusIsNotFound() throws Exception {
    try (ServerFixture f = new ServerFixture(tmp)) {
      assertThat(f.get("/status").statusCode()).isEqualTo(404);
    }
  }
}
