package io.ferry.node;

import static org.assertj.core.api.Assertions.assertThat;
import static org.awaitility.Awaitility.await;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import io.ferry.node.config.NodeSettings;
import java.net.URI;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.regex.Matcher;
import java.util.regex.Pattern;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;
import org.junit.jupiter.api.io.TempDir;

/** A node's status page over plain HTTP, no browser: the page, its files and what it reads. */
@Timeout(60)
class StatusPageTest {
  private static final Pattern ASSET = Pattern.compile("(?:src|href)=\"(/ui/[^\"]+)\"");

  @TempDir Path tmp;
  private Node node;
  private final HttpClient http = HttpClient.newHttpClient();

  @BeforeEach
  void start() {
    NodeSettings s = new NodeSettings();
    s.data = tmp.resolve("node").toString();
    s.p2p = "127.0.0.1:0";
    s.http = "127.0.0.1:0";
    s.produce = true;
    node = Node.start(s.toConfig());
  }

  @AfterEach
  void stop() {
    http.close();
    node.close();
  }

  private HttpResponse<String> get(String path) throws Exception {
    URI uri = URI.create("http://127.0.0.1:" + node.httpAddress().orElseThrow().getPort() + path);
    return http.send(HttpRequest.newBuilder(uri).build(), HttpResponse.BodyHandlers.ofString());
  }

  @Test
  void theRootIsThePageAndEveryFileItNamesLoadsWithItsType() throws Exception {
    HttpResponse<String> page = get("/");
    assertThat(page.statusCode()).isEqualTo(200);
    assertThat(page.headers().firstValue("content-type")).hasValue("text/html; charset=utf-8");
    assertThat(page.headers().firstValue("cache-control")).hasValue("no-cache");
    assertThat(page.body()).contains("<!doctype html>").contains("id=\"height\"");

    List<String> assets = new ArrayList<>();
    Matcher m = ASSET.matcher(page.body());
    while (m.find()) {
      assets.add(m.group(1));
    }
    assertThat(assets).contains("/ui/page.js", "/ui/page.css", "/ui/icon.svg");
    Map<String, String> types =
        Map.of(
            "js", "text/javascript; charset=utf-8",
            "css", "text/css; charset=utf-8",
            "svg", "image/svg+xml");
    for (String asset : assets) {
      HttpResponse<String> r = get(asset);
      assertThat(r.statusCode()).as(asset).isEqualTo(200);
      assertThat(r.headers().firstValue("content-type"))
          .as(asset)
          .hasValue(types.get(asset.substring(asset.lastIndexOf('.') + 1)));
      assertThat(r.body()).as(asset).isNotBlank();
      assertThat(r.headers().firstValue("etag")).as(asset).isPresent();
    }
    // The script reads the status the node serves.
    assertThat(get("/ui/page.js").body()).contains("\"/status\"");
  }

  @Test
  void statusCarriesTheTrafficCountersThePagePlotsAndTheOtherRoutesStay() throws Exception {
    HttpResponse<String> status = get("/status");
    assertThat(status.statusCode()).isEqualTo(200);
    JsonNode json = new ObjectMapper().readTree(status.body());
    assertThat(json.path("node_id").asText()).isEqualTo(node.id().toString());
    JsonNode traffic = json.path("traffic");
    assertThat(traffic.path("p2p_in").isIntegralNumber()).isTrue();
    assertThat(traffic.path("p2p_out").isIntegralNumber()).isTrue();
    // An answer's bytes are counted once written, so a later status sees the earlier one's.
    long before = traffic.path("http_out").asLong();
    await()
        .atMost(Duration.ofSeconds(10))
        .until(
            () ->
                new ObjectMapper()
                        .readTree(get("/status").body())
                        .path("traffic")
                        .path("http_out")
                        .asLong()
                    > before + status.body().length());

    assertThat(get("/").statusCode()).isEqualTo(200);
    assertThat(get("/health").body()).isEqualTo("ok");
    assertThat(get("/metrics").body())
        .contains("ferry_http_requests_total{path=\"page\"")
        .contains("ferry_statesync_served_chunks_total 0");
    assertThat(get("/snapshot.tar.zst").statusCode()).isIn(303, 404);
    assertThat(get("/ui/nope.js").statusCode()).isEqualTo(404);
  }
}
