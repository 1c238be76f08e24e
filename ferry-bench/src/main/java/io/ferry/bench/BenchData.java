package io.ferry.bench;

import io.ferry.core.Bytes;
import io.ferry.merkledb.KeyValue;
import java.io.IOException;
import java.io.InputStream;
import java.io.OutputStream;
import java.net.InetAddress;
import java.net.ServerSocket;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.StandardCopyOption;
import java.security.MessageDigest;
import java.security.NoSuchAlgorithmException;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.Comparator;
import java.util.List;
import java.util.SplittableRandom;
import java.util.stream.Stream;

/**
 * What the benchmarks share: deterministic random key-values and files, their scratch directories,
 * their command-line options, free loopback ports, the machine's load and the median of their
 * rounds.
 */
final class BenchData {
  private BenchData() {}

  static byte[] random(SplittableRandom r, int n) {
    byte[] b = new byte[n];
    r.nextBytes(b);
    return b;
  }

  /** Deletes a directory tree (a benchmark's scratch), if it exists. */
  static void deleteTree(Path dir) throws IOException {
    if (!Files.exists(dir)) {
      return;
    }
    try (Stream<Path> s = Files.walk(dir)) {
      for (Path p : s.sorted(Comparator.reverseOrder()).toList()) {
        Files.delete(p);
      }
    }
  }

  /** Copies a directory tree (a store a server starts from). */
  static void copyTree(Path from, Path to) throws IOException {
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

  /** The value after option {@code name} on a benchmark's command line, or {@code dflt}. */
  static String arg(String[] args, String name, String dflt) {
    for (int i = 0; i + 1 < args.length; i++) {
      if (args[i].equals(name)) {
        return args[i + 1];
      }
    }
    return dflt;
  }

  static double median(double[] xs) {
    double[] s = xs.clone();
    Arrays.sort(s);
    return s.length % 2 == 1 ? s[s.length / 2] : (s[s.length / 2 - 1] + s[s.length / 2]) / 2;
  }

  /** {@code n} random key-values in key order (duplicates dropped). */
  static List<KeyValue> sorted(int n, int keySize, int valueSize, long seed) {
    SplittableRandom r = new SplittableRandom(seed);
    byte[][] keys = new byte[n][];
    for (int i = 0; i < n; i++) {
      keys[i] = random(r, keySize);
    }
    Arrays.parallelSort(keys, Arrays::compareUnsigned);
    List<KeyValue> out = new ArrayList<>(n);
    byte[] prev = null;
    for (byte[] k : keys) {
      if (prev == null || !Arrays.equals(prev, k)) {
        out.add(new KeyValue(Bytes.wrap(k), Bytes.wrap(random(r, valueSize))));
      }
      prev = k;
    }
    return out;
  }

  /** Writes {@code size} random bytes from {@code seed} to {@code file}. */
  static void writeRandom(Path file, long size, long seed) throws IOException {
    SplittableRandom random = new SplittableRandom(seed);
    byte[] buf = new byte[1 << 20];
    try (OutputStream out = Files.newOutputStream(file)) {
      for (long left = size; left > 0; left -= buf.length) {
        random.nextBytes(buf);
        out.write(buf, 0, (int) Math.min(buf.length, left));
      }
    }
  }

  /** The SHA-256 of a file's bytes. */
  static byte[] sha256(Path file) throws IOException {
    MessageDigest md;
    try {
      md = MessageDigest.getInstance("SHA-256");
    } catch (NoSuchAlgorithmException e) {
      throw new IllegalStateException("every JDK has SHA-256", e);
    }
    byte[] buf = new byte[1 << 20];
    try (InputStream in = Files.newInputStream(file)) {
      for (int n; (n = in.read(buf)) > 0; ) {
        md.update(buf, 0, n);
      }
    }
    return md.digest();
  }

  /**
   * A TCP port free on 127.0.0.1 a moment ago, for a child that cannot pick its own (port 0) and
   * tell it: another process may take it before the child binds it, which then fails loudly.
   */
  static int freeLoopbackPort() throws IOException {
    try (ServerSocket s = new ServerSocket(0, 1, InetAddress.getLoopbackAddress())) {
      return s.getLocalPort();
    }
  }

  /** The 1, 5 and 15 minute load averages, as {@code uptime} prints them; "?" off Linux. */
  static String loadAverage() {
    try {
      String[] f = Files.readString(Path.of("/proc/loadavg")).split(" ");
      return f[0] + " " + f[1] + " " + f[2];
    } catch (IOException | RuntimeException e) {
      return "?";
    }
  }

  /**
   * Writes out what the last run left in the page cache (a restored store, downloaded copies), so
   * that its writeback does not slow the next run's disk: every run starts from a clean cache.
   */
  static void flushDirtyPages() throws InterruptedException {
    try {
      new ProcessBuilder("sync").inheritIO().start().waitFor();
    } catch (IOException e) {
      // no sync(1): the runs share the disk's writeback as they come
    }
  }
}
