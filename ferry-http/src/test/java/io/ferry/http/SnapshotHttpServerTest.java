package io.ferry.http;

import static io.ferry.http.ServerFixture.HASH;
import static org.assertj.core.api.Assertions.assertThat;

import java.io.IOException;
import java.net.Socket;
import java.net.http.HttpResponse;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.attribute.FileTime;
import java.time.Instant;
import java.time.ZoneOffset;
import java.time.format.DateTimeFormatter;
import java.util.Arrays;
import java.util.concurrent.atomic.AtomicReference;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

class SnapshotHttpServerTest {
  static final String FULL_OLD = "snapshot-100-" + HASH + ".tar.zst";
  static final String FULL_NEW = "snapshot-200-" + HASH + ".tar.zst";
  static final String INC_ON_OLD = "incremental-snapshot-100-300-" + HASH + ".tar.zst";
  static final String INC_ON_NEW = "incremental-snapshot-200-250-" + HASH + ".tar.zst";

  @TempDir Path tmp;
  final AtomicReference<Health> health = new AtomicReference<>(Health.OK);
  ServerFixture f;

  @BeforeEach
  void start() throws IOException {
    f = new ServerFixture(tmp, health::get, c -> c.withGenesisFile(tmp.resolve("genesis.bin")));
  }

  @AfterEach
  void stop() {
    f.close();
  }

  @Test
  void redirectsToNewestArchivesAnd404WhenThereIsNone() throws IOException {
    for (String path :
        new String[] {
          "/snapshot.tar.bz2",
          "/snapshot.tar.zst",
          "/incremental-snapshot.tar.bz2",
          "/incremental-snapshot.tar.zst"
        }) {
      assertThat(f.get(path).statusCode()).as(path).isEqualTo(404);
    }
    f.archive(FULL_OLD, 10);
    f.archive(INC_ON_OLD, 10);
    assertThat(location(f.get("/snapshot.tar.bz2"))).isEqualTo("/" + FULL_OLD);
    assertThat(location(f.get("/incremental-snapshot.tar.zst"))).isEqualTo("/" + INC_ON_OLD);

    f.archive(FULL_NEW, 10);
    // The only incremental builds on an older full: none is offered (Agave's rule), since it
    // cannot be applied to the full archive a peer downloads.
    assertThat(f.get("/incremental-snapshot.tar.zst").statusCode()).isEqualTo(404);
    f.archive(INC_ON_NEW, 10);
    f.archive("snapshot-900-" + HASH + ".tar.zst.tmp", 10); // a writer's temporary file
    Files.createDirectory(f.dir.resolve("snapshot-999-" + HASH + ".tar.zst")); // not a file
    for (String path : new String[] {"/snapshot.tar.bz2", "/snapshot.tar.zst"}) {
      HttpResponse<byte[]> r = f.get(path);
      assertThat(r.statusCode()).isEqualTo(303);
      assertThat(location(r)).isEqualTo("/" + FULL_NEW);
    }
    // The incremental on the newest full wins over a higher one on an older full.
    assertThat(location(f.get("/incremental-snapshot.tar.bz2"))).isEqualTo("/" + INC_ON_NEW);
    assertThat(location(f.send("HEAD", "/incremental-snapshot.tar.zst")))
        .isEqualTo("/" + INC_ON_NEW);
    assertThat(f.metrics.requests("redirect", 303)).isEqualTo(6);
  }

  private static String location(HttpResponse<?> r) {
    assertThat(r.statusCode()).isEqualTo(303);
    return r.headers().firstValue("location").orElseThrow();
  }

  @Test
  void getServesTheWholeFileWithValidators() throws IOException {
    byte[] data = f.archive(FULL_NEW, 300_000);
    Instant mtime = Instant.parse("2024-05-06T07:08:09Z");
    Files.setLastModifiedTime(f.dir.resolve(FULL_NEW), FileTime.from(mtime));

    HttpResponse<byte[]> r = f.get("/" + FULL_NEW);
    assertThat(r.statusCode()).isEqualTo(200);
    assertThat(r.body()).isEqualTo(data);
    assertThat(r.headers().firstValue("content-length")).hasValue("300000");
    assertThat(r.headers().firstValue("accept-ranges")).hasValue("bytes");
    assertThat(r.headers().firstValue("content-type")).hasValue("application/octet-stream");
    assertThat(r.headers().firstValue("last-modified")).hasValue("Mon, 06 May 2024 07:08:09 GMT");
    String etag = r.headers().firstValue("etag").orElseThrow();
    assertThat(etag).startsWith("\"" + HASH).endsWith("\"");

    HttpResponse<byte[]> head = f.send("HEAD", "/" + FULL_NEW);
    assertThat(head.statusCode()).isEqualTo(200);
    assertThat(head.body()).isEmpty();
    assertThat(head.headers().firstValue("content-length")).hasValue("300000");
    assertThat(head.headers().firstValue("etag")).hasValue(etag);
    assertThat(head.headers().firstValue("accept-ranges")).hasValue("bytes");

    // Another node writes the same archive at another time: same name, same bytes, same tag, so
    // a downloader may take ranges from both.
    Files.setLastModifiedTime(f.dir.resolve(FULL_NEW), FileTime.from(mtime.plusSeconds(7)));
    HttpResponse<byte[]> later = f.send("HEAD", "/" + FULL_NEW);
    assertThat(later.headers().firstValue("last-modified"))
        .hasValue("Mon, 06 May 2024 07:08:16 GMT");
    assertThat(later.headers().firstValue("etag")).hasValue(etag);
    assertThat(f.metrics.requests("archive", 200)).isEqualTo(3);
    assertThat(f.metrics.bytesSent()).isGreaterThan(300_000);
  }

  @Test
  void emptyFileAndMissingArchive() throws IOException {
    f.archive(FULL_OLD, 0);
    HttpResponse<byte[]> r = f.get("/" + FULL_OLD);
    assertThat(r.statusCode()).isEqualTo(200);
    assertThat(r.body()).isEmpty();
    assertThat(f.get("/" + FULL_NEW).statusCode()).isEqualTo(404);
    assertThat(f.metrics.requests("archive", 404)).isEqualTo(1);
  }

  @Test
  void rangeForms() throws IOException {
    byte[] data = f.archive(FULL_NEW, 100_000);
    String path = "/" + FULL_NEW;

    HttpResponse<byte[]> r = f.get(path, "Range", "bytes=10-19");
    assertThat(r.statusCode()).isEqualTo(206);
    assertThat(r.body()).isEqualTo(Arrays.copyOfRange(data, 10, 20));
    assertThat(r.headers().firstValue("content-range")).hasValue("bytes 10-19/100000");
    assertThat(r.headers().firstValue("content-length")).hasValue("10");

    r = f.get(path, "Range", "bytes=99000-");
    assertThat(r.statusCode()).isEqualTo(206);
    assertThat(r.body()).isEqualTo(Arrays.copyOfRange(data, 99_000, 100_000));
    assertThat(r.headers().firstValue("content-range")).hasValue("bytes 99000-99999/100000");

    r = f.get(path, "Range", "bytes=-500");
    assertThat(r.statusCode()).isEqualTo(206);
    assertThat(r.body()).isEqualTo(Arrays.copyOfRange(data, 99_500, 100_000));

    r = f.get(path, "Range", "bytes=99990-200000");
    assertThat(r.statusCode()).isEqualTo(206);
    assertThat(r.body()).isEqualTo(Arrays.copyOfRange(data, 99_990, 100_000));

    r = f.get(path, "Range", "bytes=100000-");
    assertThat(r.statusCode()).isEqualTo(416);
    assertThat(r.headers().firstValue("content-range")).hasValue("bytes */100000");
    r = f.get(path, "Range", "bytes=-0");
    assertThat(r.statusCode()).isEqualTo(416);

    // Several ranges: the whole file (documented choice).
    r = f.get(path, "Range", "bytes=0-1,5-6");
    assertThat(r.statusCode()).isEqualTo(200);
    assertThat(r.body()).isEqualTo(data);
    // HEAD ignores Range.
    r = f.send("HEAD", path, "Range", "bytes=0-9");
    assertThat(r.statusCode()).isEqualTo(200);
    assertThat(r.headers().firstValue("content-length")).hasValue("100000");
  }

  @Test
  void ifRangeServesTheRangeOnlyWhenTheValidatorMatches() throws IOException {
    byte[] data = f.archive(FULL_NEW, 50_000);
    String path = "/" + FULL_NEW;
    HttpResponse<byte[]> whole = f.get(path);
    String etag = whole.headers().firstValue("etag").orElseThrow();
    String lastModified = whole.headers().firstValue("last-modified").orElseThrow();

    HttpResponse<byte[]> r = f.get(path, "Range", "bytes=100-199", "If-Range", etag);
    assertThat(r.statusCode()).isEqualTo(206);
    assertThat(r.body()).isEqualTo(Arrays.copyOfRange(data, 100, 200));

    r = f.get(path, "Range", "bytes=100-199", "If-Range", lastModified);
    assertThat(r.statusCode()).isEqualTo(206);

    r = f.get(path, "Range", "bytes=100-199", "If-Range", "\"some-other-tag\"");
    assertThat(r.statusCode()).isEqualTo(200);
    assertThat(r.body()).isEqualTo(data);

    r = f.get(path, "Range", "bytes=100-199", "If-Range", "W/" + etag);
    assertThat(r.statusCode()).isEqualTo(200);

    String older =
        DateTimeFormatter.RFC_1123_DATE_TIME.format(
            Instant.now().minusSeconds(86_400).atOffset(ZoneOffset.UTC));
    r = f.get(path, "Range", "bytes=100-199", "If-Range", older);
    assertThat(r.statusCode()).isEqualTo(200);
    assertThat(r.body()).isEqualTo(data);

    // The file changed (same name, new content): the old tag no longer matches.
    Files.write(f.dir.resolve(FULL_NEW), new byte[60_000]);
    Files.setLastModifiedTime(f.dir.resolve(FULL_NEW), FileTime.from(Instant.now().plusSeconds(5)));
    r = f.get(path, "Range", "bytes=100-199", "If-Range", etag);
    assertThat(r.statusCode()).isEqualTo(200);
    assertThat(r.body()).hasSize(60_000);
  }

  @Test
  void genesisHealthAndMetrics() throws IOException {
    assertThat(f.get("/genesis.tar.bz2").statusCode()).isEqualTo(404);
    Files.writeString(tmp.resolve("genesis.bin"), "genesis bytes");
    HttpResponse<byte[]> g = f.get("/genesis.tar.bz2", "Range", "bytes=0-6");
    assertThat(g.statusCode()).isEqualTo(206);
    assertThat(new String(g.body(), StandardCharsets.US_ASCII)).isEqualTo("genesis");

    for (Health h : Health.values()) {
      health.set(h);
      HttpResponse<byte[]> r = f.get("/health");
      assertThat(r.statusCode()).isEqualTo(200);
      assertThat(new String(r.body(), StandardCharsets.US_ASCII)).isEqualTo(h.text());
    }
    health.set(null);
    assertThat(new String(f.get("/health").body(), StandardCharsets.US_ASCII)).isEqualTo("unknown");

    HttpResponse<byte[]> m = f.get("/metrics");
    assertThat(m.statusCode()).isEqualTo(200);
    assertThat(m.headers().firstValue("content-type").orElseThrow()).startsWith("text/plain");
    String text = new String(m.body(), StandardCharsets.UTF_8);
    assertThat(text)
        .contains("ferry_http_requests_total{path=\"health\",status=\"200\"} 4.0")
        .contains("ferry_http_requests_total{path=\"genesis\",status=\"206\"} 1.0")
        .contains("ferry_http_connections 1.0")
        .contains("ferry_http_bytes_sent_total");
  }

  @Test
  void unknownPathsAndMethods() throws IOException {
    assertThat(f.get("/").statusCode()).isEqualTo(404);
    assertThat(f.get("/index.html").statusCode()).isEqualTo(404);
    assertThat(f.get("/snapshot.tar.gz").statusCode()).isEqualTo(404);
    assertThat(f.send("POST", "/health").statusCode()).isEqualTo(405);
    assertThat(f.send("DELETE", "/" + FULL_NEW).statusCode()).isEqualTo(405);
    assertThat(
            ServerFixture.status(
                f.raw("GET / HTTP/1.1\r\nHost: x\r\n" + "X: " + "a".repeat(20_000) + "\r\n\r\n")))
        .isEqualTo(431);
    assertThat(ServerFixture.status(f.raw("GET /" + "a".repeat(10_000) + " HTTP/1.1\r\n\r\n")))
        .isEqualTo(414);
    assertThat(ServerFixture.status(f.raw("garbage\r\n\r\n"))).isEqualTo(400);
  }

  @Test
  void keepAlivePipeliningAndConnectionClose() throws IOException {
    byte[] data = f.archive(FULL_NEW, 5000);
    try (Socket s = new Socket(f.address.getAddress(), f.address.getPort())) {
      s.setSoTimeout(5000);
      // Three pipelined requests in one write; the last asks to close.
      String req =
          "GET /"
              + FULL_NEW
              + " HTTP/1.1\r\nHost: x\r\n\r\n"
              + "HEAD /health HTTP/1.1\r\nHost: x\r\n\r\n"
              + "GET /health HTTP/1.1\r\nHost: x\r\nConnection: close\r\n\r\n";
      s.getOutputStream().write(req.getBytes(StandardCharsets.US_ASCII));
      byte[] all = ServerFixture.readAll(s.getInputStream()); // ends: the server closed
      String text = new String(all, StandardCharsets.ISO_8859_1);
      assertThat(text.split("HTTP/1.1 200 OK", -1)).hasSize(4);
      assertThat(text).endsWith("\r\n\r\nok").contains("connection: close");
      assertThat(new String(data, StandardCharsets.ISO_8859_1)).isSubstringOf(text);
    }
    // HTTP/1.0 closes unless asked to keep alive.
    String r = f.raw("GET /health HTTP/1.0\r\n\r\n");
    assertThat(ServerFixture.status(r)).isEqualTo(200);
    assertThat(r).endsWith("ok");
  }
}
