package io.ferry.bench;

import com.github.luben.zstd.ZstdOutputStream;
import io.ferry.core.Bytes;
import io.ferry.merkledb.KeyValue;
import io.ferry.merkledb.MerkleDB;
import io.ferry.merkledb.MerkleDBConfig;
import io.ferry.merkledb.StateSnapshot;
import io.ferry.snapshot.RestoreResult;
import io.ferry.snapshot.SnapshotArchive;
import io.ferry.snapshot.SnapshotConfig;
import io.ferry.snapshot.SnapshotRestorer;
import io.ferry.snapshot.SnapshotWriter;
import java.io.BufferedOutputStream;
import java.io.OutputStream;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.Arrays;
import java.util.Iterator;
import java.util.Optional;
import java.util.Random;

/**
 * Snapshot create and restore throughput for a generated state (32-byte keys, 100-byte values),
 * next to a reference measured in the same run: the same key-values streamed through zstd at the
 * same level into a file, with no chunking, hashing, manifest or trie.
 *
 * <p>Usage: {@code bin/bench snapshot [--keys N] [--level L]}.
 */
public final class SnapshotBench {
  private SnapshotBench() {}

  public static void main(String[] args) throws Exception {
    int keys = Integer.parseInt(BenchData.arg(args, "--keys", "1000000"));
    int level = Integer.parseInt(BenchData.arg(args, "--level", "3"));
    Path tmp = Files.createTempDirectory("ferry-snapbench");
    MerkleDBConfig config = MerkleDBConfig.defaults().withSyncWrites(false);
    try (MerkleDB db = MerkleDB.open(tmp.resolve("src"), config)) {
      db.bulkLoad(generate(keys));
      double mb = keys * 132.0 / 1e6;
      for (int round = 1; round <= 2; round++) {
        long r0 = System.nanoTime();
        long rawBytes = rawZstd(db, tmp.resolve("raw-" + round + ".zst"), level);
        double raw = (System.nanoTime() - r0) / 1e9;

        SnapshotWriter w = new SnapshotWriter(SnapshotConfig.defaults().withZstdLevel(level));
        long c0 = System.nanoTime();
        SnapshotArchive a = w.writeFull(db, tmp.resolve("archives-" + round));
        double create = (System.nanoTime() - c0) / 1e9;

        long t0 = System.nanoTime();
        RestoreResult res =
            new SnapshotRestorer(config)
                .restore(
                    a.path(),
                    Optional.empty(),
                    tmp.resolve("restored-" + round),
                    Optional.of(db.root()));
        double restore = (System.nanoTime() - t0) / 1e9;
        if (!res.root().equals(db.root())) {
          throw new IllegalStateException("restored root differs");
        }
        System.out.printf(
            "round %d: %,d keys (%.0f MB), zstd %d, %d chunks, archive %.1f MB | create %.2f s ="
                + " %.0f MB/s | restore %.2f s = %.0f MB/s | reference: raw zstd stream %.2f s ="
                + " %.0f MB/s (%.1f MB)%n",
            round,
            keys,
            mb,
            level,
            a.manifest().chunks().size(),
            a.bytes() / 1e6,
            create,
            mb / create,
            restore,
            mb / restore,
            raw,
            mb / raw,
            rawBytes / 1e6);
      }
    } finally {
      try (var walk = Files.walk(tmp)) {
        walk.sorted(java.util.Comparator.reverseOrder()).forEach(p -> p.toFile().delete());
      }
    }
  }

  /** The head's key-values through zstd into a file, as plain length-prefixed records. */
  private static long rawZstd(MerkleDB db, Path file, int level) throws Exception {
    try (StateSnapshot snap = db.snapshot();
        OutputStream out =
            new ZstdOutputStream(
                new BufferedOutputStream(Files.newOutputStream(file), 1 << 20), level)) {
      byte[][] failure = {null};
      snap.scan(
          io.ferry.core.KeyRange.ALL,
          kv -> {
            try {
              out.write(kv.key().length());
              out.write(kv.key().unsafeArray());
              out.write(kv.value().length());
              out.write(kv.value().unsafeArray());
            } catch (java.io.IOException e) {
              failure[0] = new byte[0];
              return false;
            }
            return true;
          });
      if (failure[0] != null) {
        throw new java.io.IOException("write failed");
      }
    }
    return Files.size(file);
  }

  private static Iterator<KeyValue> generate(int n) {
    Random r = new Random(42);
    byte[][] sorted = new byte[n][32];
    for (byte[] k : sorted) {
      r.nextBytes(k);
    }
    Arrays.sort(sorted, Arrays::compareUnsigned);
    return new Iterator<>() {
      int i;

      @Override
      public boolean hasNext() {
        return i < n;
      }

      @Override
      public KeyValue next() {
        byte[] v = new byte[100];
        r.nextBytes(v);
        return new KeyValue(Bytes.wrap(sorted[i++]), Bytes.wrap(v));
      }
    };
  }
}
