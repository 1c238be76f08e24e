package io.ferry.bench;

import io.ferry.bench.FerryCli.NodeProcess;
import java.io.IOException;
import java.net.URI;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.Future;
import java.util.regex.Matcher;
import java.util.regex.Pattern;

/**
 * Ferry's side of {@code bin/bench blocks}: the block exchange between {@code ferry node}
 * processes.
 *
 * <ol>
 *   <li>One seeding node and {@code downloaders} downloading nodes start on loopback in a network
 *       of their own ({@code --network}); each downloader keeps the seeder as a peer and finds the
 *       others through gossip ({@code --entrypoint}), as BitTorrent's downloaders find each other
 *       through the tracker. The benchmark waits (untimed) until each downloader is connected to
 *       the seeder and, for at most 30 s, to the others.
 *   <li>Publishing: the file is uploaded to the seeder, {@code POST /api/v1/data} on its HTTP port,
 *       which answers the manifest's CID as text.
 *   <li>The downloads, all started at once: on each downloader {@code GET
 *       /api/v1/data/CID/network/stream} into a file with {@code curl} (or {@code ferry blocks get
 *       CID -o FILE --node URL} with {@code --ferry-client cli}); a downloader is done when its
 *       client exits 0.
 *   <li>Each copy is checked against the source's SHA-256, then the nodes stop.
 * </ol>
 *
 * <p>The block-exchange API lands after this benchmark: until it does, a run fails at the upload,
 * with the seeder's answer in the message.
 */
final class FerrySwarm implements Swarm {
  private static final String NETWORK = "ferry-blocksbench";
  private static final Pattern PEERS = Pattern.compile("\"peers\":\\[([^\\]]*)\\]");
  private static final Pattern P2P_OUT = Pattern.compile("\"p2p_out\":(\\d+)");

  /** How a downloader's client asks its node for the file. */
  enum Client {
    /** {@code curl} of the node's stream endpoint into a file. */
    CURL,
    /** {@code ferry blocks get CID -o FILE --node URL}, a JVM of its own. */
    CLI
  }

  private final Children children;
  private final int downloaders;
  private final Client client;
  private final Duration timeout;
  private final HttpClient http =
      HttpClient.newBuilder().connectTimeout(Duration.ofSeconds(5)).build();

  private final int warmupMib;

  FerrySwarm(Children children, int downloaders, Client client, Duration timeout, int warmupMib) {
    this.children = children;
    this.downloaders = downloaders;
    this.client = client;
    this.timeout = timeout;
    this.warmupMib = warmupMib;
  }

  @Override
  public String name() {
    return "Ferry (block exchange, ferry node, "
        + (client == Client.CURL ? "curl of /network/stream" : "ferry blocks get")
        + ")";
  }

  @Override
  public Run run(Source source, Path dir) throws Exception {
    try {
      NodeProcess seeder = node(dir.resolve("seeder"), List.of());
      List<NodeProcess> nodes = startDownloaders(dir, seeder);
      awaitPeers(seeder, nodes);
      if (warmupMib > 0) {
        warmUp(seeder, nodes, dir);
      }

      // Publishing: the seeder takes the file in and answers its manifest's CID.
      long t0 = System.nanoTime();
      String cid = upload(seeder, source.file());
      double publishSeconds = (System.nanoTime() - t0) / 1e9;
      System.out.printf("  uploaded to the seeder in %.2f s: %s%n", publishSeconds, cid);
      long seederBefore = p2pOut(seeder);
      long[] sentBefore = new long[downloaders];
      for (int i = 0; i < downloaders; i++) {
        sentBefore[i] = p2pOut(nodes.get(i));
      }
      List<String> jvm = client == Client.CLI ? FerryCli.cdsArgs(dir) : List.of();

      // The downloads, all started at once.
      Downloads downloads = new Downloads(downloaders);
      List<Path> copies = new ArrayList<>();
      double[] seconds;
      double cpuSeconds;
      MachineCpu cpu;
      String loadBefore;
      try (CpuMeter ownCpu = new CpuMeter()) {
        ownCpu.add(seeder.process().toHandle());
        nodes.forEach(n -> ownCpu.add(n.process().toHandle()));
        cpu = MachineCpu.now();
        loadBefore = BenchData.loadAverage();
        for (int i = 0; i < downloaders; i++) {
          int n = i;
          Path copy = dir.resolve("copy-" + (i + 1));
          Path log = dir.resolve("client-" + (i + 1) + ".log");
          copies.add(copy);
          downloads.started(i);
          Process p =
              children.start(
                  new ProcessBuilder(command(jvm, nodes.get(i), cid, copy))
                      .redirectErrorStream(true)
                      .redirectOutput(log.toFile()));
          ownCpu.add(p.toHandle());
          p.onExit()
              .thenRun(
                  () -> {
                    if (p.exitValue() == 0) {
                      downloads.finished(n);
                    } else {
                      downloads.failed(
                          n,
                          "downloader "
                              + (n + 1)
                              + "'s client exited "
                              + p.exitValue()
                              + ": "
                              + tail(log));
                    }
                  });
        }
        seconds = downloads.await(timeout);
        cpuSeconds = ownCpu.seconds();
      }
      double busy = MachineCpu.now().busySince(cpu);
      String loadAfter = BenchData.loadAverage();
      long seederSent = minus(p2pOut(seeder), seederBefore);
      long[] sent = new long[downloaders];
      for (int i = 0; i < downloaders; i++) {
        sent[i] = minus(p2pOut(nodes.get(i)), sentBefore[i]);
      }
      for (Path copy : copies) {
        source.verify(copy);
      }
      return new Run(
          name(),
          source.bytes(),
          publishSeconds,
          seconds,
          downloads.allSeconds(),
          busy,
          cpuSeconds,
          loadBefore,
          loadAfter,
          seederSent,
          sent);
    } finally {
      children.stopAll();
    }
  }

  /**
   * An untimed pass of a smaller dataset through the same nodes and clients, so the timed round
   * runs on compiled code: nodes run for days, and their first minute of just-in-time compilation
   * is not what the exchange costs.
   */
  private void warmUp(NodeProcess seeder, List<NodeProcess> nodes, Path dir) throws Exception {
    Path file = Files.createDirectories(dir.resolve("warmup")).resolve("warmup.bin");
    BenchData.writeRandom(file, (long) warmupMib << 20, 20);
    long t0 = System.nanoTime();
    String cid = upload(seeder, file);
    List<String> jvm = client == Client.CLI ? FerryCli.cdsArgs(dir) : List.of();
    List<Process> running = new ArrayList<>();
    for (int i = 0; i < nodes.size(); i++) {
      Path copy = dir.resolve("warmup").resolve("copy-" + (i + 1));
      running.add(
          children.start(
              new ProcessBuilder(command(jvm, nodes.get(i), cid, copy))
                  .redirectErrorStream(true)
                  .redirectOutput(
                      dir.resolve("warmup").resolve("client-" + (i + 1) + ".log").toFile())));
    }
    for (Process p : running) {
      if (!p.waitFor(timeout.toSeconds(), java.util.concurrent.TimeUnit.SECONDS)
          || p.exitValue() != 0) {
        throw new IllegalStateException(
            "the warm-up download failed; see " + dir.resolve("warmup"));
      }
    }
    System.out.printf(
        "  warmed up: %d MiB to %d downloaders in %.1f s, untimed%n",
        warmupMib, nodes.size(), (System.nanoTime() - t0) / 1e9);
    BenchData.deleteTree(dir.resolve("warmup"));
  }

  // ---------------- the nodes ----------------

  private NodeProcess node(Path data, List<String> extra) throws IOException {
    List<String> args = new ArrayList<>(List.of("--network", NETWORK));
    args.addAll(extra);
    NodeProcess n = FerryCli.node(data, args);
    children.add(n.process());
    return n;
  }

  /**
   * Starts the downloading nodes in parallel: each JVM takes seconds to start on a busy machine.
   */
  private List<NodeProcess> startDownloaders(Path dir, NodeProcess seeder) throws Exception {
    List<String> extra =
        List.of("--peer", seeder.id() + "@" + seeder.p2p(), "--entrypoint", seeder.p2p());
    List<Future<NodeProcess>> starting = new ArrayList<>();
    try (ExecutorService pool = Executors.newVirtualThreadPerTaskExecutor()) {
      for (int i = 0; i < downloaders; i++) {
        Path data = dir.resolve("node-" + (i + 1));
        starting.add(pool.submit(() -> node(data, extra)));
      }
    }
    List<NodeProcess> nodes = new ArrayList<>();
    for (Future<NodeProcess> f : starting) {
      nodes.add(f.get());
    }
    return nodes;
  }

  /**
   * Waits until every downloader is connected to the seeder (or fails after 60 s), then up to 30 s
   * more until each is connected to every other node, and says how far that got.
   */
  private void awaitPeers(NodeProcess seeder, List<NodeProcess> nodes) throws Exception {
    long deadline = System.nanoTime() + Duration.ofSeconds(60).toNanos();
    for (NodeProcess n : nodes) {
      while (!peers(n).contains(seeder.id())) {
        if (System.nanoTime() > deadline) {
          throw new IllegalStateException(n.p2p() + " did not connect to the seeder in 60 s");
        }
        Thread.sleep(50);
      }
    }
    deadline = System.nanoTime() + Duration.ofSeconds(30).toNanos();
    int fewest;
    do {
      fewest = Integer.MAX_VALUE;
      for (NodeProcess n : nodes) {
        fewest = Math.min(fewest, peers(n).size());
      }
      if (fewest >= downloaders) {
        break;
      }
      Thread.sleep(100);
    } while (System.nanoTime() < deadline);
    System.out.printf(
        "  %d ferry nodes up; every downloader has at least %d of its %d possible peers%n",
        downloaders + 1, fewest, downloaders);
  }

  /**
   * The node ids a node's {@code /status} lists as connected peers; empty when it does not answer.
   */
  private List<String> peers(NodeProcess n) throws InterruptedException {
    Matcher m = PEERS.matcher(status(n));
    if (!m.find() || m.group(1).isBlank()) {
      return List.of();
    }
    return List.of(m.group(1).replace("\"", "").split(","));
  }

  /** Bytes a node sent to its peers since it started, from {@code /status}; -1 when unknown. */
  private long p2pOut(NodeProcess n) throws InterruptedException {
    Matcher m = P2P_OUT.matcher(status(n));
    return m.find() ? Long.parseLong(m.group(1)) : -1;
  }

  private String status(NodeProcess n) throws InterruptedException {
    try {
      return http.send(
              HttpRequest.newBuilder(URI.create("http://" + n.http() + "/status"))
                  .timeout(Duration.ofSeconds(5))
                  .build(),
              HttpResponse.BodyHandlers.ofString())
          .body();
    } catch (IOException e) {
      return "";
    }
  }

  // ---------------- publishing and downloading ----------------

  /** {@code POST /api/v1/data} with the file as the body; the CID the seeder answers. */
  private String upload(NodeProcess seeder, Path file) throws Exception {
    HttpResponse<String> r =
        http.send(
            HttpRequest.newBuilder(URI.create("http://" + seeder.http() + "/api/v1/data"))
                .header("Content-Type", "application/octet-stream")
                .timeout(timeout)
                .POST(HttpRequest.BodyPublishers.ofFile(file))
                .build(),
            HttpResponse.BodyHandlers.ofString(StandardCharsets.UTF_8));
    String body = r.body().strip();
    if (r.statusCode() / 100 != 2 || body.isEmpty() || body.contains("\n")) {
      throw new IllegalStateException(
          "POST /api/v1/data on the seeder answered "
              + r.statusCode()
              + ": "
              + body.substring(0, Math.min(200, body.length())));
    }
    return body;
  }

  private List<String> command(List<String> jvm, NodeProcess node, String cid, Path copy) {
    String base = "http://" + node.http();
    return switch (client) {
      case CURL ->
          List.of(
              "curl",
              "-sS",
              "--fail",
              "-o",
              copy.toString(),
              base + "/api/v1/data/" + cid + "/network/stream");
      case CLI ->
          FerryCli.command(
              jvm, List.of("blocks", "get", cid, "-o", copy.toString(), "--node", base));
    };
  }

  private static long minus(long after, long before) {
    return after < 0 || before < 0 ? -1 : after - before;
  }

  private static String tail(Path log) {
    try {
      String s = Files.readString(log).strip();
      return s.substring(Math.max(0, s.length() - 300));
    } catch (IOException e) {
      return "(no output)";
    }
  }
}
