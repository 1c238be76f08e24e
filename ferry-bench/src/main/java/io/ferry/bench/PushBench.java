package io.ferry.bench;

import com.google.protobuf.ByteString;
import io.ferry.core.Bytes;
import io.ferry.core.Hash;
import io.ferry.core.identity.NodeKey;
import io.ferry.gossip.head.SignedHead;
import io.ferry.merkledb.Batch;
import io.ferry.merkledb.MerkleDB;
import io.ferry.merkledb.Revision;
import io.ferry.node.Node;
import io.ferry.node.config.NodeSettings;
import io.ferry.sync.push.Applied;
import io.ferry.sync.push.Commit;
import io.ferry.sync.push.CommitReplay;
import io.ferry.sync.push.Messages;
import java.io.BufferedReader;
import java.io.IOException;
import java.io.InputStreamReader;
import java.io.PrintStream;
import java.io.UncheckedIOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.List;
import java.util.Map;
import java.util.SplittableRandom;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.TimeUnit;

/**
 * How fast a commit reaches its followers, pushed against polled, in one run on loopback: a
 * producer (in this process) commits batches of 1,000 updates (32-byte keys, 100-byte values)
 * through {@link Node#commit}, and 1, 16 and 128 follower nodes (real nodes, RocksDB stores, spread
 * over a few processes) apply them. The latency of a commit at a follower is from the producer's
 * {@code commit} returning to the follower's store holding that revision (its revision listener),
 * both read from the machine's monotonic clock. For each count the same followers run three ways:
 * subscribed to pushes, and without pushes at a head interval of 100 ms and of 1 s (heads by
 * gossip, the state by change proofs). Also the producer's bytes on the wire per commit and
 * follower, and, with the most subscribers, its bytes in an idle stretch with every subscription
 * open.
 *
 * <p>Usage: {@code bin/bench push [--subscribers 1,16,128] [--commits N] [--interval-ms MS]
 * [--updates N] [--processes N] [--idle-seconds S] [--modes push,poll100,poll1000]}, or {@code
 * --breakdown N} for where one commit's time goes (see {@link #breakdown}).
 */
public final class PushBench {
  private static final int VALUE_SIZE = 100;

  private PushBench() {}

  /** One way of following. */
  private record Mode(String name, boolean push, long headIntervalMs) {}

  /** What one configuration measured. */
  private record Result(
      String mode,
      int followers,
      long samples,
      double p50Ms,
      double p99Ms,
      double maxMs,
      double bytesPerCommitPerFollower,
      double pushBytesPerCommitPerFollower,
      long missing) {}

  public static void main(String[] args) throws Exception {
    int breakdown = Integer.parseInt(BenchData.arg(args, "--breakdown", "0"));
    if (breakdown > 0) {
      breakdown(breakdown, Integer.parseInt(BenchData.arg(args, "--updates", "1000")));
      return;
    }
    int[] counts =
        Arrays.stream(BenchData.arg(args, "--subscribers", "1,16,128").split(","))
            .mapToInt(Integer::parseInt)
            .toArray();
    int commits = Integer.parseInt(BenchData.arg(args, "--commits", "30"));
    long intervalMs = Long.parseLong(BenchData.arg(args, "--interval-ms", "1000"));
    int updates = Integer.parseInt(BenchData.arg(args, "--updates", "1000"));
    int processes = Integer.parseInt(BenchData.arg(args, "--processes", "4"));
    int idleSeconds = Integer.parseInt(BenchData.arg(args, "--idle-seconds", "60"));
    List<Mode> modes = new ArrayList<>();
    for (String m : BenchData.arg(args, "--modes", "push,poll100,poll1000").split(",")) {
      modes.add(
          switch (m) {
            case "push" -> new Mode("push", true, 1000);
            case "poll100" -> new Mode("poll, 100 ms", false, 100);
            case "poll1000" -> new Mode("poll, 1 s", false, 1000);
            default -> throw new IllegalArgumentException("unknown mode " + m);
          });
    }
    System.out.printf(
        "push bench: %d commits of %,d updates every %d ms, followers %s in up to %d processes,"
            + " %d CPUs, load %.1f%n",
        commits,
        updates,
        intervalMs,
        Arrays.toString(counts),
        processes,
        Runtime.getRuntime().availableProcessors(),
        java.lang.management.ManagementFactory.getOperatingSystemMXBean().getSystemLoadAverage());
    List<Result> results = new ArrayList<>();
    int most = Arrays.stream(counts).max().orElse(1);
    for (int n : counts) {
      for (Mode m : modes) {
        Path dir = Files.createTempDirectory("ferry-pushbench");
        try {
          boolean idle = m.push() && n == most && idleSeconds > 0;
          results.add(
              run(dir, m, n, commits, intervalMs, updates, processes, idle ? idleSeconds : 0));
        } finally {
          BenchData.deleteTree(dir);
        }
      }
    }
    System.out.println();
    System.out.printf(
        "%-14s %9s %8s %9s %9s %9s %16s %16s%n",
        "way",
        "followers",
        "samples",
        "p50 ms",
        "p99 ms",
        "max ms",
        "B/commit/follower",
        "push B/commit/f");
    for (Result r : results) {
      System.out.printf(
          "%-14s %9d %8d %9.1f %9.1f %9.1f %16.0f %16.0f%s%n",
          r.mode(),
          r.followers(),
          r.samples(),
          r.p50Ms(),
          r.p99Ms(),
          r.maxMs(),
          r.bytesPerCommitPerFollower(),
          r.pushBytesPerCommitPerFollower(),
          r.missing() > 0 ? "  (" + r.missing() + " never applied)" : "");
    }
  }

  /**
   * Where one pushed commit's time goes, in this process on two RocksDB stores: the producer's
   * commit, encoding the push, decoding it with the signature check, and the follower re-applying
   * it ({@link CommitReplay}). Prints the p50 and p90 of each over {@code commits} commits, the
   * first fifth left out to warm up.
   */
  private static void breakdown(int commits, int updates) throws Exception {
    Path dir = Files.createTempDirectory("ferry-pushbench");
    NodeKey key = NodeKey.generate();
    SplittableRandom random = new SplittableRandom(7);
    long[][] t = new long[4][commits];
    try (MerkleDB producer = MerkleDB.open(dir.resolve("p"));
        MerkleDB follower = MerkleDB.open(dir.resolve("f"))) {
      for (int c = 0; c < commits; c++) {
        Batch b = batch(random, updates);
        Hash parent = producer.root();
        long t0 = System.nanoTime();
        Revision r = producer.commit(b);
        long t1 = System.nanoTime();
        Commit commit = Commit.of(b, parent, SignedHead.sign(key, r.height(), r.root()));
        ByteString push = Messages.push(List.of(Messages.commitEntry(commit)));
        long t2 = System.nanoTime();
        Commit got = ((Messages.PushMsg) Messages.decode(push)).commits().getFirst();
        if (!got.head().verifies()) {
          throw new IllegalStateException("the head does not verify");
        }
        long t3 = System.nanoTime();
        Applied a = CommitReplay.replay(follower, got);
        long t4 = System.nanoTime();
        if (a != Applied.APPLIED) {
          throw new IllegalStateException("replay: " + a);
        }
        t[0][c] = t1 - t0;
        t[1][c] = t2 - t1;
        t[2][c] = t3 - t2;
        t[3][c] = t4 - t3;
      }
    } finally {
      BenchData.deleteTree(dir);
    }
    String[] names = {"producer commit", "encode push", "decode + signature", "re-apply"};
    System.out.printf(
        "push breakdown: %d commits of %,d updates, load %.1f%n",
        commits,
        updates,
        java.lang.management.ManagementFactory.getOperatingSystemMXBean().getSystemLoadAverage());
    for (int i = 0; i < names.length; i++) {
      List<Long> v = new ArrayList<>();
      for (int c = commits / 5; c < commits; c++) {
        v.add(t[i][c]);
      }
      v.sort(null);
      System.out.printf(
          "%-20s p50 %7.1f ms  p90 %7.1f ms%n", names[i], percentile(v, 0.5), percentile(v, 0.9));
    }
  }

  private static NodeSettings settings(Path dir, long headIntervalMs) {
    NodeSettings s = new NodeSettings();
    s.data = dir.toString();
    s.p2p = "127.0.0.1:0";
    s.http = "off";
    s.headIntervalMs = headIntervalMs;
    s.snapshots.fullInterval = 0L;
    s.snapshots.incrementalInterval = 0L;
    return s;
  }

  private static Batch batch(SplittableRandom r, int updates) {
    Batch b = new Batch();
    for (int i = 0; i < updates; i++) {
      b.put(Bytes.wrap(BenchData.random(r, 32)), Bytes.wrap(BenchData.random(r, VALUE_SIZE)));
    }
    return b;
  }

  private static Result run(
      Path dir,
      Mode mode,
      int followers,
      int commits,
      long intervalMs,
      int updates,
      int processes,
      int idleSeconds)
      throws Exception {
    NodeSettings ps = settings(dir.resolve("producer"), mode.headIntervalMs());
    ps.produce = true;
    ps.producer.updatesPerCommit = 0;
    SplittableRandom random = new SplittableRandom(7);
    // height -> nanos when the producer's commit returned
    Map<Long, Long> committedAt = new ConcurrentHashMap<>();
    // (follower, height) -> nanos when it held that revision
    Map<String, Long> appliedAt = new ConcurrentHashMap<>();
    try (Node producer = Node.start(ps.toConfig())) {
      Revision first = producer.commit(batch(random, updates));
      List<Process> children = new ArrayList<>();
      int perProcess =
          (followers + Math.min(processes, followers) - 1) / Math.min(processes, followers);
      int started = 0;
      for (int p = 0; started < followers; p++) {
        int count = Math.min(perProcess, followers - started);
        children.add(
            follower(dir.resolve("followers-" + p), producer, mode, started, count, appliedAt));
        started += count;
      }
      try {
        // Every follower holds the first state (and, pushing, every subscription is open).
        long deadline = System.nanoTime() + TimeUnit.SECONDS.toNanos(300);
        while (!(heldBy(appliedAt, first.height()) >= followers
            && (!mode.push()
                || producer.status().push().subscribers() >= Math.min(followers, 128)))) {
          if (System.nanoTime() > deadline) {
            throw new IllegalStateException(
                "followers did not start: "
                    + heldBy(appliedAt, first.height())
                    + " at the first state, "
                    + producer.status().push().subscribers()
                    + " subscribed");
          }
          Thread.sleep(50);
        }
        Thread.sleep(2000); // let the first state's gossip settle
        long bytesBefore = producer.status().traffic().p2pOut();
        long pushBefore = producer.pushServer().stats().bytesPushed();
        long firstMeasured = producer.store().height() + 1;
        long next = System.nanoTime();
        for (int c = 0; c < commits; c++) {
          next += TimeUnit.MILLISECONDS.toNanos(intervalMs);
          Batch b = batch(random, updates);
          Revision r = producer.commit(b);
          committedAt.put(r.height(), System.nanoTime());
          long wait = next - System.nanoTime();
          if (wait > 0) {
            TimeUnit.NANOSECONDS.sleep(wait);
          }
        }
        long last = producer.store().height();
        deadline = System.nanoTime() + TimeUnit.SECONDS.toNanos(120);
        while (heldBy(appliedAt, last) < followers && System.nanoTime() < deadline) {
          Thread.sleep(50);
        }
        long bytes = producer.status().traffic().p2pOut() - bytesBefore;
        long pushBytes = producer.pushServer().stats().bytesPushed() - pushBefore;
        if (idleSeconds > 0) {
          long idleBefore = producer.status().traffic().p2pOut();
          long idlePush = producer.pushServer().stats().bytesPushed();
          Thread.sleep(idleSeconds * 1000L);
          System.out.printf(
              "idle %d s with %d subscriptions open: producer sent %,d bytes on the wire, %,d of"
                  + " them pushes%n",
              idleSeconds,
              producer.status().push().subscribers(),
              producer.status().traffic().p2pOut() - idleBefore,
              producer.pushServer().stats().bytesPushed() - idlePush);
        }
        List<Long> latencies = new ArrayList<>();
        long missing = 0;
        for (int f = 0; f < followers; f++) {
          for (long h = firstMeasured; h <= last; h++) {
            Long applied = appliedAt.get(f + ":" + h);
            Long committed = committedAt.get(h);
            if (applied == null) {
              // A follower that fell behind jumps heights: the next height it held counts for it.
              applied = nextHeld(appliedAt, f, h, last);
            }
            if (applied == null || committed == null) {
              missing++;
            } else {
              latencies.add(Math.max(0, applied - committed));
            }
          }
        }
        latencies.sort(null);
        double commitsFollowers = (double) (last - firstMeasured + 1) * followers;
        Result res =
            new Result(
                mode.name(),
                followers,
                latencies.size(),
                percentile(latencies, 0.50),
                percentile(latencies, 0.99),
                percentile(latencies, 1.0),
                bytes / commitsFollowers,
                pushBytes / commitsFollowers,
                missing);
        System.out.printf(
            "%s, %d followers: p50 %.1f ms, p99 %.1f ms, max %.1f ms, %,.0f B per commit and"
                + " follower%n",
            res.mode(),
            followers,
            res.p50Ms(),
            res.p99Ms(),
            res.maxMs(),
            res.bytesPerCommitPerFollower());
        return res;
      } finally {
        for (Process p : children) {
          p.getOutputStream().close(); // the child stops its nodes when its input ends
        }
        for (Process p : children) {
          if (!p.waitFor(60, TimeUnit.SECONDS)) {
            p.destroyForcibly();
          }
        }
      }
    }
  }

  private static Long nextHeld(Map<String, Long> appliedAt, int f, long h, long last) {
    for (long k = h + 1; k <= last; k++) {
      Long t = appliedAt.get(f + ":" + k);
      if (t != null) {
        return t;
      }
    }
    return null;
  }

  private static long heldBy(Map<String, Long> appliedAt, long height) {
    return appliedAt.entrySet().stream()
        .filter(e -> Long.parseLong(e.getKey().substring(e.getKey().indexOf(':') + 1)) >= height)
        .map(e -> e.getKey().substring(0, e.getKey().indexOf(':')))
        .distinct()
        .count();
  }

  private static double percentile(List<Long> sorted, double q) {
    if (sorted.isEmpty()) {
      return Double.NaN;
    }
    int i = (int) Math.min(sorted.size() - 1, Math.ceil(q * sorted.size()) - 1);
    return sorted.get(Math.max(0, i)) / 1e6;
  }

  /** Starts a process of {@code count} followers, numbered from {@code first}. */
  private static Process follower(
      Path dir, Node producer, Mode mode, int first, int count, Map<String, Long> appliedAt)
      throws IOException {
    String java = ProcessHandle.current().info().command().orElse("java");
    List<String> cmd =
        List.of(
            java,
            "--enable-native-access=ALL-UNNAMED",
            "-Xmx1g",
            "-cp",
            System.getProperty("java.class.path"),
            Followers.class.getName(),
            dir.toString(),
            producer.p2pAddress().toString(),
            producer.id().toString(),
            Boolean.toString(mode.push()),
            Long.toString(mode.headIntervalMs()),
            Integer.toString(first),
            Integer.toString(count));
    Process p = new ProcessBuilder(cmd).redirectError(ProcessBuilder.Redirect.DISCARD).start();
    Thread reader =
        new Thread(
            () -> {
              try (BufferedReader in =
                  new BufferedReader(
                      new InputStreamReader(p.getInputStream(), StandardCharsets.UTF_8))) {
                String line;
                while ((line = in.readLine()) != null) {
                  String[] f = line.split(" ");
                  if (f.length == 4 && f[0].equals("held")) {
                    appliedAt.putIfAbsent(f[1] + ":" + f[2], Long.parseLong(f[3]));
                  }
                }
              } catch (IOException e) {
                throw new UncheckedIOException(e);
              }
            },
            "pushbench-reader");
    reader.setDaemon(true);
    reader.start();
    return p;
  }

  /**
   * A process of follower nodes: prints {@code held FOLLOWER HEIGHT NANOS} for each revision each
   * one reaches, and stops them when its standard input ends.
   */
  public static final class Followers {
    private Followers() {}

    public static void main(String[] args) throws Exception {
      Path dir = Path.of(args[0]);
      String producer = args[1];
      String producerId = args[2];
      boolean push = Boolean.parseBoolean(args[3]);
      long headInterval = Long.parseLong(args[4]);
      int first = Integer.parseInt(args[5]);
      int count = Integer.parseInt(args[6]);
      PrintStream out = new PrintStream(System.out, false, StandardCharsets.UTF_8);
      List<Node> nodes = new ArrayList<>();
      try {
        for (int i = 0; i < count; i++) {
          int id = first + i;
          NodeSettings s = settings(dir.resolve("f" + id), headInterval);
          s.trustProducer = producerId;
          s.peers = List.of(producer);
          s.push = push;
          Node n = Node.start(s.toConfig());
          nodes.add(n);
          n.addRevisionListener(
              r -> {
                long now = System.nanoTime();
                synchronized (out) {
                  out.println("held " + id + " " + r.height() + " " + now);
                  out.flush();
                }
              });
        }
        while (System.in.read() >= 0) {
          // runs until the bench closes our input
        }
      } finally {
        for (Node n : nodes) {
          n.close();
        }
      }
    }
  }
}
