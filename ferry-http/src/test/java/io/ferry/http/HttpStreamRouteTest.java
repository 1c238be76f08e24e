package io.ferry.http;

import static org.assertj.core.api.Assertions.assertThat;
import static org.awaitility.Awaitility.await;

import java.io.IOException;
import java.io.InputStream;
import java.net.InetSocketAddress;
import java.net.Socket;
import java.net.URI;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.security.MessageDigest;
import java.time.Duration;
import java.util.HexFormat;
import java.util.List;
import java.util.Map;
import java.util.Random;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.CountDownLatch;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicLong;
import java.util.concurrent.atomic.AtomicReference;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;
import org.junit.jupiter.api.io.TempDir;

/**
 * Streaming routes: a request body read with backpressure on a thread of the handler's, an answer
 * streamed as its writes complete, any method, and the connection kept or closed as the body was
 * read.
 */
@Timeout(60)
class HttpStreamRouteTest {
  @TempDir Path tmp;

  private final HttpClient client =
      HttpClient.newBuilder().version(HttpClient.Version.HTTP_1_1).build();
  private final ExecutorService readers = Executors.newCachedThreadPool();
  private SnapshotHttpServer server;

  @AfterEach
  void stop() {
    if (server != null) {
      server.close();
    }
    readers.shutdownNow();
  }

  private InetSocketAddress start(HttpStreamRoute route) throws IOException {
    HttpServerConfig config =
        HttpServerConfig.defaults(Files.createDirectories(tmp.resolve("archives")))
            .withBind(new InetSocketAddress("127.0.0.1", 0))
            .withIoThreads(1);
    server =
        new SnapshotHttpServer(
            config,
            HealthSource.UNKNOWN,
            StatusSource.NONE,
            StaticFiles.NONE,
            List.of(),
            List.of(route),
            HttpMetrics.standalone());
    return server.start();
  }

  private static URI uri(InetSocketAddress at, String path) {
    return URI.create("http://127.0.0.1:" + at.getPort() + path);
  }

  private static String sha256(byte[] b) throws Exception {
    return HexFormat.of().formatHex(MessageDigest.getInstance("SHA-256").digest(b));
  }

  @Test
  void aLargeBodyIsReadWithBoundedBufferingWhileTheReaderIsSlow() throws Exception {
    AtomicReference<StreamCall> seen = new AtomicReference<>();
    CountDownLatch bodyQueued = new CountDownLatch(1);
    InetSocketAddress at =
        start(
            new HttpStreamRoute(
                "/up/",
                "up",
                call ->
                    readers.execute(
                        () -> {
                          StreamCall c = (StreamCall) call;
                          seen.set(c);
                          try (InputStream in = call.body()) {
                            // Let the client fill what the server buffers before reading a byte.
                            await()
                                .atMost(Duration.ofSeconds(20))
                                .until(() -> c.queuedBytes() >= StreamCall.BODY_HIGH_WATER);
                            bodyQueued.countDown();
                            MessageDigest md = MessageDigest.getInstance("SHA-256");
                            byte[] buf = new byte[8192];
                            long n = 0;
                            for (int r; (r = in.read(buf)) >= 0; ) {
                              md.update(buf, 0, r);
                              n += r;
                            }
                            String answer = n + " " + HexFormat.of().formatHex(md.digest());
                            call.respond(
                                200,
                                "text/plain",
                                answer.getBytes(StandardCharsets.US_ASCII),
                                Map.of());
                          } catch (Exception e) {
                            call.respond(500, "text/plain", new byte[0], Map.of());
                          }
                        })));
    byte[] body = new byte[16 << 20];
    new Random(7).nextBytes(body);
    HttpResponse<String> r =
        client.send(
            HttpRequest.newBuilder(uri(at, "/up/file?x=1"))
                .POST(HttpRequest.BodyPublishers.ofByteArray(body))
                .build(),
            HttpResponse.BodyHandlers.ofString());
    assertThat(bodyQueued.await(0, TimeUnit.SECONDS)).isTrue();
    assertThat(r.statusCode()).isEqualTo(200);
    assertThat(r.body()).isEqualTo(body.length + " " + sha256(body));
    // The high-water mark plus what one socket read can bring, never the body.
    assertThat(seen.get().peakQueuedBytes())
        .isGreaterThanOrEqualTo(StreamCall.BODY_HIGH_WATER)
        .isLessThan(StreamCall.BODY_HIGH_WATER + (1 << 20));
  }

  @Test
  void aStreamedAnswerArrivesWholeAndTheConnectionServesTheNextRequest() throws Exception {
    byte[] data = new byte[4 << 20];
    new Random(3).nextBytes(data);
    AtomicLong calls = new AtomicLong();
    InetSocketAddress at =
        start(
            new HttpStreamRoute(
                "/data/",
                "data",
                call -> {
                  calls.incrementAndGet();
                  if (!call.method().equals("GET")) {
                    call.respond(405, "text/plain", new byte[0], Map.of("Allow", "GET"));
                    return;
                  }
                  HttpStreamRoute.ResponseStream out =
                      call.stream(200, Map.of("Content-Length", String.valueOf(data.length)));
                  writeFrom(out, data, 0);
                }));
    for (int i = 0; i < 2; i++) {
      HttpResponse<byte[]> r =
          client.send(
              HttpRequest.newBuilder(uri(at, "/data")).build(),
              HttpResponse.BodyHandlers.ofByteArray());
      assertThat(r.statusCode()).isEqualTo(200);
      assertThat(r.body()).isEqualTo(data);
    }
    HttpResponse<String> put =
        client.send(
            HttpRequest.newBuilder(uri(at, "/data/x"))
                .PUT(HttpRequest.BodyPublishers.ofString("abc"))
                .build(),
            HttpResponse.BodyHandlers.ofString());
    assertThat(put.statusCode()).isEqualTo(405);
    assertThat(calls.get()).isEqualTo(3);
    assertThat(server.metrics().requests("data", 200)).isEqualTo(2.0);
  }

  /** Writes 64 KiB at a time, each after the previous write says the connection has room. */
  private static void writeFrom(HttpStreamRoute.ResponseStream out, byte[] data, int from) {
    if (from >= data.length) {
      out.end();
      return;
    }
    int n = Math.min(64 * 1024, data.length - from);
    byte[] part = java.util.Arrays.copyOfRange(data, from, from + n);
    CompletableFuture<Void> f = out.write(part);
    f.whenComplete(
        (ok, e) -> {
          if (e == null) {
            writeFrom(out, data, from + n);
          }
        });
  }

  @Test
  void anAbortedStreamGivesAShortBodyAndAnAnswerBeforeTheBodyClosesTheConnection()
      throws Exception {
    InetSocketAddress at =
        start(
            new HttpStreamRoute(
                "/s/",
                "s",
                call -> {
                  if (call.method().equals("POST")) {
                    // Refused before the body is read: the connection cannot be reused.
                    call.respond(403, "text/plain", "no\n".getBytes(), Map.of());
                    return;
                  }
                  HttpStreamRoute.ResponseStream out =
                      call.stream(200, Map.of("Content-Length", "10"));
                  out.write(new byte[4]).thenRun(out::abort);
                }));
    try (Socket s = new Socket("127.0.0.1", at.getPort())) {
      s.getOutputStream()
          .write("GET /s/x HTTP/1.1\r\nHost: a\r\n\r\n".getBytes(StandardCharsets.US_ASCII));
      byte[] all = s.getInputStream().readAllBytes(); // ends when the server closes
      String text = new String(all, StandardCharsets.ISO_8859_1);
      assertThat(text).startsWith("HTTP/1.1 200").containsIgnoringCase("content-length: 10");
      assertThat(all.length - (text.indexOf("\r\n\r\n") + 4)).isEqualTo(4);
    }
    try (Socket s = new Socket("127.0.0.1", at.getPort())) {
      s.getOutputStream()
          .write(
              ("POST /s/x HTTP/1.1\r\nHost: a\r\nContent-Length: 1000000\r\n\r\n" + "x".repeat(100))
                  .getBytes(StandardCharsets.US_ASCII));
      String text = new String(s.getInputStream().readAllBytes(), StandardCharsets.ISO_8859_1);
      assertThat(text).startsWith("HTTP/1.1 403").containsIgnoringCase("connection: close");
    }
  }
}
