package io.ferry.bench;

import java.io.BufferedReader;
import java.io.IOException;
import java.io.InputStreamReader;
import java.net.URI;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.attribute.PosixFilePermissions;
import java.security.SecureRandom;
import java.time.Duration;
import java.util.ArrayDeque;
import java.util.ArrayList;
import java.util.Deque;
import java.util.HexFormat;
import java.util.List;
import java.util.function.Consumer;
import java.util.regex.Matcher;
import java.util.regex.Pattern;

/**
 * The BitTorrent reference of {@code bin/bench blocks}, as a user would set it up with Debian's
 * packages: {@code mktorrent} makes the torrent, a local {@code opentracker} on 127.0.0.1 tracks
 * the swarm, one {@code aria2c} seeds the file and {@code downloaders} more {@code aria2c} start at
 * once, each into its own directory.
 *
 * <p>Every downloader keeps seeding after it has the whole file ({@code --seed-ratio=0.0}), until
 * the last one has it: BitTorrent's strength is downloaders trading the pieces they hold, and an
 * {@code aria2c} that exits when done would take that away from the ones still downloading. A
 * downloader is done when aria2c runs its {@code --on-bt-download-complete} hook (every piece
 * checked against the torrent's SHA-1s), which prints a line the benchmark reads; then all are
 * stopped and each copy is checked against the source's SHA-256.
 *
 * <p>Nothing binds beyond 127.0.0.1: the tracker binds TCP only there ({@code -i 127.0.0.1 -p
 * PORT}, no UDP); every aria2c takes {@code --interface=127.0.0.1 --disable-ipv6=true}, has DHT and
 * local peer discovery off, and its JSON-RPC port (read once at the end, for the bytes each sent)
 * listens on loopback only, behind a random secret. Every aria2c stops by itself if the benchmark's
 * JVM dies ({@code --stop-with-process}); the tracker runs under a shell that stops it when its
 * standard input, a pipe from the benchmark, ends.
 */
final class TorrentSwarm implements Swarm {
  private static final String DONE = "blocksbench-complete";
  private static final Pattern COMPLETE = Pattern.compile("8:completei(\\d+)e");
  private static final Pattern ANSI = Pattern.compile("\u001B\\[[;\\d]*m");
  private static final Pattern UPLOADED = Pattern.compile("\"uploadLength\":\"(\\d+)\"");

  /**
   * Runs the tracker with its standard input closed, prints its pid, and stops it when this shell's
   * own input ends (the benchmark stopped or died) or the shell is signalled.
   */
  private static final String TRACKER_WRAPPER =
      "opentracker \"$@\" </dev/null & t=$!\n"
          + "echo \"tracker $t\"\n"
          + "trap 'kill $t 2>/dev/null' EXIT HUP INT TERM\n"
          + "cat >/dev/null\n";

  private final Children children;
  private final int downloaders;
  private final int pieceBytes;
  private final Duration timeout;
  private final String secret = HexFormat.of().formatHex(new SecureRandom().generateSeed(16));
  private final HttpClient http =
      HttpClient.newBuilder().connectTimeout(Duration.ofSeconds(5)).build();
  private final String version;

  /**
   * @param pieceBytes the torrent's piece size, a power of two from 16 KiB to 16 MiB
   * @param timeout how long the downloads may take
   */
  TorrentSwarm(Children children, int downloaders, int pieceBytes, Duration timeout)
      throws Exception {
    if (Integer.bitCount(pieceBytes) != 1 || pieceBytes < (16 << 10) || pieceBytes > (16 << 20)) {
      throw new IllegalArgumentException("piece size " + pieceBytes + " is not 2^14..2^24 bytes");
    }
    this.children = children;
    this.downloaders = downloaders;
    this.pieceBytes = pieceBytes;
    this.timeout = timeout;
    this.version = aria2Version();
  }

  @Override
  public String name() {
    return "BitTorrent (aria2c "
        + version
        + ", opentracker, mktorrent "
        + (pieceBytes >> 10)
        + " KiB pieces)";
  }

  @Override
  public Run run(Source source, Path dir) throws Exception {
    Path trackerDir = Files.createDirectories(dir.resolve("tracker"));
    int trackerPort = BenchData.freeLoopbackPort();
    String tracker = "http://127.0.0.1:" + trackerPort;
    Path torrent = dir.resolve(source.file().getFileName() + ".torrent");
    try {
      // Publishing: the torrent's SHA-1 of every piece, then a seeder the tracker lists.
      long t0 = System.nanoTime();
      makeTorrent(source.file(), torrent, tracker + "/announce", dir.resolve("mktorrent.log"));
      double makeSeconds = (System.nanoTime() - t0) / 1e9;
      byte[] infoHash = InfoHash.of(Files.readAllBytes(torrent));
      startTracker(trackerDir, trackerPort, infoHash);
      long s0 = System.nanoTime();
      Aria2 seeder =
          aria2(
              "seeder",
              source.file().getParent(),
              List.of("--bt-seed-unverified=true", torrent.toString()),
              line -> {});
      awaitSeeders(tracker, infoHash, seeder);
      double announceSeconds = (System.nanoTime() - s0) / 1e9;
      System.out.printf(
          "  torrent of %,d pieces of %d KiB made in %.2f s; the seeder listed by the tracker %.2f s"
              + " after its start%n",
          (source.bytes() + pieceBytes - 1) / pieceBytes,
          pieceBytes >> 10,
          makeSeconds,
          announceSeconds);

      // The downloads, all started at once.
      Downloads downloads = new Downloads(downloaders);
      List<Aria2> leechers = new ArrayList<>();
      Path hook = completionHook(dir);
      double[] seconds;
      double cpuSeconds;
      MachineCpu cpu;
      String loadBefore;
      try (CpuMeter ownCpu = new CpuMeter()) {
        ownCpu.add(seeder.process().toHandle());
        cpu = MachineCpu.now();
        loadBefore = BenchData.loadAverage();
        for (int i = 0; i < downloaders; i++) {
          int n = i;
          Path into = Files.createDirectories(dir.resolve("downloader-" + (i + 1)));
          downloads.started(i);
          Aria2 leecher =
              aria2(
                  "downloader " + (i + 1),
                  into,
                  List.of("--on-bt-download-complete=" + hook, torrent.toString()),
                  line -> {
                    if (line.startsWith(DONE)) {
                      downloads.finished(n);
                    }
                  });
          leecher.process().onExit().thenRun(() -> downloads.failed(n, leecher.exited()));
          ownCpu.add(leecher.process().toHandle());
          leechers.add(leecher);
        }
        seconds = downloads.await(timeout);
        cpuSeconds = ownCpu.seconds();
      }
      double busy = MachineCpu.now().busySince(cpu);
      String loadAfter = BenchData.loadAverage();
      long seederSent = uploaded(seeder);
      long[] sent = new long[downloaders];
      for (int i = 0; i < downloaders; i++) {
        sent[i] = uploaded(leechers.get(i));
      }
      children.stopAll(); // an aria2c writes out what it still caches when it stops
      for (int i = 0; i < downloaders; i++) {
        source.verify(dir.resolve("downloader-" + (i + 1)).resolve(source.file().getFileName()));
      }
      return new Run(
          name(),
          source.bytes(),
          makeSeconds + announceSeconds,
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

  // ---------------- the torrent and the tracker ----------------

  private void makeTorrent(Path file, Path torrent, String announce, Path log) throws Exception {
    int exponent = Integer.numberOfTrailingZeros(pieceBytes);
    Process p =
        new ProcessBuilder(
                "mktorrent",
                "-l",
                Integer.toString(exponent),
                "-a",
                announce,
                "-o",
                torrent.toString(),
                file.toString())
            .redirectErrorStream(true)
            .redirectOutput(log.toFile())
            .start();
    if (p.waitFor() != 0) {
      throw new IllegalStateException(
          "mktorrent exited " + p.exitValue() + ": " + Files.readString(log));
    }
  }

  /**
   * Starts opentracker on 127.0.0.1:PORT, TCP only. Debian builds it to track only whitelisted
   * torrents: the whitelist holds this one's hash. Run as root it chroots into {@code dir} and
   * drops to {@code nobody}, so the directory and the list must be readable by anyone; run as a
   * user it changes into {@code dir}: either way the list is named relative to it.
   */
  private void startTracker(Path dir, int port, byte[] infoHash) throws Exception {
    Path whitelist = dir.resolve("whitelist.txt");
    Files.writeString(whitelist, HexFormat.of().formatHex(infoHash) + "\n");
    Files.setPosixFilePermissions(dir, PosixFilePermissions.fromString("rwxr-xr-x"));
    Files.setPosixFilePermissions(whitelist, PosixFilePermissions.fromString("rw-r--r--"));
    Process wrapper =
        children.start(
            new ProcessBuilder(
                    "sh",
                    "-c",
                    TRACKER_WRAPPER,
                    "opentracker",
                    "-i",
                    "127.0.0.1",
                    "-p",
                    Integer.toString(port),
                    "-d",
                    dir.toString(),
                    "-w",
                    whitelist.getFileName().toString())
                .redirectErrorStream(true));
    BufferedReader out =
        new BufferedReader(new InputStreamReader(wrapper.getInputStream(), StandardCharsets.UTF_8));
    String first = out.readLine();
    if (first == null || !first.startsWith("tracker ")) {
      throw new IllegalStateException("the opentracker wrapper printed " + first);
    }
    ProcessHandle tracker =
        ProcessHandle.of(Long.parseLong(first.substring("tracker ".length()).strip()))
            .orElseThrow(() -> new IllegalStateException("opentracker exited at its start"));
    children.add(tracker);
    Deque<String> said = new ArrayDeque<>();
    drain(out, said, line -> {});
    String url = "http://127.0.0.1:" + port + "/scrape?info_hash=" + percent(infoHash);
    long deadline = System.nanoTime() + Duration.ofSeconds(10).toNanos();
    while (true) {
      if (!tracker.isAlive()) {
        throw new IllegalStateException("opentracker exited: " + String.join("\n", said));
      }
      try {
        if (http.send(get(url), HttpResponse.BodyHandlers.discarding()).statusCode() == 200) {
          return;
        }
      } catch (IOException e) {
        // not listening yet
      }
      if (System.nanoTime() > deadline) {
        throw new IllegalStateException("opentracker did not answer on port " + port);
      }
      Thread.sleep(20);
    }
  }

  /** Waits until the tracker counts the seeder as a complete peer of the torrent. */
  private void awaitSeeders(String tracker, byte[] infoHash, Aria2 seeder) throws Exception {
    String url = tracker + "/scrape?info_hash=" + percent(infoHash);
    long deadline = System.nanoTime() + Duration.ofSeconds(60).toNanos();
    while (System.nanoTime() < deadline) {
      if (!seeder.process().isAlive()) {
        throw new IllegalStateException(seeder.exited());
      }
      String body =
          new String(
              http.send(get(url), HttpResponse.BodyHandlers.ofByteArray()).body(),
              StandardCharsets.ISO_8859_1);
      Matcher m = COMPLETE.matcher(body);
      if (m.find() && Integer.parseInt(m.group(1)) >= 1) {
        return;
      }
      Thread.sleep(20);
    }
    throw new IllegalStateException("the tracker never listed the seeder");
  }

  private static String percent(byte[] bytes) {
    StringBuilder b = new StringBuilder();
    for (byte x : bytes) {
      b.append('%').append(HexFormat.of().toHexDigits(x));
    }
    return b.toString();
  }

  private static HttpRequest get(String url) {
    return HttpRequest.newBuilder(URI.create(url)).timeout(Duration.ofSeconds(5)).build();
  }

  // ---------------- aria2c ----------------

  /** A running aria2c, its JSON-RPC port and the last lines it printed. */
  private record Aria2(String name, Process process, int rpcPort, Deque<String> said) {
    String exited() {
      synchronized (said) {
        return name
            + " (aria2c) exited "
            + (process.isAlive() ? "" : process.exitValue())
            + " before it had the whole file: "
            + String.join(" | ", said);
      }
    }
  }

  private Aria2 aria2(String name, Path dir, List<String> extra, Consumer<String> onLine)
      throws IOException {
    int rpcPort = BenchData.freeLoopbackPort();
    List<String> cmd =
        new ArrayList<>(
            List.of(
                "aria2c",
                "--no-conf=true",
                "--interface=127.0.0.1",
                "--disable-ipv6=true",
                "--listen-port=" + BenchData.freeLoopbackPort(),
                "--dir=" + dir,
                "--enable-dht=false",
                "--enable-dht6=false",
                "--bt-enable-lpd=false",
                "--seed-ratio=0.0", // seed whatever the ratio, until stopped
                "--file-allocation=none",
                "--enable-rpc=true",
                "--rpc-listen-all=false",
                "--rpc-listen-port=" + rpcPort,
                "--rpc-secret=" + secret,
                "--console-log-level=warn",
                "--summary-interval=0",
                "--show-console-readout=false",
                "--download-result=hide",
                "--stop-with-process=" + ProcessHandle.current().pid()));
    cmd.addAll(extra);
    Process p = children.start(new ProcessBuilder(cmd).redirectErrorStream(true));
    Deque<String> said = new ArrayDeque<>();
    drain(
        new BufferedReader(new InputStreamReader(p.getInputStream(), StandardCharsets.UTF_8)),
        said,
        onLine);
    return new Aria2(name, p, rpcPort, said);
  }

  /**
   * Reads a child's output on a virtual thread until it ends, handing each line to {@code onLine}
   * and keeping the last 10 for an error message.
   */
  private static void drain(BufferedReader in, Deque<String> said, Consumer<String> onLine) {
    Thread.ofVirtual()
        .start(
            () -> {
              try (in) {
                for (String line; (line = in.readLine()) != null; ) {
                  onLine.accept(line);
                  if (!line.isBlank()) {
                    synchronized (said) {
                      said.addLast(ANSI.matcher(line).replaceAll("").strip());
                      if (said.size() > 10) {
                        said.removeFirst();
                      }
                    }
                  }
                }
              } catch (IOException e) {
                // the child ended
              }
            });
  }

  /**
   * The *.sh script aria2c runs when a download has every piece (before it goes on seeding): it
   * prints one line, read by {@link #drain}. aria2c passes it the GID, the file count and a path.
   */
  private static Path completionHook(Path dir) throws IOException {
    Path hook = dir.resolve("complete-hook.sh");
    if (!Files.exists(hook)) {
      Files.writeString(hook, "#!/bin/sh\necho \"" + DONE + " $3\"\n");
      Files.setPosixFilePermissions(hook, PosixFilePermissions.fromString("rwxr-xr-x"));
    }
    return hook;
  }

  /** The bytes an aria2c uploaded to its peers, from its JSON-RPC; -1 when it does not answer. */
  private long uploaded(Aria2 a) {
    String body =
        "{\"jsonrpc\":\"2.0\",\"id\":\"bench\",\"method\":\"aria2.tellActive\",\"params\":[\"token:"
            + secret
            + "\",[\"uploadLength\"]]}";
    try {
      HttpResponse<String> r =
          http.send(
              HttpRequest.newBuilder(URI.create("http://127.0.0.1:" + a.rpcPort() + "/jsonrpc"))
                  .timeout(Duration.ofSeconds(5))
                  .POST(HttpRequest.BodyPublishers.ofString(body))
                  .build(),
              HttpResponse.BodyHandlers.ofString());
      Matcher m = UPLOADED.matcher(r.body());
      long sum = 0;
      boolean found = false;
      while (m.find()) {
        sum += Long.parseLong(m.group(1));
        found = true;
      }
      return found ? sum : -1;
    } catch (IOException e) {
      return -1;
    } catch (InterruptedException e) {
      Thread.currentThread().interrupt();
      return -1;
    }
  }

  private static String aria2Version() throws Exception {
    Process p = new ProcessBuilder("aria2c", "--version").redirectErrorStream(true).start();
    String out = new String(p.getInputStream().readAllBytes(), StandardCharsets.UTF_8);
    p.waitFor();
    Matcher m = Pattern.compile("aria2 version (\\S+)").matcher(out);
    return m.find() ? m.group(1) : "?";
  }
}
