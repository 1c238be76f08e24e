package io.ferry.http;

import java.io.ByteArrayOutputStream;
import java.io.IOException;
import java.io.InputStream;
import java.io.UncheckedIOException;
import java.net.InetSocketAddress;
import java.net.Socket;
import java.net.URI;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.Random;
import java.util.function.UnaryOperator;

/**
 * A server on loopback port 0 over {@code <root>/archives}, with a secret file next to that
 * directory, and the clients the tests talk to it with.
 */
final class ServerFixture implements AutoCloseable {
  static final String HASH = "7GsLmPq8xVbW3zYkR2nJcT5dFhA9uE4sQ1wXyZpN6mK";

  final Path root;
  final Path dir;
  final HttpMetrics metrics = HttpMetrics.standalone();
  final SnapshotHttpServer server;
  final InetSocketAddress address;
  final HttpClient client =
      HttpClient.newBuilder()
          .version(HttpClient.Version.HTTP_1_1)
          .connectTimeout(Duration.ofSeconds(5))
          .build();

  ServerFixture(Path root, HealthSource health, UnaryOperator<HttpServerConfig> tweak)
      throws IOException {
    this(root, health, StatusSource.NONE, tweak);
  }

  ServerFixture(
      Path root, HealthSource health, StatusSource status, UnaryOperator<HttpServerConfig> tweak)
      throws IOException {
    this(root, health, status, StaticFiles.NONE, tweak);
  }

  ServerFixture(
      Path root,
      HealthSource health,
      StatusSource status,
      StaticFiles page,
      UnaryOperator<HttpServerConfig> tweak)
      throws IOException {
    this.root = root;
    this.dir = Files.createDirectories(root.resolve("archives"));
    Files.writeString(root.resolve("secret.txt"), "TOP-SECRET");
    HttpServerConfig config =
        tweak.apply(
            HttpServerConfig.defaults(dir)
                .withBind(new InetSocketAddress("127.0.0.1", 0))
                .withIoThreads(2));
    server = new SnapshotHttpServer(config, health, status, page, metrics);
    address = server.start();
  }

  ServerFixture(Path root) throws IOException {
    this(root, HealthSource.UNKNOWN, c -> c);
  }

  /** Writes a file of random bytes into the archive directory. */
  byte[] archive(String name, int size) throws IOException {
    byte[] data = new byte[size];
    new Random(name.hashCode()).nextBytes(data);
    Files.write(dir.resolve(name), data);
    return data;
  }

  URI uri(String path) {
    return URI.create("http://127.0.0.1:" + address.getPort() + path);
  }

  HttpResponse<byte[]> get(String path, String... headers) {
    return send("GET", path, headers);
  }

  HttpResponse<byte[]> send(String method, String path, String... headers) {
    HttpRequest.Builder b =
        HttpRequest.newBuilder(uri(path))
            .timeout(Duration.ofSeconds(10))
            .method(method, HttpRequest.BodyPublishers.noBody());
    if (headers.length > 0) {
      b.headers(headers);
    }
    try {
      return client.send(b.build(), HttpResponse.BodyHandlers.ofByteArray());
    } catch (IOException e) {
      throw new UncheckedIOException(e);
    } catch (InterruptedException e) {
      Thread.currentThread().interrupt();
      throw new IllegalStateException(e);
    }
  }

  /** Sends raw request bytes on a new connection and reads until the server closes it. */
  String raw(String request) throws IOException {
    try (Socket s = new Socket(address.getAddress(), address.getPort())) {
      s.setSoTimeout(5000);
      s.getOutputStream().write(request.getBytes(StandardCharsets.ISO_8859_1));
      s.getOutputStream().flush();
      return new String(readAll(s.getInputStream()), StandardCharsets.ISO_8859_1);
    }
  }

  static byte[] readAll(InputStream in) throws IOException {
    ByteArrayOutputStream out = new ByteArrayOutputStream();
    in.transferTo(out);
    return out.toByteArray();
  }

  /** The status code of a raw response, or -1 when the server closed without one. */
  static int status(String response) {
    if (!response.startsWith("HTTP/1.1 ")) {
      return -1;
    }
    return Integer.parseInt(response.substring(9, 12));
  }

  @Override
  public void close() {
    client.close();
    server.close();
  }
}
