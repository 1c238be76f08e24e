package io.ferry.bench;

import com.google.protobuf.ByteString;
import io.ferry.bench.FerryCli.NodeProcess;
import io.ferry.core.Bytes;
import io.ferry.merkledb.Batch;
import io.ferry.merkledb.KeyValue;
import io.ferry.merkledb.MerkleDB;
import io.ferry.merkledb.MerkleDBConfig;
import io.ferry.node.Node;
import io.ferry.node.config.NodeSettings;
import io.ferry.wire.v1.CommitRequest;
import java.net.URI;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.List;
import java.util.SplittableRandom;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.Future;
import java.util.concurrent.atomic.AtomicInteger;

/**
 * The write API's throughput and latency: {@code POST /v1/commit} of 100-key batches (32-byte keys,
 * 100-byte values) from N concurrent clients on loopback against a producer node in its own process
 * ({@code ferry node --produce --updates-per-commit 0 --api 127.0.0.1:0}), next to the same batches
 * committed in this process through {@code Node.commit} (what an embedding application calls: the
 * reference) and through {@code MerkleDB.commit} alone, in memory and on RocksDB (the store's
 * floor: no signature, no head published), and what one 4 KiB write with an fsync costs on the same
 * disk (the physical floor of a durable commit). Every run starts from an empty store and commits
 * the same batches, a warm-up first.
 *
 * <p>Usage: {@code bin/bench api [--clients 1,4,16] [--commits N] [--warmup N] [--keys K]
 * [--value-size B]}.
 */
public final class ApiBench {
  private final int keys;
  private final int valueSize;
  private final int warmup;
  private final int commits;
  private final List<List<KeyValue>> batches = new ArrayList<>();
  private final List<byte[]> json = new ArrayList<>();
  private final List<byte[]> proto = new ArrayList<>();

  private ApiBench(int keys, int valueSize, int warmup, int commits) {
    this.keys = keys;
    this.valueSize = valueSize;
    this.warmup = warmup;
    this.commits = commits;
    SplittableRandom r = new SplittableRandom(11);
    for (int i = 0; i < warmup + commits; i++) {
      List<KeyValue> b = new ArrayList<>(keys);
      StringBuilder j = new StringBuilder(keys * (2 * (32 + valueSize) + 8)).append("{\"put\":{");
      CommitRequest.Builder p = CommitRequest.newBuilder();
      for (int k = 0; k < keys; k++) {
        Bytes key = Bytes.wrap(BenchData.random(r, 32));
        Bytes value = Bytes.wrap(BenchData.random(r, valueSize));
        b.add(new KeyValue(key, value));
        j.append(k == 0 ? "" : ",")
            .append('"')
            .append(key.toHex())
            .append("\":\"")
            .append(value.toHex())
            .append('"');
        p.addPut(
            io.ferry.wire.v1.KeyValue.newBuilder()
                .setKey(ByteString.copyFrom(key.unsafeArray()))
                .setValue(ByteString.copyFrom(value.unsafeArray())));
      }
      batches.add(b);
      json.add(j.append("}}").toString().getBytes(StandardCharsets.UTF_8));
      proto.add(p.build().toByteArray());
    }
  }

  public static void main(String[] args) throws Exception {
    int[] clients =
        Arrays.stream(BenchData.arg(args, "--clients", "1,4,16").split(","))
            .mapToInt(Integer::parseInt)
            .toArray();
    int commits = Integer.parseInt(BenchData.arg(args, "--commits", "2000"));
    int warmup = Integer.parseInt(BenchData.arg(args, "--warmup", "300"));
    int keys = Integer.parseInt(BenchData.arg(args, "--keys", "100"));
    int valueSize = Integer.parseInt(BenchData.arg(args, "--value-size", "100"));
    Path root = Files.createTempDirectory("ferry-apibench");
    try {
      new ApiBench(keys, valueSize, warmup, commits).run(root, clients);
    } finally {
      BenchData.deleteTree(root);
    }
  }

  /** One row: throughput and latency of {@code commits} commits. */
  record Figures(double perSecond, double p50Ms, double p99Ms) {}

  private void run(Path dir, int[] clients) throws Exception {
    System.out.printf(
        "api bench: %d-key batches (32-byte keys, %d-byte values, %.1f KB as JSON), %d commits per"
            + " row after %d to warm up, each row on an empty store; %d CPUs, load %s%n",
        keys,
        valueSize,
        json.get(0).length / 1e3,
        commits,
        warmup,
        Runtime.getRuntime().availableProcessors(),
        load());
    System.out.printf(
        "%-48s %8s %11s %8s %8s %10s%n",
        "what", "clients", "commits/s", "p50 ms", "p99 ms", "vs ref");
    Figures disk = fsyncs(dir.resolve("fsync"));
    Figures memory = commitAll(MerkleDB.inMemory(MerkleDBConfig.defaults()));
    Figures floor = commitAll(MerkleDB.open(dir.resolve("merkledb")));
    Figures ref = inProcess(dir.resolve("in-process"));
    row("write 4 KiB + fsync (the disk's floor)", 1, disk, ref);
    row("MerkleDB.commit in memory (no disk)", 1, memory, ref);
    row("MerkleDB.commit on RocksDB (the store's floor)", 1, floor, ref);
    row("Node.commit in process (reference)", 1, ref, ref);
    int run = 0;
    for (int n : clients) {
      row("POST /v1/commit, JSON", n, overHttp(dir.resolve("api-" + run++), n, false), ref);
    }
    int most = Arrays.stream(clients).max().orElse(1);
    row("POST /v1/commit, protobuf", most, overHttp(dir.resolve("api-" + run), most, true), ref);
    System.out.printf("load after: %s%n", load());
  }

  private static void row(String what, int clients, Figures f, Figures ref) {
    System.out.printf(
        "%-48s %8d %11.0f %8.2f %8.2f %10.2f%n",
        what, clients, f.perSecond(), f.p50Ms(), f.p99Ms(), f.perSecond() / ref.perSecond());
  }

  private Batch batch(int i) {
    return Batch.of(batches.get(i));
  }

  /** What one durable write costs on this disk: 4 KiB appended and forced, as a WAL sync does. */
  private Figures fsyncs(Path file) throws Exception {
    Files.createDirectories(file.getParent());
    java.nio.ByteBuffer page = java.nio.ByteBuffer.allocate(4096);
    try (java.nio.channels.FileChannel ch =
        java.nio.channels.FileChannel.open(
            file,
            java.nio.file.StandardOpenOption.CREATE,
            java.nio.file.StandardOpenOption.WRITE,
            java.nio.file.StandardOpenOption.APPEND)) {
      long[] took = new long[Math.min(commits, 1000)];
      long t0 = System.nanoTime();
      for (int i = 0; i < took.length; i++) {
        long s = System.nanoTime();
        page.clear();
        ch.write(page);
        ch.force(false);
        took[i] = System.nanoTime() - s;
      }
      return figures(took, System.nanoTime() - t0);
    }
  }

  private Figures commitAll(MerkleDB store) throws Exception {
    try (MerkleDB db = store) {
      for (int i = 0; i < warmup; i++) {
        db.commit(batch(i));
      }
      long[] took = new long[commits];
      long t0 = System.nanoTime();
      for (int i = 0; i < commits; i++) {
        Batch b = batch(warmup + i);
        long s = System.nanoTime();
        db.commit(b);
        took[i] = System.nanoTime() - s;
      }
      return figures(took, System.nanoTime() - t0);
    }
  }

  private Figures inProcess(Path dir) throws Exception {
    NodeSettings s = new NodeSettings();
    s.data = dir.toString();
    s.p2p = "127.0.0.1:0";
    s.http = "off";
    s.produce = true;
    s.producer.updatesPerCommit = 0;
    s.snapshots.fullInterval = 0L;
    s.snapshots.incrementalInterval = 0L;
    try (Node node = Node.start(s.toConfig())) {
      for (int i = 0; i < warmup; i++) {
        node.commit(batch(i));
      }
      long[] took = new long[commits];
      long t0 = System.nanoTime();
      for (int i = 0; i < commits; i++) {
        Batch b = batch(warmup + i);
        long st = System.nanoTime();
        node.commit(b);
        took[i] = System.nanoTime() - st;
      }
      return figures(took, System.nanoTime() - t0);
    }
  }

  /**
   * A producer in its own process, and {@code clients} threads each with a connection of its own
   * sending the batches one after another as fast as the answers come.
   */
  private Figures overHttp(Path dir, int clients, boolean protobuf) throws Exception {
    NodeProcess node =
        FerryCli.node(
            dir,
            List.of(
                "--produce",
                "--updates-per-commit",
                "0",
                "--api",
                "127.0.0.1:0",
                "--http",
                "off",
                "--snapshot-interval",
                "0",
                "--incremental-interval",
                "0"));
    URI uri = URI.create("http://" + node.api() + "/v1/commit");
    List<byte[]> bodies = protobuf ? proto : json;
    String type = protobuf ? "application/x-protobuf" : "application/json";
    ExecutorService pool = Executors.newFixedThreadPool(clients);
    List<HttpClient> http = new ArrayList<>();
    try {
      for (int c = 0; c < clients; c++) {
        http.add(
            HttpClient.newBuilder()
                .version(HttpClient.Version.HTTP_1_1)
                .connectTimeout(Duration.ofSeconds(10))
                .build());
      }
      for (int i = 0; i < warmup; i++) {
        post(http.get(i % clients), uri, type, bodies.get(i));
      }
      AtomicInteger next = new AtomicInteger();
      long[] took = new long[commits];
      List<Future<?>> running = new ArrayList<>();
      long t0 = System.nanoTime();
      for (int c = 0; c < clients; c++) {
        HttpClient client = http.get(c);
        running.add(
            pool.submit(
                () -> {
                  for (int i = next.getAndIncrement(); i < commits; i = next.getAndIncrement()) {
                    long s = System.nanoTime();
                    post(client, uri, type, bodies.get(warmup + i));
                    took[i] = System.nanoTime() - s;
                  }
                  return null;
                }));
      }
      for (Future<?> f : running) {
        f.get();
      }
      return figures(took, System.nanoTime() - t0);
    } finally {
      pool.shutdownNow();
      http.forEach(HttpClient::close);
      FerryCli.stop(node.process());
    }
  }

  private static void post(HttpClient client, URI uri, String type, byte[] body) throws Exception {
    HttpResponse<byte[]> r =
        client.send(
            HttpRequest.newBuilder(uri)
                .timeout(Duration.ofSeconds(60))
                .header("Content-Type", type)
                .POST(HttpRequest.BodyPublishers.ofByteArray(body))
                .build(),
            HttpResponse.BodyHandlers.ofByteArray());
    if (r.statusCode() != 200) {
      throw new IllegalStateException(
          "the API answered "
              + r.statusCode()
              + ": "
              + new String(r.body(), StandardCharsets.UTF_8));
    }
  }

  private static Figures figures(long[] took, long wallNanos) {
    long[] sorted = took.clone();
    Arrays.sort(sorted);
    return new Figures(
        took.length / (wallNanos / 1e9),
        sorted[sorted.length / 2] / 1e6,
        sorted[(int) Math.min(sorted.length - 1, Math.ceil(sorted.length * 0.99) - 1)] / 1e6);
  }

  /** The 1-, 5- and 15-minute load averages, where the system says them. */
  private static String load() {
    try {
      String[] f = Files.readString(Path.of("/proc/loadavg")).split(" ");
      return f[0] + " " + f[1] + " " + f[2];
    } catch (Exception e) {
      return "unknown";
    }
  }
}
