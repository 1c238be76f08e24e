package io.ferry.bench;

import java.io.BufferedReader;
import java.io.IOException;
import java.io.InputStreamReader;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.StandardCopyOption;
import java.util.ArrayList;
import java.util.Comparator;
import java.util.List;
import java.util.Map;
import java.util.concurrent.TimeUnit;
import java.util.stream.Stream;

/**
 * Proof sync end to end: {@code ferry sync} pulls a generated state (32-byte keys, 100-byte values)
 * from server processes ({@code ferry node --p2p}) over loopback, verifying every proof, timed next
 * to {@code rsync -a} copying one server's store directory (an unverified copy) in the same run.
 * Every node is its own JVM process, as in production.
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
    String keyList = arg(args, "--keys", "1000000");
    int serverCount = Integer.parseInt(arg(args, "--servers", "3"));
    String workLimit = arg(args, "--work-limit", "8");
    String clientOpts = arg(args, "--client-jvm-opts", "").strip();
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
      deleteTree(root);
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
        lastLine(
            ferry(
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
      copyTree(first.resolve("state"), dir.resolve("server" + i).resolve("state"));
    }
    List<Process> servers = new ArrayList<>();
    List<String> peerArgs = new ArrayList<>();
    try {
      for (int i = 0; i < serverCount; i++) {
        Process p =
            start(
                List.of(
                    "node",
                    "--data",
                    dir.resolve("server" + i).toString(),
                    "--p2p",
                    "127.0.0.1:0",
                    "--http",
                    "off"));
        servers.add(p);
        peerArgs.add("--peer");
        peerArgs.add(listening(p));
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
        long serversBefore = serverMillis(servers);
        long s0 = System.nanoTime();
        Process client =
            new ProcessBuilder(command(clientJvm, sync))
                .redirectError(ProcessBuilder.Redirect.INHERIT)
                .start();
        String synced;
        Map<String, Long> clientCpu;
        try (ThreadCpu.Sampler sampler = cpuByThread ? new ThreadCpu.Sampler(client) : null) {
          synced = lastLine(output(client, sync));
          clientCpu = sampler == null ? Map.of() : sampler.byName();
        }
        double syncSeconds = (System.nanoTime() - s0) / 1e9;
        long serversCpu = serverMillis(servers) - serversBefore;
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
          printCpu(run, clientCpu, serversCpu);
        }
      }
    } finally {
      for (Process p : servers) {
        p.destroy();
      }
      for (Process p : servers) {
        p.waitFor(30, TimeUnit.SECONDS);
      }
      deleteTree(dir);
    }
  }

  private static List<String> command(List<String> args) {
    return command(List.of(), args);
  }

  private static List<String> command(List<String> jvm, List<String> args) {
    String java = ProcessHandle.current().info().command().orElse("java");
    List<String> cmd =
        new ArrayList<>(List.of(java, "--enable-native-access=ALL-UNNAMED", "-Xmx4g"));
    cmd.addAll(jvm);
    cmd.addAll(List.of("-cp", System.getProperty("java.class.path"), "io.ferry.node.cli.Main"));
    cmd.addAll(args);
    return cmd;
  }

  private static long serverMillis(List<Process> servers) {
    return servers.stream().mapToLong(p -> ThreadCpu.processMillis(p.pid())).sum();
  }

  private static void printCpu(String run, Map<String, Long> client, long serversMillis) {
    long total = client.values().stream().mapToLong(Long::longValue).sum();
    System.out.printf(
        "  %s client CPU %,d ms by thread (servers together %,d ms):%n", run, total, serversMillis);
    client.entrySet().stream()
        .filter(e -> e.getValue() > 0)
        .sorted(Map.Entry.<String, Long>comparingByValue().reversed())
        .forEach(e -> System.out.printf("    %,8d ms  %s%n", e.getValue(), e.getKey()));
  }

  private static Process start(List<String> args) throws IOException {
    return new ProcessBuilder(command(args)).redirectError(ProcessBuilder.Redirect.DISCARD).start();
  }

  /** Runs a ferry command to the end and returns its stdout; fails on a non-zero exit. */
  private static String ferry(List<String> args) throws Exception {
    Process p =
        new ProcessBuilder(command(args)).redirectError(ProcessBuilder.Redirect.INHERIT).start();
    return output(p, args);
  }

  /** The stdout of a started ferry command, once it has exited 0. */
  private static String output(Process p, List<String> args) throws Exception {
    String out = new String(p.getInputStream().readAllBytes(), StandardCharsets.UTF_8);
    if (p.waitFor() != 0) {
      throw new IllegalStateException("ferry " + args + " exited " + p.exitValue() + ": " + out);
    }
    return out;
  }

  private static String listening(Process p) throws IOException {
    BufferedReader r =
        new BufferedReader(new InputStreamReader(p.getInputStream(), StandardCharsets.UTF_8));
    for (String line; (line = r.readLine()) != null; ) {
      if (line.startsWith("listening ")) {
        return line.substring("listening ".length()).strip();
      }
    }
    throw new IllegalStateException("a server exited before listening");
  }

  private static String lastLine(String out) {
    String[] lines = out.strip().split("\n");
    return lines[lines.length - 1].strip();
  }

  private static long size(Path dir) throws IOException {
    try (Stream<Path> s = Files.walk(dir)) {
      return s.filter(Files::isRegularFile).mapToLong(p -> p.toFile().length()).sum();
    }
  }

  private static void copyTree(Path from, Path to) throws IOException {
    try (Stream<Path> s = Files.walk(from)) {
      for (Path p : s.toList()) {
        Path t = to.resolve(from.relativize(p).toString());
        if (Files.isDirectory(p)) {
          Files.createDirectories(t);
        } else {
          Files.copy(p, t, StandardCopyOption.REPLACE_EXISTING);
        }
      }
    }
  }

  private static void deleteTree(Path dir) throws IOException {
    if (!Files.exists(dir)) {
      return;
    }
    try (Stream<Path> s = Files.walk(dir)) {
      for (Path p : s.sorted(Comparator.reverseOrder()).toList()) {
        Files.delete(p);
      }
    }
  }

  private static String arg(String[] args, String name, String dflt) {
    for (int i = 0; i + 1 < args.length; i++) {
      if (args[i].equals(name)) {
        return args[i + 1];
      }
    }
    return dflt;
  }
}
