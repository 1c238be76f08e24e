package io.ferry.bench;

import io.ferry.core.Base58;
import java.io.IOException;
import java.io.OutputStream;
import java.net.InetAddress;
import java.net.ServerSocket;
import java.net.Socket;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.security.SecureRandom;
import java.util.ArrayList;
import java.util.List;
import java.util.SplittableRandom;
import java.util.concurrent.TimeUnit;
import java.util.regex.Matcher;
import java.util.regex.Pattern;

/**
 * The HTTP snapshot service and {@code ferry fetch}, every party its own process on loopback:
 *
 * <ol>
 *   <li>(a) {@code ferry snapshot serve} sends a random archive to concurrent {@code curl}
 *       downloads, next to nginx ({@code sendfile on}, 2 workers) serving the same directory to the
 *       same clients in the same round; the server's heap in use before and after;
 *   <li>(b) {@code ferry fetch} of the archive from 4 {@code ferry snapshot serve} processes, each
 *       limited to {@code --egress} MiB/s, next to fetching from one of them and to {@code aria2c
 *       -x N -s N} with the same 4 URLs and connection count.
 * </ol>
 *
 * <p>Usage: {@code bin/bench http [--mib N] [--clients N] [--rounds N] [--servers N] [--egress
 * MiB/s] [--connections N] [--fetch-rounds N]}; {@code --rounds 0} or {@code --fetch-rounds 0}
 * skips (a) or (b).
 */
public final class HttpBench {
  private static final Pattern USED =
      Pattern.compile("(?:heap|generation)\\s+total [^\\n]*?used (\\d+)K");

  private HttpBench() {}

  public static void main(String[] args) throws Exception {
    int mib = Integer.parseInt(BenchData.arg(args, "--mib", "1024"));
    int clients = Integer.parseInt(BenchData.arg(args, "--clients", "16"));
    int rounds = Integer.parseInt(BenchData.arg(args, "--rounds", "3"));
    int servers = Integer.parseInt(BenchData.arg(args, "--servers", "4"));
    int egress = Integer.parseInt(BenchData.arg(args, "--egress", "50"));
    int connections = Integer.parseInt(BenchData.arg(args, "--connections", "8"));
    int fetchRounds = Integer.parseInt(BenchData.arg(args, "--fetch-rounds", "3"));
    Path root = Files.createTempDirectory("ferry-httpbench");
    try {
      Path archives = Files.createDirectories(root.resolve("archives"));
      Path archive = writeArchive(archives, (long) mib << 20);
      System.out.printf(
          "http bench: %s (%d MiB of random bytes), %d CPUs, scratch %s%n",
          archive.getFileName(), mib, Runtime.getRuntime().availableProcessors(), root);
      double[] a = rounds > 0 ? serve(root, archives, archive, clients, rounds) : null;
      double[] b =
          fetchRounds > 0
              ? fetch(root, archives, archive, servers, egress, connections, fetchRounds)
              : null;
      System.out.printf("%nsummary%n");
      System.out.printf("%-62s %14s %14s %8s%n", "what", "ferry", "reference", "ratio");
      if (a != null) {
        System.out.printf(
            "%-62s %9.0f MB/s %9.0f MB/s %8.2f   (target >= 1.0)%n",
            "(a) serve, " + clients + " clients, vs nginx sendfile", a[0], a[1], a[0] / a[1]);
        System.out.printf(
            "%-62s %11.1f MiB   (target < 64; live heap growth %.1f MiB)%n",
            "(a) serve: heap in use after the rounds minus live before", a[2], a[3]);
      }
      if (b != null) {
        System.out.printf(
            "%-62s %9.2f s    %9.2f s    %8.2f   (target >= 3.5)%n",
            "(b) fetch " + servers + " servers vs 1 server, " + egress + " MiB/s each",
            b[0],
            b[1],
            b[1] / b[0]);
        System.out.printf(
            "%-62s %9.2f s    %9.2f s    %8.2f   (target >= 1.0)%n",
            "(b) fetch vs aria2c -x "
                + connections
                + " -s "
                + connections
                + ", "
                + servers
                + " servers",
            b[0],
            b[2],
            b[2] / b[0]);
      }
    } finally {
      BenchData.deleteTree(root);
    }
  }

  // ---------------- (a) ferry snapshot serve next to nginx ----------------

  /** Returns {ferry MB/s, nginx MB/s, heap growth MiB, retained growth MiB} (medians). */
  private static double[] serve(Path root, Path archives, Path archive, int clients, int rounds)
      throws Exception {
    long size = Files.size(archive);
    int nginxPort = freePort();
    Process nginx = startNginx(root.resolve("nginx"), archives, nginxPort);
    Process ferry =
        ferry(
            List.of("-Xmx256m"),
            List.of("snapshot", "serve", "--dir", archives.toString(), "--http", "127.0.0.1:0"));
    try {
      String ferryBase = serving(ferry);
      String nginxBase = "http://127.0.0.1:" + nginxPort;
      awaitPort(nginxPort);
      String name = "/" + archive.getFileName();
      // One untimed download from each first: the file in the page cache, both servers warm.
      download(ferryBase + name, 1, size);
      download(nginxBase + name, 1, size);
      jcmd(ferry.pid(), "GC.run"); // the baseline is what is live, not start-up garbage
      double heapBefore = heapUsedMiB(ferry.pid());
      long rssBefore = rssKiB(ferry.pid());
      System.out.printf(
          "%n(a) %d concurrent curl downloads of the whole %d MiB archive per server and round%n",
          clients, size >> 20);
      System.out.printf("%6s %14s %14s %8s%n", "round", "ferry MB/s", "nginx MB/s", "ratio");
      double[] f = new double[rounds];
      double[] n = new double[rounds];
      for (int r = 0; r < rounds; r++) {
        // Alternate which server goes first, so neither always meets a warmer page cache.
        if (r % 2 == 0) {
          f[r] = download(ferryBase + name, clients, size);
          n[r] = download(nginxBase + name, clients, size);
        } else {
          n[r] = download(nginxBase + name, clients, size);
          f[r] = download(ferryBase + name, clients, size);
        }
        System.out.printf("%6d %14.0f %14.0f %8.2f%n", r + 1, f[r], n[r], f[r] / n[r]);
      }
      double heapAfter = heapUsedMiB(ferry.pid());
      long rssAfter = rssKiB(ferry.pid());
      jcmd(ferry.pid(), "GC.run");
      double heapRetained = heapUsedMiB(ferry.pid());
      System.out.printf(
          "ferry server heap in use (-Xmx256m): %.1f MiB live before, %.1f MiB after the rounds"
              + " (garbage included), %.1f MiB live after; resident set %d MiB before, %d MiB after%n",
          heapBefore, heapAfter, heapRetained, rssBefore >> 10, rssAfter >> 10);
      return new double[] {
        BenchData.median(f), BenchData.median(n), heapAfter - heapBefore, heapRetained - heapBefore
      };
    } finally {
      stop(ferry);
      stop(nginx);
    }
  }

  /**
   * {@code clients} concurrent {@code curl -o /dev/null} of the whole file; aggregate MB/s from the
   * first start to the last end.
   */
  private static double download(String url, int clients, long size) throws Exception {
    List<Process> ps = new ArrayList<>();
    long t0 = System.nanoTime();
    for (int i = 0; i < clients; i++) {
      ps.add(
          new ProcessBuilder(
                  "curl", "-sS", "-o", "/dev/null", "-w", "%{http_code} %{size_download}", url)
              .redirectError(ProcessBuilder.Redirect.INHERIT)
              .start());
    }
    for (Process p : ps) {
      String out = new String(p.getInputStream().readAllBytes(), StandardCharsets.UTF_8).strip();
      if (p.waitFor() != 0 || !out.equals("200 " + size)) {
        throw new IllegalStateException("curl " + url + " exited " + p.exitValue() + ": " + out);
      }
    }
    double secs = (System.nanoTime() - t0) / 1e9;
    return clients * (double) size / 1e6 / secs;
  }

  private static Process startNginx(Path prefix, Path docs, int port) throws IOException {
    Files.createDirectories(prefix.resolve("tmp"));
    String user = System.getProperty("user.name");
    // As root the workers would otherwise drop to "nobody", who cannot read a private temp dir.
    String userLine = user.equals("root") ? "user root;\n" : "";
    String conf =
        userLine
            + "worker_processes 2;\n"
            + "daemon off;\n"
            + "pid "
            + prefix.resolve("nginx.pid")
            + ";\n"
            + "error_log "
            + prefix.resolve("error.log")
            + " warn;\n"
            + "events { worker_connections 1024; }\n"
            + "http {\n"
            + "  access_log off;\n"
            + "  sendfile on;\n"
            + "  tcp_nopush on;\n"
            + "  default_type application/octet-stream;\n"
            + tempPaths(prefix.resolve("tmp"))
            + "  server {\n"
            + "    listen 127.0.0.1:"
            + port
            + ";\n"
            + "    root "
            + docs
            + ";\n"
            + "  }\n"
            + "}\n";
    Path file = prefix.resolve("nginx.conf");
    Files.writeString(file, conf);
    return new ProcessBuilder(
            "nginx",
            "-c",
            file.toString(),
            "-p",
            prefix.toString(),
            "-e",
            prefix.resolve("error.log").toString())
        .redirectErrorStream(true)
        .redirectOutput(ProcessBuilder.Redirect.INHERIT)
        .start();
  }

  private static String tempPaths(Path tmp) {
    StringBuilder b = new StringBuilder();
    for (String kind : List.of("client_body", "proxy", "fastcgi", "uwsgi", "scgi")) {
      b.append("  ").append(kind).append("_temp_path ").append(tmp.resolve(kind)).append(";\n");
    }
    return b.toString();
  }

  // ---------------- (b) ferry fetch next to one server and aria2c ----------------

  /** Returns median seconds {ferry fetch from all, ferry fetch from one, aria2c from all}. */
  private static double[] fetch(
      Path root,
      Path archives,
      Path archive,
      int serverCount,
      int egress,
      int connections,
      int rounds)
      throws Exception {
    long size = Files.size(archive);
    String name = archive.getFileName().toString();
    Path out = Files.createDirectories(root.resolve("fetched"));
    List<Process> servers = new ArrayList<>();
    List<String> urls = new ArrayList<>();
    try {
      for (int i = 0; i < serverCount; i++) {
        Process p =
            ferry(
                List.of("-Xmx256m"),
                List.of(
                    "snapshot",
                    "serve",
                    "--dir",
                    archives.toString(),
                    "--http",
                    "127.0.0.1:0",
                    "--egress",
                    Integer.toString(egress)));
        servers.add(p);
        urls.add(serving(p) + "/" + name);
      }
      System.out.printf(
          "%n(b) fetch the %d MiB archive, %d connections, servers limited to %d MiB/s each"
              + " (wall time of the client process)%n",
          size >> 20, connections, egress);
      System.out.printf(
          "%6s %16s %16s %16s%n",
          "round", "ferry " + serverCount + " servers", "ferry 1 server", "aria2c " + serverCount);
      double[] all = new double[rounds];
      double[] one = new double[rounds];
      double[] aria = new double[rounds];
      for (int r = 0; r < rounds; r++) {
        all[r] = fetchWithFerry(urls, out, name, connections, size);
        one[r] = fetchWithFerry(urls.subList(0, 1), out, name, connections, size);
        aria[r] = fetchWithAria2(urls, out, name, connections, size);
        System.out.printf("%6d %14.2f s %14.2f s %14.2f s%n", r + 1, all[r], one[r], aria[r]);
      }
      double m = BenchData.median(all);
      System.out.printf(
          "median: ferry %.2f s = %.0f MiB/s, one server %.2f s (%.2fx), aria2c %.2f s (%.2fx)%n",
          m,
          (size >> 20) / m,
          BenchData.median(one),
          BenchData.median(one) / m,
          BenchData.median(aria),
          BenchData.median(aria) / m);
      return new double[] {m, BenchData.median(one), BenchData.median(aria)};
    } finally {
      for (Process p : servers) {
        stop(p);
      }
    }
  }

  private static double fetchWithFerry(
      List<String> urls, Path dir, String name, int connections, long size) throws Exception {
    Path target = dir.resolve(name);
    List<String> cmd =
        new ArrayList<>(
            List.of(
                "fetch",
                "--out",
                target.toString(),
                "--connections",
                Integer.toString(connections),
                "--min-speed",
                "0"));
    cmd.addAll(urls);
    List<String> jvm = FerryCli.cdsArgs(dir);
    long t0 = System.nanoTime();
    Process p = ferry(jvm, cmd);
    p.getInputStream().transferTo(OutputStream.nullOutputStream());
    if (p.waitFor() != 0) {
      throw new IllegalStateException("ferry fetch exited " + p.exitValue());
    }
    double secs = (System.nanoTime() - t0) / 1e9;
    checkAndDelete(target, size);
    return secs;
  }

  private static double fetchWithAria2(
      List<String> urls, Path dir, String name, int connections, long size) throws Exception {
    List<String> cmd =
        new ArrayList<>(
            List.of(
                "aria2c",
                "-x",
                Integer.toString(connections),
                "-s",
                Integer.toString(connections),
                "-d",
                dir.toString(),
                "-o",
                name,
                "--file-allocation=none",
                "--allow-overwrite=true",
                "--auto-file-renaming=false",
                "--console-log-level=warn",
                "--summary-interval=0",
                "--download-result=hide",
                "--quiet=true"));
    cmd.addAll(urls);
    long t0 = System.nanoTime();
    Process p = new ProcessBuilder(cmd).inheritIO().start();
    if (p.waitFor() != 0) {
      throw new IllegalStateException("aria2c exited " + p.exitValue());
    }
    double secs = (System.nanoTime() - t0) / 1e9;
    checkAndDelete(dir.resolve(name), size);
    return secs;
  }

  private static void checkAndDelete(Path file, long size) throws IOException {
    long got = Files.size(file);
    Files.delete(file);
    if (got != size) {
      throw new IllegalStateException("fetched " + got + " bytes, expected " + size);
    }
  }

  // ---------------- processes and helpers ----------------

  /** A random archive named like Agave's full snapshots: snapshot-100-(base58 of 32 bytes). */
  private static Path writeArchive(Path dir, long size) throws IOException {
    byte[] hash = new byte[32];
    new SecureRandom().nextBytes(hash);
    Path file = dir.resolve("snapshot-100-" + Base58.encode(hash) + ".tar.zst");
    SplittableRandom random = new SplittableRandom();
    byte[] buf = new byte[1 << 20];
    try (OutputStream out = Files.newOutputStream(file)) {
      for (long left = size; left > 0; left -= buf.length) {
        for (int i = 0; i < buf.length; i += 8) {
          long v = random.nextLong();
          for (int j = 0; j < 8; j++) {
            buf[i + j] = (byte) (v >>> (8 * j));
          }
        }
        out.write(buf, 0, (int) Math.min(buf.length, left));
      }
    }
    return file;
  }

  private static Process ferry(List<String> jvmArgs, List<String> args) throws IOException {
    return new ProcessBuilder(FerryCli.command(jvmArgs, args))
        .redirectError(ProcessBuilder.Redirect.DISCARD)
        .start();
  }

  private static String serving(Process p) throws IOException {
    return FerryCli.awaitLine(p, "serving ");
  }

  /** Heap in use from {@code jcmd PID GC.heap_info}, in MiB (summed over generations). */
  private static double heapUsedMiB(long pid) throws Exception {
    Matcher m = USED.matcher(jcmd(pid, "GC.heap_info"));
    long kib = 0;
    boolean found = false;
    while (m.find()) {
      kib += Long.parseLong(m.group(1));
      found = true;
    }
    if (!found) {
      throw new IllegalStateException("no heap figure from jcmd " + pid + " GC.heap_info");
    }
    return kib / 1024.0;
  }

  private static String jcmd(long pid, String what) throws Exception {
    Path javaBin = Path.of(ProcessHandle.current().info().command().orElse("java"));
    Path jcmd = javaBin.resolveSibling("jcmd");
    Process p =
        new ProcessBuilder(Files.exists(jcmd) ? jcmd.toString() : "jcmd", Long.toString(pid), what)
            .redirectErrorStream(true)
            .start();
    String out = new String(p.getInputStream().readAllBytes(), StandardCharsets.UTF_8);
    if (p.waitFor() != 0) {
      throw new IllegalStateException("jcmd " + pid + " " + what + ": " + out);
    }
    return out;
  }

  private static long rssKiB(long pid) throws IOException {
    Path status = Path.of("/proc/" + pid + "/status");
    if (!Files.exists(status)) {
      return 0;
    }
    for (String line : Files.readAllLines(status)) {
      if (line.startsWith("VmRSS:")) {
        return Long.parseLong(line.replaceAll("[^0-9]", ""));
      }
    }
    return 0;
  }

  private static int freePort() throws IOException {
    try (ServerSocket s = new ServerSocket(0, 1, InetAddress.getLoopbackAddress())) {
      return s.getLocalPort();
    }
  }

  private static void awaitPort(int port) throws InterruptedException {
    for (int i = 0; i < 100; i++) {
      try (Socket s = new Socket(InetAddress.getLoopbackAddress(), port)) {
        return;
      } catch (IOException e) {
        Thread.sleep(50);
      }
    }
    throw new IllegalStateException("nginx did not listen on port " + port);
  }

  private static void stop(Process p) throws InterruptedException {
    p.destroy();
    if (!p.waitFor(30, TimeUnit.SECONDS)) {
      p.destroyForcibly();
    }
  }
}
