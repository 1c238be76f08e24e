package io.ferry.bench;

import io.ferry.core.Bytes;
import io.ferry.merkledb.KeyValue;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.List;
import java.util.SplittableRandom;

/** Deterministic random key-values for benchmarks. */
final class BenchData {
  private BenchData() {}

  static byte[] random(SplittableRandom r, int n) {
    byte[] b = new byte[n];
    r.nextBytes(b);
    return b;
  }

  /** Deletes a directory tree (a benchmark's temporary store). */
  static void deleteTree(java.nio.file.Path dir) throws java.io.IOException {
    try (java.util.stream.Stream<java.nio.file.Path> files = java.nio.file.Files.walk(dir)) {
      files.sorted(java.util.Comparator.reverseOrder()).forEach(p -> p.toFile().delete());
    }
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
