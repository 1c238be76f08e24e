package io.ferry.node.cli;

import io.ferry.core.Bytes;
import io.ferry.core.ErrorCode;
import io.ferry.core.FerryException;
import io.ferry.merkledb.KeyValue;
import io.ferry.merkledb.MerkleDB;
import io.ferry.merkledb.Revision;
import java.io.PrintWriter;
import java.util.Arrays;
import java.util.Iterator;
import java.util.NoSuchElementException;
import java.util.SplittableRandom;
import java.util.concurrent.Callable;
import picocli.CommandLine.Command;
import picocli.CommandLine.Mixin;
import picocli.CommandLine.Option;
import picocli.CommandLine.Spec;

/**
 * {@code ferry state generate}: a deterministic random state through the bulk-load path. The same
 * seed, key count and value size always give the same root.
 */
@Command(
    name = "generate",
    mixinStandardHelpOptions = true,
    description = "Fill an empty store with N random 32-byte keys (deterministic per seed).")
final class StateGenerateCommand implements Callable<Integer> {
  @Spec picocli.CommandLine.Model.CommandSpec spec;
  @Mixin StoreOptions store;

  @Option(names = "--keys", required = true, paramLabel = "N", description = "Number of keys.")
  int keys;

  @Option(
      names = "--seed",
      paramLabel = "S",
      defaultValue = "1",
      description = "Random seed (default 1).")
  long seed;

  @Option(
      names = "--value-size",
      paramLabel = "B",
      defaultValue = "32",
      description = "Bytes per value (default 32).")
  int valueSize;

  @Override
  public Integer call() {
    if (keys < 0 || valueSize < 0) {
      throw new FerryException(ErrorCode.INVALID_ARGUMENT, "--keys and --value-size must be >= 0");
    }
    PrintWriter out = spec.commandLine().getOut();
    long started = System.nanoTime();
    byte[][] keyBytes = sortedKeys(keys, seed);
    SplittableRandom values = new SplittableRandom(seed ^ 0x5DEECE66DL);
    Revision rev;
    try (MerkleDB db = store.open();
        Progress progress = new Progress("generate", keyBytes.length, "keys")) {
      Iterator<KeyValue> it =
          new Iterator<>() {
            int i;

            @Override
            public boolean hasNext() {
              return i < keyBytes.length;
            }

            @Override
            public KeyValue next() {
              if (i >= keyBytes.length) {
                throw new NoSuchElementException();
              }
              byte[] v = new byte[valueSize];
              values.nextBytes(v);
              if ((i & 0xfff) == 0) {
                progress.step(Math.min(4096, keyBytes.length - i));
              }
              return new KeyValue(Bytes.wrap(keyBytes[i++]), Bytes.wrap(v));
            }
          };
      rev = db.bulkLoad(it);
    }
    double secs = (System.nanoTime() - started) / 1e9;
    double mb = (double) keyBytes.length * (32 + valueSize) / 1e6;
    out.printf(
        "generated %d keys (32-byte keys, %d-byte values) in %.2f s: %.0f keys/s, %.1f MB/s%n",
        keyBytes.length, valueSize, secs, keyBytes.length / secs, mb / secs);
    out.println("height " + rev.height());
    out.println(rev.root().toHex());
    return ExitCodes.OK;
  }

  /** N distinct random 32-byte keys in ascending unsigned order, a function of the seed. */
  static byte[][] sortedKeys(int n, long seed) {
    SplittableRandom random = new SplittableRandom(seed);
    byte[][] keys = new byte[n][32];
    for (byte[] k : keys) {
      random.nextBytes(k);
    }
    Arrays.parallelSort(keys, Arrays::compareUnsigned);
    int unique = 0;
    for (int i = 0; i < n; i++) {
      if (unique == 0 || !Arrays.equals(keys[unique - 1], keys[i])) {
        keys[unique++] = keys[i];
      }
    }
    return unique == n ? keys : Arrays.copyOf(keys, unique);
  }
}
