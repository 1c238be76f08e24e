package io.ferry.snapshot;

import static org.assertj.core.api.Assertions.assertThat;

import io.ferry.core.Bytes;
import io.ferry.merkledb.KeyValue;
import io.ferry.merkledb.MerkleDB;
import java.nio.file.Path;
import java.util.Arrays;
import java.util.Iterator;
import java.util.Locale;
import java.util.Optional;
import java.util.Random;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.condition.EnabledIfSystemProperty;
import org.junit.jupiter.api.io.TempDir;

/**
 * Create and restore throughput for a state of {@code ferry.snapshot.bench.keys} keys (default
 * 1,000,000; 32-byte keys, 100-byte values). A figure, not a check: runs only with {@code
 * -Dferry.snapshot.bench=true}.
 */
@EnabledIfSystemProperty(named = "ferry.snapshot.bench", matches = "true")
class SnapshotThroughputTest {
  @TempDir Path tmp;

  @Test
  void createAndRestore() {
    int keys = Integer.getInteger("ferry.snapshot.bench.keys", 1_000_000);
    Random r = new Random(42);
    byte[][] sorted = new byte[keys][];
    for (int i = 0; i < keys; i++) {
      sorted[i] = new byte[32];
      r.nextBytes(sorted[i]);
    }
    Arrays.sort(sorted, Arrays::compareUnsigned);
    try (MerkleDB db = TestStates.open(tmp.resolve("src"))) {
      db.bulkLoad(
          new Iterator<KeyValue>() {
            int i;

            @Override
            public boolean hasNext() {
              return i < keys;
            }

            @Override
            public KeyValue next() {
              byte[] v = new byte[100];
              r.nextBytes(v);
              return new KeyValue(Bytes.wrap(sorted[i++]), Bytes.wrap(v));
            }
          });
      double stateMb = keys * 132.0 / 1e6;
      for (int level : new int[] {1, 3}) {
        SnapshotWriter w = new SnapshotWriter(SnapshotConfig.defaults().withZstdLevel(level));
        long t0 = System.nanoTime();
        SnapshotArchive a = w.writeFull(db, tmp.resolve("arch-" + level));
        double create = (System.nanoTime() - t0) / 1e9;
        long t1 = System.nanoTime();
        RestoreResult res =
            new SnapshotRestorer(TestStates.config())
                .restore(
                    a.path(), Optional.empty(), tmp.resolve("r-" + level), Optional.of(db.root()));
        double restore = (System.nanoTime() - t1) / 1e9;
        assertThat(res.root()).isEqualTo(db.root());
        System.out.printf(
            Locale.ROOT,
            "snapshot bench: %d keys (%.0f MB of keys and values), zstd %d, %d chunks, archive %.1f MB:"
                + " create %.2f s = %.0f MB/s, restore %.2f s = %.0f MB/s%n",
            keys,
            stateMb,
            level,
            a.manifest().chunks().size(),
            a.bytes() / 1e6,
            create,
            stateMb / create,
            restore,
            stateMb / restore);
      }
    }
  }
}
