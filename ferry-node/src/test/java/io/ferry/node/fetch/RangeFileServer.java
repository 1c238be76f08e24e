package io.ferry.node.fetch;

import com.sun.net.httpserver.HttpExchange;
import com.sun.net.httpserver.HttpServer;
import java.io.IOException;
import java.io.OutputStream;
import java.net.InetAddress;
import java.net.InetSocketAddress;
import java.net.URI;
import java.util.concurrent.Executors;
import java.util.concurrent.atomic.AtomicLong;
import java.util.regex.Matcher;
import java.util.regex.Pattern;

/**
 * A small HTTP file server for downloader tests, on loopback: serves one byte array at {@code
 * /file.bin} (and at any path given to {@link #serveAt}) with ETag and single Range support,
 * redirects {@code /latest} there (303) and any path given to {@link #redirect} where told, counts
 * the requests it gets, and can be made slow (bytes per second) or to cut connections after a byte
 * budget.
 */
final class RangeFileServer implements AutoCloseable {
  private static final Pattern RANGE = Pattern.compile("bytes=(\\d+)-(\\d+)");

  private final HttpServer server;
  private final byte[] data;
  private volatile long bytesPerSecond;
  volatile String etag = "\"v1\"";
  final AtomicLong budget = new AtomicLong(Long.MAX_VALUE);
  final AtomicLong served = new AtomicLong();
  final AtomicLong requests = new AtomicLong();

  RangeFileServer(byte[] data) throws IOException {
    this.data = data;
    server = HttpServer.create(new InetSocketAddress(InetAddress.getLoopbackAddress(), 0), 64);
    server.setExecutor(
        Executors.newCachedThreadPool(
            r -> {
              Thread t = new Thread(r, "range-file-server");
              t.setDaemon(true);
              return t;
            }));
    server.createContext(
        "/latest",
        ex -> {
          ex.getResponseHeaders().add("Location", "/file.bin");
          ex.sendResponseHeaders(303, -1);
          ex.close();
        });
    server.createContext("/file.bin", this::serve);
    server.start();
  }

  /** Serves the file at {@code path} too. */
  RangeFileServer serveAt(String path) {
    server.createContext(path, this::serve);
    return this;
  }

  /** Answers {@code path} with a 302 to {@code location}, sent as given. */
  RangeFileServer redirect(String path, String location) {
    server.createContext(
        path,
        ex -> {
          requests.incrementAndGet();
          ex.getResponseHeaders().add("Location", location);
          ex.sendResponseHeaders(302, -1);
          ex.close();
        });
    return this;
  }

  URI uri(String path) {
    return URI.create("http://127.0.0.1:" + server.getAddress().getPort() + path);
  }

  void throttle(long bytesPerSecond) {
    this.bytesPerSecond = bytesPerSecond;
  }

  private void serve(HttpExchange ex) throws IOException {
    requests.incrementAndGet();
    ex.getResponseHeaders().add("ETag", etag);
    ex.getResponseHeaders().add("Accept-Ranges", "bytes");
    long start = 0;
    long end = data.length - 1;
    int status = 200;
    String range = ex.getRequestHeaders().getFirst("Range");
    if (range != null) {
      Matcher m = RANGE.matcher(range);
      if (m.matches()) {
        start = Long.parseLong(m.group(1));
        end = Math.min(Long.parseLong(m.group(2)), data.length - 1);
        status = 206;
        ex.getResponseHeaders()
            .add("Content-Range", "bytes " + start + "-" + end + "/" + data.length);
      }
    }
    long length = end - start + 1;
    if (ex.getRequestMethod().equals("HEAD")) {
      ex.getResponseHeaders().add("Content-Length", Long.toString(length));
      ex.sendResponseHeaders(status, -1);
      ex.close();
      return;
    }
    ex.sendResponseHeaders(status, length);
    try (OutputStream out = ex.getResponseBody()) {
      int pos = (int) start;
      while (pos <= end) {
        int n = (int) Math.min(16 << 10, end - pos + 1);
        if (budget.addAndGet(-n) < 0) {
          ex.getHttpContext().getServer(); // budget spent: cut the connection mid-body
          throw new IOException("budget spent");
        }
        out.write(data, pos, n);
        out.flush();
        pos += n;
        served.addAndGet(n);
        long bps = bytesPerSecond;
        if (bps > 0) {
          try {
            Thread.sleep(Math.max(1, n * 1000L / bps));
          } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
            return;
          }
        }
      }
    }
  }

  @Override
  public void close() {
    server.stop(0);
  }
}
