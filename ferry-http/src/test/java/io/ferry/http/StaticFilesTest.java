package io.ferry.http;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import java.net.http.HttpResponse;
import java.nio.charset.StandardCharsets;
import java.nio.file.Path;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

class StaticFilesTest {
  @TempDir Path tmp;

  private static StaticFiles page() {
    return StaticFiles.fromClasspath(
        StaticFilesTest.class, "testpage", "index.html", "app.js", "style.css");
  }

  private ServerFixture server() throws Exception {
    return new ServerFixture(tmp, HealthSource.UNKNOWN, () -> "{}", page(), c -> c);
  }

  @Test
  void indexIsServedAtTheRootAndUnderUiWithItsTypeTagAndPolicy() throws Exception {
    try (ServerFixture f = server()) {
      HttpResponse<byte[]> root = f.get("/");
      assertThat(root.statusCode()).isEqualTo(200);
      assertThat(root.headers().firstValue("content-type")).hasValue("text/html; charset=utf-8");
      assertThat(root.headers().firstValue("cache-control")).hasValue("no-cache");
      assertThat(root.headers().firstValue("x-content-type-options")).hasValue("nosniff");
      assertThat(root.headers().firstValue("content-security-policy"))
          .hasValueSatisfying(v -> assertThat(v).contains("script-src 'self'"));
      assertThat(new String(root.body(), StandardCharsets.UTF_8)).contains("/ui/app.js");

      HttpResponse<byte[]> same = f.get("/ui/index.html?x=1");
      assertThat(same.body()).isEqualTo(root.body());
      assertThat(same.headers().firstValue("etag")).isEqualTo(root.headers().firstValue("etag"));
    }
  }

  @Test
  void assetsCarryTheirContentTypes() throws Exception {
    try (ServerFixture f = server()) {
      HttpResponse<byte[]> js = f.get("/ui/app.js");
      assertThat(js.statusCode()).isEqualTo(200);
      assertThat(js.headers().firstValue("content-type"))
          .hasValue("text/javascript; charset=utf-8");
      assertThat(new String(js.body(), StandardCharsets.UTF_8)).contains("document.title");
      HttpResponse<byte[]> css = f.get("/ui/style.css");
      assertThat(css.headers().firstValue("content-type")).hasValue("text/css; charset=utf-8");
      assertThat(css.headers().firstValueAsLong("content-length")).hasValue(css.body().length);

      HttpResponse<byte[]> head = f.send("HEAD", "/ui/app.js");
      assertThat(head.statusCode()).isEqualTo(200);
      assertThat(head.headers().firstValueAsLong("content-length")).hasValue(js.body().length);
      assertThat(f.metrics.requests("page", 200)).isEqualTo(3);
    }
  }

  @Test
  void aMatchingTagIsAnsweredNotModified() throws Exception {
    try (ServerFixture f = server()) {
      String etag = f.get("/ui/app.js").headers().firstValue("etag").orElseThrow();
      assertThat(etag).matches("\"[0-9a-f]{24}\"");

      HttpResponse<byte[]> again = f.get("/ui/app.js", "If-None-Match", etag);
      assertThat(again.statusCode()).isEqualTo(304);
      assertThat(again.body()).isEmpty();
      assertThat(again.headers().firstValue("etag")).hasValue(etag);
      assertThat(f.get("/ui/app.js", "If-None-Match", "\"other\", W/" + etag).statusCode())
          .isEqualTo(304);
      assertThat(f.get("/ui/app.js", "If-None-Match", "\"other\"").statusCode()).isEqualTo(200);
      // The tag is the file's: another file does not match it.
      assertThat(f.get("/ui/style.css", "If-None-Match", etag).statusCode()).isEqualTo(200);
    }
  }

  @Test
  void onlyTheNamedFilesExist() throws Exception {
    try (ServerFixture f = server()) {
      // secret.txt sits in the same resource folder but was not named.
      assertThat(f.get("/ui/secret.txt").statusCode()).isEqualTo(404);
      assertThat(f.get("/ui/").statusCode()).isEqualTo(404);
      assertThat(f.get("/ui/../ui/app.js").statusCode()).isEqualTo(404);
      assertThat(f.get("/ui/%2e%2e/secret.txt").statusCode()).isEqualTo(404);
      assertThat(f.get("/ui/app.js/").statusCode()).isEqualTo(404);
      assertThat(f.send("POST", "/").statusCode()).isEqualTo(405);
      // The other routes are untouched.
      assertThat(f.get("/status").statusCode()).isEqualTo(200);
      assertThat(f.get("/health").statusCode()).isEqualTo(200);
      assertThat(f.get("/snapshot.tar.zst").statusCode()).isEqualTo(404);
    }
  }

  @Test
  void withoutAPageTheRootIsNotFound() throws Exception {
    try (ServerFixture f = new ServerFixture(tmp)) {
      assertThat(f.get("/").statusCode()).isEqualTo(404);
      assertThat(f.get("/ui/app.js").statusCode()).isEqualTo(400);
    }
  }

  @Test
  void aMissingOrUntypedFileFailsAtOnce() {
    assertThatThrownBy(
            () -> StaticFiles.fromClasspath(StaticFilesTest.class, "testpage", "missing.js"))
        .isInstanceOf(IllegalArgumentException.class)
        .hasMessageContaining("testpage/missing.js");
    assertThatThrownBy(
            () -> StaticFiles.fromClasspath(StaticFilesTest.class, "testpage", "secret.txt"))
        .isInstanceOf(IllegalArgumentException.class)
        .hasMessageContaining("no content type");
    assertThatThrownBy(
            () -> StaticFiles.fromClasspath(StaticFilesTest.class, "testpage", "../index.html"))
        .isInstanceOf(IllegalArgumentException.class);
  }

  @Test
  void ifNoneMatchFollowsTheListAndStarForms() {
    assertThat(StaticFiles.matches(null, "\"a\"")).isFalse();
    assertThat(StaticFiles.matches("*", "\"a\"")).isTrue();
    assertThat(StaticFiles.matches("\"b\" , \"a\"", "\"a\"")).isTrue();
    assertThat(StaticFiles.matches("W/\"a\"", "\"a\"")).isTrue();
    assertThat(StaticFiles.matches("\"ab\"", "\"a\"")).isFalse();
  }
}
