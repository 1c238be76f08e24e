package io.ferry.node.demo;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import io.ferry.core.ErrorCode;
import io.ferry.core.FerryException;
import java.io.BufferedReader;
import java.io.IOException;
import java.io.InputStreamReader;
import java.io.Writer;
import java.net.URI;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.nio.charset.StandardCharsets;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.TimeUnit;

/**
 * A {@code ferry node} running as a child process of the demo: started with the demo's own JVM and
 * class path, its p2p and HTTP addresses read from its first output lines, its {@code /status}
 * polled over HTTP. It stops with its parent even if the parent is killed.
 *
 * <p>Not thread-safe.
 */
final class NodeProcess implements AutoCloseable {
  private static final ObjectMapper JSON = new ObjectMapper();

  final String name;
  final Path data;
  private final Process process;
  private final HttpClient http;
  final String p2p;
  final URI base;

  /** The write API's base URL, on a node started with {@code --api}; null otherwise. */
  URI api;

  final String id;

  private NodeProcess(
      String name, Path data, Process process, HttpClient http, String p2p, URI base, String id) {
    this.name = name;
    this.data = data;
    this.process = process;
    this.http = http;
    this.p2p = p2p;
    this.base = base;
    this.id = id;
  }

  /** Starts {@code ferry node --data DATA ARGS…} and waits until it listens. */
  static NodeProcess start(String name, Path data, HttpClient http, List<String> args)
      throws IOException {
    String java = ProcessHandle.current().info().command().orElse("java");
    List<String> cmd =
        new ArrayList<>(
            List.of(
                java,
                "--enable-native-access=ALL-UNNAMED",
                "-Xmx512m",
                "-XX:+UseSerialGC",
                "-cp",
                System.getProperty("java.class.path"),
                "io.ferry.node.cli.Main",
                "node",
                "--data",
                data.toString(),
                "--p2p",
                "127.0.0.1:0",
                "--http",
                "127.0.0.1:0",
                "--stop-with-parent"));
    cmd.addAll(args);
    Process p = new ProcessBuilder(cmd).redirectError(data.resolve("stderr.txt").toFile()).start();
    BufferedReader out =
        new BufferedReader(new InputStreamReader(p.getInputStream(), StandardCharsets.UTF_8));
    String p2p = null;
    String httpUrl = null;
    String apiUrl = null;
    String id = null;
    for (String line; (line = out.readLine()) != null; ) {
      if (line.startsWith("node id:")) {
        id = line.substring("node id:".length()).strip();
      } else if (line.startsWith("http ")) {
        httpUrl = line.substring("http ".length()).strip();
      } else if (line.startsWith("api ")) {
        apiUrl = line.substring("api ".length()).strip();
      } else if (line.startsWith("listening ")) {
        p2p = line.substring("listening ".length()).strip();
        break;
      }
    }
    if (p2p == null || httpUrl == null) {
      p.destroyForcibly();
      throw new FerryException(
          ErrorCode.UNAVAILABLE,
          "node " + name + " exited before listening; see " + data.resolve("stderr.txt"));
    }
    // Drain the rest so the child never blocks on a full pipe.
    Thread.ofPlatform()
        .name("demo-drain-" + name)
        .daemon()
        .start(
            () -> {
              try {
                out.transferTo(Writer.nullWriter());
              } catch (IOException e) {
                // the process ended
              }
            });
    NodeProcess node = new NodeProcess(name, data, p, http, p2p, URI.create(httpUrl), id);
    node.api = apiUrl == null ? null : URI.create(apiUrl);
    return node;
  }

  /** The node's {@code /status}, or null when it does not answer. */
  JsonNode status() {
    try {
      HttpResponse<String> r =
          http.send(
              HttpRequest.newBuilder(base.resolve("/status"))
                  .timeout(Duration.ofSeconds(5))
                  .build(),
              HttpResponse.BodyHandlers.ofString());
      return r.statusCode() == 200 ? JSON.readTree(r.body()) : null;
    } catch (IOException e) {
      return null;
    } catch (InterruptedException e) {
      Thread.currentThread().interrupt();
      return null;
    }
  }

  boolean alive() {
    return process.isAlive();
  }

  /** SIGTERM, then SIGKILL if it has not stopped after 20 s. */
  @Override
  public void close() {
    if (!process.isAlive()) {
      return;
    }
    process.destroy();
    try {
      if (!process.waitFor(20, TimeUnit.SECONDS)) {
        process.destroyForcibly();
      }
    } catch (InterruptedException e) {
      process.destroyForcibly();
      Thread.currentThread().interrupt();
    }
  }
}
