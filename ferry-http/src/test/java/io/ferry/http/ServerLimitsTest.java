package io.ferry.http;

import static io.ferry.http.ServerFixture.HASH;
import static org.assertj.core.api.Assertions.assertThat;
import static org.awaitility.Awaitility.await;

import java.io.IOException;
import java.io.InputStream;
import java.io.OutputStream;
import java.net.InetAddress;
import java.net.InetSocketAddress;
import java.net.Socket;
import java.net.http.HttpResponse;
import java.nio.charset.StandardCharsets;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.List;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.Future;
import java.util.function.UnaryOperator;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;
import org.junit.jupiter.api.io.TempDir;

/** Connection limits, timeouts and egress limits, over real loopback sockets. */
@Timeout(120)
class ServerLimitsTest {
  static final String ARCHIVE = "snapshot-1-" + HASH + ".tar.zst";

  @TempDir Path tmp;
  ServerFixture f;
  final List<Socket> sockets = new ArrayList<>();

  ServerFixture start(UnaryOperator<HttpServerConfig> tweak) throws IOException {
    f = new ServerFixture(tmp, HealthSource.UNKNOWN, tweak);
    return f;
  }

  @AfterEach
  void stop() throws IOException {
    for (Socket s : sockets) {
      s.close();
    }
    if (f != null) {
      f.close();
    }
  }

  private Socket connect() throws IOException {
    Socket s = new Socket(f.address.getAddress(), f.address.getPort());
    s.setSoTimeout(10_000);
    sockets.add(s);
    return s;
  }

  private static byte[] fetch(Socket s, String path) throws IOException {
    OutputStream out = s.getOutputStream();
    out.write(
        ("GET " + path + " HTTP/1.1\r\nHost: x\r\nConnection: close\r\n\r\n")
            .getBytes(StandardCharsets.US_ASCII));
    out.flush();
    return ServerFixture.readAll(s.getInputStream());
  }

  private static byte[] body(byte[] response) {
    String text = new String(response, StandardCharsets.ISO_8859_1);
    return Arrays.copyOfRange(response, text.indexOf("\r\n\r\n") + 4, response.length);
  }

  @Test
  void fiveHundredConcurrentConnectionsAllGetTheirFile() throws Exception {
    start(c -> c.withConnectionLimits(600, 600));
    byte[] data = f.archive(ARCHIVE, 32 * 1024);
    for (int i = 0; i < 500; i++) {
      connect();
    }
    // All 500 are open at once before any request is sent.
    await().atMost(Duration.ofSeconds(10)).until(() -> f.metrics.openConnections() == 500);
    try (ExecutorService pool = Executors.newVirtualThreadPerTaskExecutor()) {
      List<Future<byte[]>> results = new ArrayList<>();
      for (Socket s : sockets) {
        results.add(pool.submit(() -> fetch(s, "/" + ARCHIVE)));
      }
      for (Future<byte[]> r : results) {
        byte[] response = r.get();
        assertThat(new String(response, 0, 12, StandardCharsets.US_ASCII))
            .isEqualTo("HTTP/1.1 200");
        assertThat(body(response)).isEqualTo(data);
      }
    }
    assertThat(f.metrics.requests("archive", 200)).isEqualTo(500);
    await().atMost(Duration.ofSeconds(10)).until(() -> f.metrics.openConnections() == 0);
  }

  @Test
  void perAddressLimitRefusesTheExcessAndOthersStillGetIn() throws Exception {
    start(c -> c.withConnectionLimits(100, 3));
    for (int i = 0; i < 3; i++) {
      connect();
    }
    await().atMost(Duration.ofSeconds(5)).until(() -> f.metrics.openConnections() == 3);
    String refused =
        new String(ServerFixture.readAll(connect().getInputStream()), StandardCharsets.US_ASCII);
    assertThat(refused).startsWith("HTTP/1.1 503");
    assertThat(f.metrics.refusedCount("per_ip")).isEqualTo(1);

    // Another loopback address is another client (Linux routes all of 127/8 to lo).
    Socket other = new Socket();
    sockets.add(other);
    other.bind(new InetSocketAddress(InetAddress.getByName("127.0.0.2"), 0));
    other.connect(f.address);
    other.setSoTimeout(5000);
    assertThat(new String(fetch(other, "/health"), StandardCharsets.US_ASCII))
        .startsWith("HTTP/1.1 200");

    // A slot freed is a slot to take again.
    sockets.get(0).close();
    await().atMost(Duration.ofSeconds(5)).until(() -> f.metrics.openConnections() == 2);
    assertThat(new String(fetch(connect(), "/health"), StandardCharsets.US_ASCII))
        .startsWith("HTTP/1.1 200");
  }

  @Test
  void totalLimitRefusesTheExcess() throws Exception {
    start(c -> c.withConnectionLimits(2, 10));
    connect();
    connect();
    await().atMost(Duration.ofSeconds(5)).until(() -> f.metrics.openConnections() == 2);
    assertThat(new String(fetch(connect(), "/health"), StandardCharsets.US_ASCII))
        .startsWith("HTTP/1.1 503");
    assertThat(f.metrics.refusedCount("total")).isEqualTo(1);
  }

  @Test
  void slowlorisIsCutOffAfterTheHeaderTimeout() throws Exception {
    Duration headerTimeout = Duration.ofMillis(500);
    start(c -> c.withTimeouts(headerTimeout, Duration.ofSeconds(30)));
    long startNanos = System.nanoTime(); // before the connection, so before the server's timer
    Socket s = connect();
    // A byte every 20 ms until the server hangs up: had each byte restarted the timer, the read
    // below would time out (the socket's 10 s) instead of getting the 408.
    Thread dribbler =
        Thread.ofVirtual()
            .start(
                () -> {
                  byte[] head = "GET /health HTTP/1.1\r\nHost: x\r\n".getBytes();
                  try {
                    OutputStream out = s.getOutputStream();
                    for (int i = 0; !Thread.currentThread().isInterrupted(); i++) {
                      out.write(i < head.length ? head[i] : 'a'); // never ends the head
                      out.flush();
                      Thread.sleep(20);
                    }
                  } catch (IOException | InterruptedException e) {
                    // The server hung up: expected.
                  }
                });
    InputStream in = s.getInputStream();
    String response = new String(ServerFixture.readAll(in), StandardCharsets.US_ASCII);
    Duration elapsed = Duration.ofNanos(System.nanoTime() - startNanos);
    dribbler.interrupt();
    assertThat(response).startsWith("HTTP/1.1 408");
    assertThat(elapsed).isGreaterThanOrEqualTo(headerTimeout);
    assertThat(f.metrics.timeoutCount("header")).isEqualTo(1);

    // A connection that sends nothing at all is cut off the same way.
    Socket silent = connect();
    assertThat(new String(ServerFixture.readAll(silent.getInputStream())))
        .startsWith("HTTP/1.1 408");
  }

  @Test
  void aStalledDownloadIsClosedAfterTheIdleTimeout() throws Exception {
    start(c -> c.withTimeouts(Duration.ofSeconds(5), Duration.ofMillis(500)));
    f.archive(ARCHIVE, 16 * 1024 * 1024);
    Socket s = connect();
    s.setReceiveBufferSize(64 * 1024);
    s.getOutputStream()
        .write(
            ("GET /" + ARCHIVE + " HTTP/1.1\r\nHost: x\r\n\r\n")
                .getBytes(StandardCharsets.US_ASCII));
    // Never read: the socket buffers fill, the server's writes stop making progress.
    await()
        .atMost(Duration.ofSeconds(5))
        .until(() -> f.metrics.timeoutCount("idle") == 1 && f.metrics.openConnections() == 0);
  }

  @Test
  void perConnectionEgressLimit() throws Exception {
    start(c -> c.withEgressLimits(0, 1024 * 1024));
    byte[] data = f.archive(ARCHIVE, 1536 * 1024);
    long startNanos = System.nanoTime();
    HttpResponse<byte[]> r = f.get("/" + ARCHIVE);
    double seconds = (System.nanoTime() - startNanos) / 1e9;
    assertThat(r.body()).isEqualTo(data);
    // 1.5 MiB at 1 MiB/s: the shaper lets the first interval's worth through at once. Only the
    // lower bound is the limit; a slow machine takes longer, bounded by the class's timeout.
    assertThat(seconds).isGreaterThanOrEqualTo(0.9);
  }

  @Test
  void totalEgressLimitIsSharedByConnections() throws Exception {
    start(c -> c.withEgressLimits(2 * 1024 * 1024, 0));
    byte[] data = f.archive(ARCHIVE, 1536 * 1024);
    long startNanos = System.nanoTime();
    try (ExecutorService pool = Executors.newVirtualThreadPerTaskExecutor()) {
      List<Future<HttpResponse<byte[]>>> results = new ArrayList<>();
      for (int i = 0; i < 3; i++) {
        results.add(pool.submit(() -> f.get("/" + ARCHIVE)));
      }
      for (Future<HttpResponse<byte[]>> r : results) {
        assertThat(r.get().body()).isEqualTo(data);
      }
    }
    double seconds = (System.nanoTime() - startNanos) / 1e9;
    // 4.5 MiB at 2 MiB/s in total.
    assertThat(seconds).isGreaterThanOrEqualTo(1.5);
  }
}
