package io.ferry.bench;

import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.stream.Stream;

/**
 * Proof sync end to end: {@code ferry sync} pulls a generated state (32-byte keys, 100-byte values)
 * from server processes ({@code ferry node --p2p}) over loopback, verifying every proof, timed next
 * to {@code rsync -a} copying one server's store directory (an unverified copy) in the same run.
 * Every node is its own JVM process, as in production; the client maps a class-data sharing archive
 * of the CLI, as {@code bin/ferry} does.
 *
 * <p>Usage: {@code bin/bench sync [--keys N[,N...]] [--servers N] [--work-limit N]
 * [--client-jvm-opts "OPTS"] [--cpu-by-thread]}. {@code --client-jvm-opts} adds JVM options to the
 * client process only (JIT, JFR, AOT cache experiments); {@code --cpu-by-thread} prints, after each
 * sync, the client's CPU by thread and the servers' CPU during it (Linux).
 */
public final class SyncBench {
  private static final int VALUE_SIZE = 100;

  private SyncBench() {}

  public static void main(String[] args) throws Exception {
    String keyList = BenchData.arg(args, "--keys", "1000000");
    int serverCount = Integer.parseInt(BenchData.arg(args, "--servers", "3"));
    String workLimit = BenchData.arg(args, "--work-limit", "8");
    String clientOpts = BenchData.arg(args, "--client-jvm-opts", "").strip();
    List<String> clientJvm = clientOpts.isEmpty() ? List.of() : List.of(clientOpts.split("\\s+"));
    boolean cpuByThread = List.of(args).contains("--cpu-by-thread");
    Path root = Files.createTempDirectory("ferry-syncbench");
    System.out.printf(
        "sync bench: %d server processes, work limit %s, %d CPUs, scratch %s%n",
        serverCount, workLimit, Runtime.getRuntime().availableProcessors(), root);
    System.out.printf(
        "%10s %7s %10s %12s %10s %10s %10s %8s%n",
        "keys", "servers", "sync s", "keys/s", "MB/s", "rsync s", "rsync MB/s", "sync/rsync");
    try {
      for (String k : keyList.split(",")) {
        run(
            root.resolve("n" + k),
            Integer.parseInt(k.strip()),
            serverCount,
            workLimit,
            clientJvm,
            cpuByThread);
      }
    } finally {
      BenchData.deleteTree(root);
    }
  }

  private static void run(
      Path dir,
      int keys,
      int serverCount,
      String workLimit,
      List<String> clientJvm,
      boolean cpuByThread)
      throws Exception {
    Path first = dir.resolve("server0");
    String target =
        FerryCli.lastLine(
            FerryCli.run(
                List.of(
                    "state",
                    "generate",
                    "--data",
                    first.toString(),
                    "--keys",
                    Integer.toString(keys),
                    "--value-size",
                    Integer.toString(VALUE_SIZE))));
    for (int i = 1; i < serverCount; i++) {
      BenchData.copyTree(first.resolve("state"), dir.resolve("server" + i).resolve("state"));
    }
    List<Process> servers = new ArrayList<>();
    List<String> peerArgs = new ArrayList<>();
    try {
      for (int i = 0; i < serverCount; i++) {
        FerryCli.NodeProcess n = FerryCli.node(dir.resolve("server" + i), List.of("--http", "off"));
        servers.add(n.process());
        peerArgs.add("--peer");
        peerArgs.add(n.p2p());
      }
      // Reference: an unverified copy of one server's store.
      Path copy = dir.resolve("rsync-copy");
      long r0 = System.nanoTime();
      Process rsync =
          new ProcessBuilder("rsync", "-a", first.resolve("state") + "/", copy + "/")
              .inheritIO()
              .start();
      if (rsync.waitFor() != 0) {
        throw new IllegalStateException("rsync failed; install it with: apt-get install rsync");
      }
      double rsyncSeconds = (System.nanoTime() - r0) / 1e9;
      long stateBytes = size(first.resolve("state"));

      // Twice: first against freshly started servers (cold JIT), then against the same servers
      // warmed up, as a long-running node is. Each client is a new process.
      for (String run : List.of("cold", "warm")) {
        List<String> sync =
            new ArrayList<>(
                List.of(
                    "sync",
                    "--data",
                    dir.resolve("client-" + run).toString(),
                    "--trust-root",
                    target,
                    "--work-limit",
                    workLimit));
        sync.addAll(peerArgs);
        long serversBefore = ThreadCpu.processesMillis(servers);
        long s0 = System.nanoTime();
        // The client maps the class-data sharing archive bin/ferry makes, as a user's run does.
        List<String> jvm = new ArrayList<>(FerryCli.cdsArgs(dir));
        jvm.addAll(clientJvm);
        Process client =
            new ProcessBuilder(FerryCli.command(jvm, sync))
                .redirectError(ProcessBuilder.Redirect.INHERIT)
                .start();
        String synced;
        Map<String, Long> clientCpu;
        try (ThreadCpu.Sampler sampler = cpuByThread ? new ThreadCpu.Sampler(client) : null) {
          synced = FerryCli.lastLine(FerryCli.output(client, sync));
          clientCpu = sampler == null ? Map.of() : sampler.byName();
        }
        double syncSeconds = (System.nanoTime() - s0) / 1e9;
        long serversCpu = ThreadCpu.processesMillis(servers) - serversBefore;
        if (!synced.equals(target)) {
          throw new IllegalStateException("synced to " + synced + ", expected " + target);
        }
        double payloadMb = keys * (32.0 + VALUE_SIZE) / 1e6;
        System.out.printf(
            "%,10d %7s %10.2f %,12.0f %10.1f %10.2f %10.1f %8.2f%n",
            keys,
            run,
            syncSeconds,
            keys / syncSeconds,
            payloadMb / syncSeconds,
            rsyncSeconds,
            stateBytes / 1e6 / rsyncSeconds,
            syncSeconds / rsyncSeconds);
        if (cpuByThread) {
          ThreadCpu.print(run, clientCpu, serversCpu);
        }
      }
    } finally {
      for (Process p : servers) {
        p.destroy();
      }
      for (Process p : servers) {
        FerryCli.stop(p);
      }
      BenchData.deleteTree(dir);
    }
  }

  private static long size(Path dir) throws IOException {
    try (Stream<Path> s = Files.walk(dir)) {
      return s.filter(Files::isRegularFile).mapToLong(p -> p.toFile().length()).sum();
    }
  }
}
