package io.ferry.bench;

import io.ferry.bench.Swarm.Run;
import io.ferry.bench.Swarm.Source;
import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import java.util.concurrent.atomic.AtomicBoolean;
import java.util.function.ToDoubleFunction;

/**
 * One file from one seeding node to several downloading nodes at once, on loopback, every party its
 * own process: the total time until all hold it, Ferry's block exchange ({@link FerrySwarm}) next
 * to BitTorrent on the same file in the same run ({@link TorrentSwarm}), every copy checked byte
 * for byte, with Codex's published figure beside them.
 *
 * <p>Usage: {@code bin/bench blocks [--mib N] [--downloaders N] [--rounds N] [--only
 * bittorrent|ferry] [--piece-kib K] [--ferry-client curl|cli] [--warmup-mib N] [--timeout SECONDS]
 * [--dir DIR]}. With {@code --warmup-mib N}, Ferry's nodes first pass an N MiB dataset among
 * themselves, untimed, so the timed round measures warm JVMs (as a running node is), not their
 * just-in-time compilers; the default, 0, measures them cold. Each round runs every system once,
 * each round starting with the next one; the summary takes the median of the rounds. {@code --dir}
 * is where the scratch directory goes (the source and every copy: {@code (downloaders + 1) x N}
 * MiB; default the JDK's temporary directory). Exits 0 when every system was measured, 1 when one
 * failed (its row says why), 2 on bad arguments. Ctrl-C stops every child and deletes the scratch
 * directory; a benchmark killed outright leaves the directory behind (its children stop by
 * themselves).
 */
public final class BlocksBench {
  /** Codex's own figure: one uploader to 10 downloaders of 1000 MB, 3 min 14 s each. */
  private static final double CODEX_SECONDS = 3 * 60 + 14;

  private BlocksBench() {}

  public static void main(String[] args) throws Exception {
    int mib = Integer.parseInt(BenchData.arg(args, "--mib", "1024"));
    int downloaders = Integer.parseInt(BenchData.arg(args, "--downloaders", "8"));
    int rounds = Integer.parseInt(BenchData.arg(args, "--rounds", "1"));
    String only = BenchData.arg(args, "--only", "");
    int pieceKib = Integer.parseInt(BenchData.arg(args, "--piece-kib", "256"));
    String clientName = BenchData.arg(args, "--ferry-client", "curl");
    int warmupMib = Integer.parseInt(BenchData.arg(args, "--warmup-mib", "0"));
    Duration timeout = Duration.ofSeconds(Long.parseLong(BenchData.arg(args, "--timeout", "3600")));
    Path parent = Path.of(BenchData.arg(args, "--dir", System.getProperty("java.io.tmpdir")));
    if (!List.of("", "bittorrent", "ferry").contains(only)
        || !List.of("curl", "cli").contains(clientName)
        || mib < 1
        || downloaders < 1
        || rounds < 1
        || warmupMib < 0) {
      System.err.println(
          "usage: bin/bench blocks [--mib N] [--downloaders N] [--rounds N]"
              + " [--only bittorrent|ferry] [--piece-kib K] [--ferry-client curl|cli] [--warmup-mib N]"
              + " [--timeout SECONDS] [--dir DIR]");
      System.exit(2);
    }
    FerrySwarm.Client client = FerrySwarm.Client.valueOf(clientName.toUpperCase(Locale.ROOT));

    Path root = Files.createTempDirectory(Files.createDirectories(parent), "ferry-blocksbench");
    Children children = new Children();
    AtomicBoolean cleaned = new AtomicBoolean();
    Runnable cleanup =
        () -> {
          if (cleaned.compareAndSet(false, true)) {
            children.close();
            try {
              BenchData.deleteTree(root);
            } catch (IOException e) {
              System.err.println("blocks bench: could not delete " + root + ": " + e);
            }
          }
        };
    // Ctrl-C, or an exception out of main: the children stop and the scratch goes, as at the end.
    Thread hook = new Thread(cleanup, "blocksbench-cleanup");
    Runtime.getRuntime().addShutdownHook(hook);
    int exit;
    try {
      List<Swarm> swarms = new ArrayList<>();
      if (!only.equals("ferry")) {
        swarms.add(new TorrentSwarm(children, downloaders, pieceKib << 10, timeout));
      }
      if (!only.equals("bittorrent")) {
        swarms.add(new FerrySwarm(children, downloaders, client, timeout, warmupMib));
      }
      Path file = Files.createDirectories(root.resolve("source")).resolve("data.bin");
      BenchData.writeRandom(file, (long) mib << 20, 20);
      Source source = Source.of(file);
      System.out.printf(
          "blocks bench: %d MiB of random bytes from 1 seeder to %d downloaders at once on"
              + " loopback, %d round(s), %d CPUs, load average %s, scratch %s%n",
          mib,
          downloaders,
          rounds,
          Runtime.getRuntime().availableProcessors(),
          BenchData.loadAverage(),
          root);
      exit = measure(swarms, source, root, rounds) ? 0 : 1;
    } finally {
      cleanup.run();
      Runtime.getRuntime().removeShutdownHook(hook);
    }
    System.exit(exit);
  }

  /** Runs the rounds and prints the summary; false when a system failed. */
  private static boolean measure(List<Swarm> swarms, Source source, Path root, int rounds)
      throws Exception {
    Map<Swarm, List<Run>> runs = new LinkedHashMap<>();
    Map<Swarm, String> failures = new LinkedHashMap<>();
    swarms.forEach(s -> runs.put(s, new ArrayList<>()));
    for (int r = 1; r <= rounds; r++) {
      for (int k = 0; k < swarms.size(); k++) {
        // Each round starts with the next system, so none always meets the other's leftovers.
        Swarm swarm = swarms.get((k + r - 1) % swarms.size());
        if (failures.containsKey(swarm)) {
          continue; // it would fail the same way again
        }
        BenchData.flushDirtyPages();
        System.out.printf("%nround %d: %s%n", r, swarm.name());
        Path scratch = Files.createDirectories(root.resolve("round-" + r + "-" + k));
        try {
          Run run = swarm.run(source, scratch);
          print(run);
          runs.get(swarm).add(run);
        } catch (Exception e) {
          String why = e.getMessage() == null ? e.toString() : e.getMessage();
          System.out.printf("  failed: %s%n", why);
          failures.put(swarm, why);
        } finally {
          BenchData.deleteTree(scratch);
        }
      }
    }
    summary(runs, failures, source, rounds);
    return failures.isEmpty();
  }

  private static void print(Run run) {
    System.out.printf("  %10s %9s %9s %12s%n", "downloader", "seconds", "MB/s", "sent MiB");
    for (int i = 0; i < run.downloadSeconds().length; i++) {
      double s = run.downloadSeconds()[i];
      System.out.printf(
          "  %10d %9.2f %9.1f %12s%n",
          i + 1, s, run.bytes() / 1e6 / s, mib(run.downloaderSent()[i]));
    }
    int n = run.downloadSeconds().length;
    System.out.printf(
        "  all %d copies verified: SHA-256 equal to the source's%n"
            + "  the seeder sent %s MiB (%s the file); the downloaders sent each other %s MiB%n"
            + "  publish %.2f s; downloads from the first start to the last finish %.2f s;"
            + " total %.2f s%n"
            + "  its processes used %.1f CPU-seconds during the downloads (%.2f CPUs); the machine's"
            + " CPUs were %.0f%% busy; load average %s at the start, %s at the end%n",
        n,
        mib(run.seederSent()),
        run.seederSent() < 0
            ? "?"
            : String.format("%.2fx", run.seederSent() / (double) run.bytes()),
        mib(sum(run.downloaderSent())),
        run.publishSeconds(),
        run.allSeconds(),
        run.totalSeconds(),
        run.cpuSeconds(),
        run.cpuSeconds() / run.allSeconds(),
        100 * run.cpuBusy(),
        run.loadBefore(),
        run.loadAfter());
  }

  private static void summary(
      Map<Swarm, List<Run>> runs, Map<Swarm, String> failures, Source source, int rounds) {
    System.out.printf(
        "%nsummary: %d MiB from 1 seeder to %d downloaders at once on loopback, median of %d"
            + " round(s), %d CPUs%n",
        source.bytes() >> 20,
        runs.values().stream()
            .flatMap(List::stream)
            .findFirst()
            .map(r -> r.downloadSeconds().length)
            .orElse(0),
        rounds,
        Runtime.getRuntime().availableProcessors());
    System.out.println(
        "| system | publish | slowest downloader | total time | MB/s per downloader | ratio to"
            + " BitTorrent | CPU-seconds |");
    System.out.println("|---|---|---|---|---|---|---|");
    Double reference = null;
    Double ferry = null;
    for (Map.Entry<Swarm, List<Run>> e : runs.entrySet()) {
      Swarm swarm = e.getKey();
      List<Run> rs = e.getValue();
      if (rs.isEmpty()) {
        System.out.printf(
            "| %s | failed: %s | | | | | |%n",
            swarm.name(), failures.getOrDefault(swarm, "not run").replace("|", "/"));
        continue;
      }
      double total = median(rs, Run::totalSeconds);
      if (swarm instanceof TorrentSwarm) {
        reference = total;
      } else {
        ferry = total;
      }
      System.out.printf(
          "| %s | %.1f s | %.1f s | **%.1f s** | %.1f | %s | %.0f |%n",
          swarm.name(),
          median(rs, Run::publishSeconds),
          median(rs, Run::slowestSeconds),
          total,
          median(rs, Run::mbPerSecondPerDownloader),
          reference == null ? "—" : String.format("%.2f", total / reference),
          median(rs, Run::cpuSeconds));
    }
    System.out.printf(
        "| Codex, their published figure: 1 uploader to 10 downloaders of 1000 MB (from Codex's"
            + " own testing, not measured here) | — | 3 min 14 s each | — | ≈ 5.2 (%.2f) | — | — |%n",
        1000 / CODEX_SECONDS);
    System.out.println(
        "publish: the torrent made and the seeder listed by the tracker, or the upload to the"
            + " seeder answered; slowest downloader: from its own start to the whole file;"
            + " total time: publish, then from the first download's start until all hold the"
            + " file; CPU-seconds: the system's own processes during the downloads");
    if (reference != null && ferry != null) {
      double ratio = ferry / reference;
      System.out.printf(
          "target: Ferry's total time <= 1.1x BitTorrent's: %.2fx, %s%n",
          ratio, ratio <= 1.1 ? "met" : "missed");
    } else {
      System.out.println("target: Ferry's total time <= 1.1x BitTorrent's: not measured");
    }
  }

  private static double median(List<Run> runs, ToDoubleFunction<Run> f) {
    return BenchData.median(runs.stream().mapToDouble(f).toArray());
  }

  private static long sum(long[] xs) {
    long s = 0;
    for (long x : xs) {
      if (x < 0) {
        return -1;
      }
      s += x;
    }
    return s;
  }

  private static String mib(long bytes) {
    return bytes < 0 ? "?" : String.format("%,.1f", bytes / (double) (1 << 20));
  }
}
