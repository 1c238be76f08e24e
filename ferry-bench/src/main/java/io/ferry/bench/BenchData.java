package io.ferry.bench;

import io.ferry.core.Bytes;
import io.ferry.merkledb.KeyValue;
import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.StandardCopyOption;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.Comparator;
import java.util.List;
import java.util.SplittableRandom;
import java.util.stream.Stream;

/**
 * What the benchmarks share: deterministic random key-values, their scratch directories, their
 * command-line options and the median of their rounds.
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
}
