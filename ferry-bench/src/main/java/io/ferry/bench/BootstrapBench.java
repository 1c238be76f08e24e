package io.ferry.bench;

import io.ferry.bench.FerryCli.NodeProcess;
import java.io.IOException;
import java.net.URI;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.TimeUnit;
import java.util.regex.Matcher;
import java.util.regex.Pattern;

/**
 * A newcomer's time from start to following, three ways in one run, every node its own process on
 * loopback: bootstrapped through gossip (it knows one peer and the producer's id, chooses the
 * snapshot the producer advertises and downloads it from every advertiser at once), the same
 * archive with its URLs typed by hand ({@code ferry fetch} of the URLs, {@code ferry snapshot
 * restore}, then the node), and a proof sync from all the servers ({@code --bootstrap-wait 0}).
 *
 * <p>The network: a producer over a generated state (it does not commit, so every way ends at the
 * same head) and {@code servers - 1} nodes serving copies of its state and of its archive, so
 * {@code servers} nodes advertise the same snapshot.
 *
 * <p>Usage: {@code bin/bench bootstrap [--keys N] [--servers N]}.
 */
public final class BootstrapBench {
  private static final int VALUE_SIZE = 100;
  private static final Pattern PHASE = Pattern.compile("\"phase\":\"([a-z_]+)\"");
  private static final Pattern HEIGHT = Pattern.compile("\"height\":(\\d+)");
  private static final Pattern SERVED = Pattern.compile("\\{\"id\":\"[^\"]+\",\"bytes\":(\\d+)");

  private final HttpClient http =
      HttpClient.newBuilder().connectTimeout(Duration.ofSeconds(5)).build();

  private BootstrapBench() {}

  public static void main(String[] args) throws Exception {
    int keys = Integer.parseInt(BenchData.arg(args, "--keys", "1000000"));
    int servers = Integer.parseInt(BenchData.arg(args, "--servers", "3"));
    Path root = Files.createTempDirectory("ferry-bootstrapbench");
    try {
      new BootstrapBench().run(root, keys, servers);
    } finally {
      BenchData.deleteTree(root);
    }
  }

  private void run(Path dir, int keys, int serverCount) throws Exception {
    Path producerDir = dir.resolve("producer");
    FerryCli.run(
        "state",
        "generate",
        "--data",
        producerDir.toString(),
        "--keys",
        Integer.toString(keys),
        "--value-size",
        Integer.toString(VALUE_SIZE));
    Path archive =
        Path.of(
            FerryCli.lastLine(
                FerryCli.run("snapshot", "create", "--data", producerDir.toString())));
    String name = archive.getFileName().toString();
    long height = Long.parseLong(name.split("-")[1]);
    String rootHex =
        FerryCli.lastLine(FerryCli.run("state", "root", "--data", producerDir.toString()));
    for (int i = 1; i < serverCount; i++) {
      Path d = dir.resolve("server" + i);
      BenchData.copyTree(producerDir.resolve("state"), d.resolve("state"));
      Files.createDirectories(d.resolve("snapshots"));
      Files.copy(archive, d.resolve("snapshots").resolve(name));
    }
    System.out.printf(
        "bootstrap bench: %,d keys, archive %s (%.1f MB) at height %d, %d advertisers, %d CPUs%n",
        keys,
        name,
        Files.size(archive) / 1e6,
        height,
        serverCount,
        Runtime.getRuntime().availableProcessors());

    List<NodeProcess> network = new ArrayList<>();
    try {
      // The producer signs the head of its state and never commits (a day between commits).
      NodeProcess producer =
          node(producerDir, "--produce", "--commit-interval", Long.toString(86_400_000L));
      network.add(producer);
      for (int i = 1; i < serverCount; i++) {
        network.add(node(dir.resolve("server" + i), "--peer", producer.p2p()));
      }
      NodeProcess entry = network.get(network.size() - 1);
      // The entry point's table holds every advertiser before a newcomer asks it.
      awaitStatus(entry, s -> count(s, "\"full\":") >= serverCount, Duration.ofSeconds(60));

      System.out.printf(
          "%-58s %9s %9s %9s %9s%n", "newcomer", "seconds", "servers", "MB/s", "vs gossip");
      // 1. Through gossip: one peer and the producer's id.
      Path a = dir.resolve("newcomer-gossip");
      long t0 = System.nanoTime();
      NodeProcess gossip = node(a, "--peer", entry.p2p(), "--trust-producer", producer.id());
      String s1 = awaitFollowing(gossip, height);
      double gossipSeconds = secs(t0);
      stop(gossip);
      int used = 0;
      for (Matcher m = SERVED.matcher(s1); m.find(); ) {
        used += Long.parseLong(m.group(1)) > 0 ? 1 : 0;
      }
      long bytes = Files.size(archive);
      int b0 = s1.indexOf("\"bootstrap\":");
      Matcher bs = Pattern.compile("\"seconds\":([0-9.]+)").matcher(s1);
      String inside = b0 >= 0 && bs.find(b0) ? bs.group(1) : "?";
      row(
          "gossip: node --peer 1 --trust-producer (bootstrap " + inside + " s)",
          gossipSeconds,
          used,
          bytes,
          1);

      // 2. By hand: the operator types every server's URL, restores, then starts the node.
      Path b = dir.resolve("newcomer-by-hand");
      Files.createDirectories(b);
      List<String> fetch = new ArrayList<>(List.of("fetch", "--out", b.resolve(name).toString()));
      for (NodeProcess n : network) {
        fetch.add("http://" + n.http() + "/" + name);
      }
      t0 = System.nanoTime();
      FerryCli.run(fetch);
      double fetchSeconds = secs(t0);
      long r0 = System.nanoTime();
      FerryCli.run(
          "snapshot",
          "restore",
          "--data",
          b.toString(),
          "--archive",
          b.resolve(name).toString(),
          "--trust-root",
          rootHex);
      double restoreSeconds = secs(r0);
      long n0 = System.nanoTime();
      NodeProcess byHand = node(b, "--peer", entry.p2p(), "--trust-producer", producer.id());
      awaitFollowing(byHand, height);
      double nodeSeconds = secs(n0);
      double byHandSeconds = secs(t0);
      stop(byHand);
      row(
          String.format(
              "by hand: fetch %.2f s + restore %.2f s + node %.2f s",
              fetchSeconds, restoreSeconds, nodeSeconds),
          byHandSeconds,
          serverCount,
          bytes,
          byHandSeconds / gossipSeconds);

      // 3. Proof sync from every server, as before snapshots came through gossip.
      Path c = dir.resolve("newcomer-proof-sync");
      List<String> proof = new ArrayList<>();
      for (NodeProcess n : network) {
        proof.add("--peer");
        proof.add(n.p2p());
      }
      proof.addAll(List.of("--trust-producer", producer.id(), "--bootstrap-wait", "0"));
      t0 = System.nanoTime();
      NodeProcess sync = node(c, proof.toArray(String[]::new));
      awaitFollowing(sync, height);
      double syncSeconds = secs(t0);
      stop(sync);
      row(
          "proof sync (node --peer x" + serverCount + " --bootstrap-wait 0)",
          syncSeconds,
          serverCount,
          keys * (32L + VALUE_SIZE),
          syncSeconds / gossipSeconds);
    } finally {
      for (NodeProcess n : network) {
        n.process().destroy();
      }
      for (NodeProcess n : network) {
        n.process().waitFor(30, TimeUnit.SECONDS);
      }
    }
  }

  private static void row(String what, double seconds, int servers, long bytes, double ratio) {
    System.out.printf(
        "%-58s %9.2f %9d %9.1f %9.2f%n", what, seconds, servers, bytes / 1e6 / seconds, ratio);
  }

  /**
   * Polls a newcomer's {@code /status} (on the HTTP port it is given for that) until it follows at
   * {@code height}; returns that status.
   */
  private String awaitFollowing(NodeProcess n, long height) throws Exception {
    return awaitStatus(
        n,
        s -> {
          Matcher p = PHASE.matcher(s);
          Matcher h = HEIGHT.matcher(s);
          return p.find()
              && p.group(1).equals("following")
              && h.find()
              && Long.parseLong(h.group(1)) == height;
        },
        Duration.ofMinutes(10));
  }

  private String awaitStatus(
      NodeProcess n, java.util.function.Predicate<String> done, Duration limit) throws Exception {
    URI uri = URI.create("http://" + n.http() + "/status");
    long deadline = System.nanoTime() + limit.toNanos();
    while (System.nanoTime() < deadline) {
      if (!n.process().isAlive()) {
        throw new IllegalStateException("a node exited with " + n.process().exitValue());
      }
      try {
        String s =
            http.send(HttpRequest.newBuilder(uri).build(), HttpResponse.BodyHandlers.ofString())
                .body();
        if (done.test(s)) {
          return s;
        }
      } catch (IOException e) {
        // not listening yet
      }
      Thread.sleep(20); // polling a separate process: its status is the only signal
    }
    throw new IllegalStateException("no such status from " + uri + " within " + limit);
  }

  /** Starts a node on loopback ports, its HTTP port too (a newcomer's, for its status). */
  private static NodeProcess node(Path data, String... extra) throws IOException {
    return FerryCli.node(data, List.of(extra));
  }

  private static void stop(NodeProcess n) throws InterruptedException {
    n.process().destroy();
    n.process().waitFor(30, TimeUnit.SECONDS);
  }

  private static int count(String s, String what) {
    int n = 0;
    for (int i = s.indexOf(what); i >= 0; i = s.indexOf(what, i + 1)) {
      n++;
    }
    return n;
  }

  private static double secs(long t0) {
    return (System.nanoTime() - t0) / 1e9;
  }
}
