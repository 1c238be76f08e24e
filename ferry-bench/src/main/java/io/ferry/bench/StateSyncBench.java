package io.ferry.bench;

import io.ferry.bench.FerryCli.NodeProcess;
import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.Future;
import java.util.regex.Matcher;
import java.util.regex.Pattern;

/**
 * Snapshot state sync end to end, every party its own process on loopback: one snapshot archive
 * served by {@code servers} {@code ferry node} processes, each capped at {@code --egress} MiB/s on
 * its peer connections ({@code --p2p-egress}) and on HTTP ({@code --egress}), so {@code servers x
 * egress} MiB/s together. In one run, per round:
 *
 * <ol>
 *   <li>{@code ferry sync --method chunks} (Ferry's syncer: chunks applied as they arrive, a {@code
 *       missing} chunk asked of another peer at once);
 *   <li>the same with {@code --cometbft-behaviour}, the reference (CometBFT's syncer: 4 fetchers,
 *       in-order apply, a {@code missing} chunk waits for its timeout);
 *   <li>both again with one more peer that lists the snapshot but answers every chunk request
 *       {@code missing}, and with one that never answers ({@link FaultyChunkServer}): an extra
 *       peer, so the capacity of the good ones is the same in every row;
 *   <li>{@code ferry fetch} of the same archive from the nodes' HTTP (step 5's multi-source
 *       download) and {@code ferry snapshot restore} of it.
 * </ol>
 *
 * <p>Each row gives the client's wall time to a restored store whose root was checked (JVM start
 * included), the fetch rate (chunk bytes over the time from the accepted offer to the last chunk,
 * every chunk checked against the manifest as it came; for HTTP, the download as {@code ferry
 * fetch} times it, checked only by the restore) as a share of {@code servers x egress}, and the
 * restore after the last byte.
 *
 * <p>Usage: {@code bin/bench statesync [--mib N] [--servers N] [--egress MiB/s] [--chunk-size B]
 * [--rounds N] [--value-size B] [--faults missing,stall|none] [--warmup 0|1] [--sync-opts "OPTS"]
 * [--client-jvm-opts "OPTS"] [--cpu-by-thread]}: {@code --sync-opts} adds options to Ferry's rows'
 * {@code ferry sync}, not to the reference's; several variants separated by {@code ;} make a row
 * each (e.g. {@code ";--chunk-fetchers 8"}), the first is used with the faulty peers.
 */
public final class StateSyncBench {
  private static final Pattern SYNCED =
      Pattern.compile(
          "(\\d+) chunks, ([\\d,]+) bytes fetched in ([\\d.]+) s .*?(\\d+) missing, (\\d+)"
              + " timeouts.*?restored ([\\d.]+) s after the last chunk");
  private static final Pattern FETCHED =
      Pattern.compile("fetched ([\\d,]+) of [\\d,]+ bytes in ([\\d.]+) s");

  /** Archive bytes per key beyond its value: the 32-byte key and the record's framing. */
  private static final int KEY_OVERHEAD = 35;

  private final Path root;
  private final int serverCount;
  private final double egress;
  private final List<String> clientJvm;
  private final boolean cpuByThread;
  private final List<Process> servers = new ArrayList<>();
  private final List<String> peers = new ArrayList<>();
  private final List<String> urls = new ArrayList<>();
  private final Map<String, String> faultyPeers = new LinkedHashMap<>();
  private Path archive;
  private String rootHex;
  private int chunks;

  /** One way to a restored store: a row of the table. */
  private record Way(String label, List<String> syncArgs, Optional<String> fault, boolean http) {}

  /**
   * One run of a way.
   *
   * @param toStore seconds from the client's start to a restored, root-checked store
   * @param fetchSeconds the transfer's seconds
   * @param bytes bytes transferred
   * @param restoreSeconds seconds from the last byte to the restored store
   */
  private record Run(
      double toStore,
      double fetchSeconds,
      long bytes,
      double restoreSeconds,
      long missing,
      long timeouts) {
    double mibPerSecond() {
      return bytes / fetchSeconds / (1 << 20);
    }
  }

  private StateSyncBench(
      Path root, int serverCount, double egress, List<String> clientJvm, boolean cpuByThread) {
    this.root = root;
    this.serverCount = serverCount;
    this.egress = egress;
    this.clientJvm = clientJvm;
    this.cpuByThread = cpuByThread;
  }

  public static void main(String[] args) throws Exception {
    int mib = Integer.parseInt(BenchData.arg(args, "--mib", "1024"));
    int serverCount = Integer.parseInt(BenchData.arg(args, "--servers", "4"));
    double egress = Double.parseDouble(BenchData.arg(args, "--egress", "25"));
    String chunkSize = BenchData.arg(args, "--chunk-size", "");
    int rounds = Integer.parseInt(BenchData.arg(args, "--rounds", "1"));
    int valueSize = Integer.parseInt(BenchData.arg(args, "--value-size", "1024"));
    String faultList = BenchData.arg(args, "--faults", "missing,stall");
    boolean warmup = !BenchData.arg(args, "--warmup", "1").equals("0");
    String clientOpts = BenchData.arg(args, "--client-jvm-opts", "").strip();
    List<String> clientJvm = clientOpts.isEmpty() ? List.of() : List.of(clientOpts.split("\\s+"));
    List<List<String>> ferryOpts = new ArrayList<>();
    for (String variant : BenchData.arg(args, "--sync-opts", "").split(";")) {
      ferryOpts.add(variant.isBlank() ? List.of() : List.of(variant.strip().split("\\s+")));
    }
    boolean cpuByThread = List.of(args).contains("--cpu-by-thread");
    List<String> faults =
        faultList.equals("none") || faultList.isBlank() ? List.of() : List.of(faultList.split(","));
    Path root = Files.createTempDirectory("ferry-statesyncbench");
    StateSyncBench bench = new StateSyncBench(root, serverCount, egress, clientJvm, cpuByThread);
    try {
      bench.prepare(mib, valueSize, chunkSize);
      bench.startServers(faults);
      bench.measure(faults, rounds, warmup, ferryOpts);
    } finally {
      bench.stopServers();
      BenchData.deleteTree(root);
    }
  }

  // ---- the snapshot and its servers ----

  private void prepare(int mib, int valueSize, String chunkSize) throws Exception {
    Path origin = root.resolve("origin");
    long keys = Math.max(1, Math.round((double) mib * (1 << 20) / (valueSize + KEY_OVERHEAD)));
    long t0 = System.nanoTime();
    FerryCli.run(
        "state",
        "generate",
        "--data",
        origin.toString(),
        "--keys",
        Long.toString(keys),
        "--value-size",
        Integer.toString(valueSize));
    List<String> create =
        new ArrayList<>(List.of("snapshot", "create", "--data", origin.toString()));
    if (!chunkSize.isEmpty()) {
      create.addAll(List.of("--chunk-size", chunkSize));
    }
    archive = Path.of(FerryCli.lastLine(FerryCli.run(create)));
    rootHex = FerryCli.lastLine(FerryCli.run("state", "root", "--data", origin.toString()));
    BenchData.deleteTree(origin.resolve("state")); // only the archive is served
    System.out.printf(
        "state sync bench: %,d keys (32-byte keys, %d-byte random values), archive %s of %,.1f"
            + " MiB, chunks of %s uncompressed; made in %.1f s%n",
        keys,
        valueSize,
        archive.getFileName(),
        Files.size(archive) / (double) (1 << 20),
        chunkSize.isEmpty() ? "4 MiB (ferry snapshot create's default)" : chunkSize + " bytes",
        (System.nanoTime() - t0) / 1e9);
  }

  /**
   * Starts the nodes (in parallel: each JVM takes seconds to start on a busy machine) and the
   * faulty peers. Each serves a hard link of the one archive: no copies on disk, one page cache.
   */
  private void startServers(List<String> faults) throws Exception {
    String cap = Double.toString(egress);
    List<Future<NodeProcess>> starting = new ArrayList<>();
    try (ExecutorService pool = Executors.newVirtualThreadPerTaskExecutor()) {
      for (int i = 0; i < serverCount; i++) {
        Path data = root.resolve("server" + i);
        link(data.resolve("snapshots"));
        starting.add(
            pool.submit(
                () ->
                    FerryCli.node(
                        data,
                        List.of(
                            "--p2p-egress", cap, "--egress", cap, "--snapshot-interval", "0"))));
      }
      for (Future<NodeProcess> f : starting) {
        NodeProcess n = f.get();
        servers.add(n.process());
        peers.addAll(List.of("--peer", n.p2p()));
        urls.add("http://" + n.http() + "/" + archive.getFileName());
      }
    }
    for (String mode : faults) {
      Path dir = root.resolve("faulty-" + mode);
      link(dir);
      Process p =
          new ProcessBuilder(
                  FerryCli.java(
                      List.of("-Xmx512m"),
                      FaultyChunkServer.class.getName(),
                      List.of("--dir", dir.toString(), "--mode", mode, "--p2p-egress", cap)))
              .redirectError(ProcessBuilder.Redirect.DISCARD)
              .start();
      servers.add(p);
      faultyPeers.put(mode, FerryCli.awaitLine(p, "listening "));
    }
    System.out.printf(
        "%d ferry node processes, each --p2p-egress %s --egress %s MiB/s: %.0f MiB/s together;"
            + " %d CPUs; scratch %s%n",
        serverCount,
        cap,
        cap,
        serverCount * egress,
        Runtime.getRuntime().availableProcessors(),
        root);
  }

  private void link(Path dir) throws IOException {
    Files.createDirectories(dir);
    Path target = dir.resolve(archive.getFileName());
    try {
      Files.createLink(target, archive);
    } catch (UnsupportedOperationException | IOException e) {
      Files.copy(archive, target);
    }
  }

  private void stopServers() throws InterruptedException {
    for (Process p : servers) {
      p.destroy();
    }
    for (Process p : servers) {
      FerryCli.stop(p);
    }
  }

  // ---- the rounds ----

  private void measure(List<String> faults, int rounds, boolean warmup, List<List<String>> variants)
      throws Exception {
    List<Way> ways = new ArrayList<>();
    for (List<String> opts : variants) {
      String label = ("ferry sync --method chunks " + String.join(" ", opts)).strip();
      ways.add(new Way(label, opts, Optional.empty(), false));
    }
    List<String> ferryOpts = variants.get(0);
    String ferry = ways.get(0).label();
    ways.add(
        new Way(
            "  same, --cometbft-behaviour (reference)",
            List.of("--cometbft-behaviour"),
            Optional.empty(),
            false));
    for (String mode : faults) {
      String peer = mode.equals("stall") ? "a stalling peer" : "a peer answering " + mode;
      ways.add(
          new Way("ferry sync --method chunks, + " + peer, List.of(), Optional.of(mode), false));
      ways.add(
          new Way(
              "  same, --cometbft-behaviour",
              List.of("--cometbft-behaviour"),
              Optional.of(mode),
              false));
    }
    ways.add(
        new Way(
            "ferry fetch (HTTP, " + serverCount + " servers) + snapshot restore",
            List.of(),
            Optional.empty(),
            true));
    if (warmup) {
      // The servers are long-running nodes: JIT-compiled and the archive in the page cache.
      Run w = chunkSync(ways.get(0), "warm-up");
      System.out.printf("warm-up (untimed): ferry sync --method chunks in %.2f s%n", w.toStore());
    }
    double cap = serverCount * egress;
    System.out.printf(
        "%n%-58s %5s %10s %8s %11s %8s %9s %7s %8s  %s%n",
        "way",
        "round",
        "to store s",
        "fetch s",
        "fetch MiB/s",
        "of cap",
        "restore s",
        "missing",
        "timeouts",
        "load avg before/after");
    Map<Way, List<Run>> runs = new LinkedHashMap<>();
    ways.forEach(w -> runs.put(w, new ArrayList<>()));
    for (int r = 1; r <= rounds; r++) {
      // Each round starts one way further on, so no way always follows the same one.
      for (int k = 0; k < ways.size(); k++) {
        Way way = ways.get((k + r - 1) % ways.size());
        BenchData.flushDirtyPages();
        String before = loadAverage();
        Run run = way.http() ? httpFetch() : chunkSync(way, way.label().strip());
        runs.get(way).add(run);
        System.out.printf(
            "%-58s %5d %10.2f %8.2f %11.1f %7.0f%% %9.2f %7d %8d  %s / %s%n",
            way.label(),
            r,
            run.toStore(),
            run.fetchSeconds(),
            run.mibPerSecond(),
            100 * run.mibPerSecond() / cap,
            run.restoreSeconds(),
            run.missing(),
            run.timeouts(),
            before,
            loadAverage());
      }
    }
    System.out.printf(
        "%nsummary, median of %d round(s): %d chunks of %s; %d servers x %s MiB/s = %.0f MiB/s%n",
        rounds, chunks, archive.getFileName(), serverCount, Double.toString(egress), cap);
    System.out.printf(
        "%-58s %10s %8s %11s %8s %9s%n",
        "way", "to store s", "fetch s", "fetch MiB/s", "of cap", "restore s");
    for (Map.Entry<Way, List<Run>> e : runs.entrySet()) {
      List<Run> rs = e.getValue();
      double rate = median(rs, Run::mibPerSecond);
      System.out.printf(
          "%-58s %10.2f %8.2f %11.1f %7.0f%% %9.2f%n",
          e.getKey().label(),
          median(rs, Run::toStore),
          median(rs, Run::fetchSeconds),
          rate,
          100 * rate / cap,
          median(rs, Run::restoreSeconds));
    }
    double rate = median(runs.get(ways.get(0)), Run::mibPerSecond);
    System.out.printf(
        "target: chunk fetch-and-verify >= 75%% of %.0f MiB/s: %.0f%%, %s%n",
        cap, 100 * rate / cap, rate >= 0.75 * cap ? "met" : "missed");
  }

  private static double median(List<Run> runs, java.util.function.ToDoubleFunction<Run> f) {
    return BenchData.median(runs.stream().mapToDouble(f).toArray());
  }

  /** {@code ferry sync --method chunks} into an empty directory; checks the root it prints. */
  private Run chunkSync(Way way, String label) throws Exception {
    Path client = root.resolve("client");
    Path err = root.resolve("client.err");
    List<String> cmd =
        new ArrayList<>(
            List.of(
                "sync",
                "--method",
                "chunks",
                "--data",
                client.toString(),
                "--trust-root",
                rootHex));
    cmd.addAll(peers);
    way.fault().ifPresent(f -> cmd.addAll(List.of("--peer", faultyPeers.get(f))));
    cmd.addAll(way.syncArgs());
    List<String> jvm = new ArrayList<>(FerryCli.cdsArgs(root));
    jvm.addAll(clientJvm);
    long serversBefore = ThreadCpu.processesMillis(servers);
    long t0 = System.nanoTime();
    Process p =
        new ProcessBuilder(FerryCli.command(jvm, cmd))
            .redirectError(ProcessBuilder.Redirect.to(err.toFile()))
            .start();
    String out;
    Map<String, Long> cpu;
    try (ThreadCpu.Sampler sampler = cpuByThread ? new ThreadCpu.Sampler(p) : null) {
      out = FerryCli.output(p, cmd);
      cpu = sampler == null ? Map.of() : sampler.byName();
    }
    double wall = (System.nanoTime() - t0) / 1e9;
    long serversCpu = ThreadCpu.processesMillis(servers) - serversBefore;
    String stderr = Files.readString(err);
    if (!FerryCli.lastLine(out).equals(rootHex)) {
      throw new IllegalStateException("synced to " + out + ", expected " + rootHex + ": " + stderr);
    }
    Matcher m = SYNCED.matcher(stderr);
    if (!m.find()) {
      throw new IllegalStateException("no summary line from ferry sync: " + stderr);
    }
    chunks = Integer.parseInt(m.group(1));
    if (cpuByThread) {
      ThreadCpu.print(label, cpu, serversCpu);
    }
    BenchData.deleteTree(client);
    return new Run(
        wall,
        Double.parseDouble(m.group(3)),
        Long.parseLong(m.group(2).replace(",", "")),
        Double.parseDouble(m.group(6)),
        Long.parseLong(m.group(4)),
        Long.parseLong(m.group(5)));
  }

  /** {@code ferry fetch} of the archive from every node's HTTP, then {@code snapshot restore}. */
  private Run httpFetch() throws Exception {
    Path client = Files.createDirectories(root.resolve("client"));
    Path file = client.resolve(archive.getFileName());
    Path err = root.resolve("client.err");
    // --min-speed 0: a connection to a server capped at 25 MiB/s shared by 2 connections runs at
    // about the default minimum of 10 MiB/s, and dropping a server would not measure the servers.
    List<String> fetch =
        new ArrayList<>(List.of("fetch", "--out", file.toString(), "--min-speed", "0"));
    fetch.addAll(urls);
    List<String> jvm = FerryCli.cdsArgs(root);
    long t0 = System.nanoTime();
    Process p =
        new ProcessBuilder(FerryCli.command(jvm, fetch))
            .redirectError(ProcessBuilder.Redirect.to(err.toFile()))
            .start();
    FerryCli.output(p, fetch);
    Matcher m = FETCHED.matcher(Files.readString(err));
    if (!m.find()) {
      throw new IllegalStateException("no summary line from ferry fetch: " + Files.readString(err));
    }
    long r0 = System.nanoTime();
    List<String> restore =
        List.of(
            "snapshot",
            "restore",
            "--data",
            client.toString(),
            "--archive",
            file.toString(),
            "--trust-root",
            rootHex);
    Process q =
        new ProcessBuilder(FerryCli.command(jvm, restore))
            .redirectError(ProcessBuilder.Redirect.DISCARD)
            .start();
    String restored = FerryCli.lastLine(FerryCli.output(q, restore));
    long end = System.nanoTime();
    if (!restored.equals(rootHex)) {
      throw new IllegalStateException("restored " + restored + ", expected " + rootHex);
    }
    BenchData.deleteTree(client);
    return new Run(
        (end - t0) / 1e9,
        Double.parseDouble(m.group(2)),
        Long.parseLong(m.group(1).replace(",", "")),
        (end - r0) / 1e9,
        0,
        0);
  }

  private static String loadAverage() {
    try {
      return Files.readString(Path.of("/proc/loadavg")).split(" ")[0];
    } catch (IOException e) {
      return "?";
    }
  }
}
