package io.ferry.bench;

import io.ferry.merkledb.KeyValue;
import io.ferry.merkledb.MerkleDB;
import io.ferry.merkledb.MerkleDBConfig;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;
import org.rocksdb.EnvOptions;
import org.rocksdb.FlushOptions;
import org.rocksdb.IngestExternalFileOptions;
import org.rocksdb.Options;
import org.rocksdb.RocksDB;
import org.rocksdb.RocksDBException;
import org.rocksdb.SstFileWriter;
import org.rocksdb.WriteBatch;
import org.rocksdb.WriteOptions;

/**
 * Benchmark (d) of step 2: MerkleDB bulk load in MB/s of key-value payload, next to RocksDB's own
 * raw write rate for the same bytes in the same run: (1) an SST file written and ingested, the
 * fastest way into RocksDB, and (2) unlogged write batches then a flush. The MerkleDB load does
 * strictly more work (it also builds, hashes and stores the trie), so the ratio shows what the
 * authentication costs.
 *
 * <p>Usage: {@code bin/bench bulkload [--keys N] [--value-size B] [--runs R]}
 */
public final class BulkLoadBench {
  private BulkLoadBench() {}

  public static void main(String[] args) throws Exception {
    int keys = 1_000_000;
    int valueSize = 100;
    int runs = 3;
    for (int i = 0; i < args.length; i++) {
      switch (args[i]) {
        case "--keys" -> keys = Integer.parseInt(args[++i]);
        case "--value-size" -> valueSize = Integer.parseInt(args[++i]);
        case "--runs" -> runs = Integer.parseInt(args[++i]);
        default -> throw new IllegalArgumentException("unknown option " + args[i]);
      }
    }
    RocksDB.loadLibrary();
    List<KeyValue> kvs = BenchData.sorted(keys, 32, valueSize, 11);
    double mb = kvs.size() * (32.0 + valueSize) / 1e6;
    System.out.printf(
        "bulk load of %d key-values (32-byte keys, %d-byte values): %.1f MB of payload, best of %d%n",
        kvs.size(), valueSize, mb, runs);
    double merkle = best(runs, dir -> merkleLoad(dir, kvs));
    double sst = best(runs, dir -> rawSst(dir, kvs));
    double batch = best(runs, dir -> rawBatches(dir, kvs));
    System.out.printf(
        "%-44s %8.2f s %8.1f MB/s%n", "MerkleDB bulk load (trie + values)", merkle, mb / merkle);
    System.out.printf(
        "%-44s %8.2f s %8.1f MB/s%n", "RocksDB raw: SST write + ingest", sst, mb / sst);
    System.out.printf(
        "%-44s %8.2f s %8.1f MB/s%n", "RocksDB raw: unlogged batches + flush", batch, mb / batch);
    System.out.printf(
        "MerkleDB / raw: %.0f%% of SST ingest, %.0f%% of batch writes%n",
        100 * sst / merkle, 100 * batch / merkle);
  }

  interface Load {
    void run(Path dir) throws Exception;
  }

  private static double best(int runs, Load load) throws Exception {
    double best = Double.MAX_VALUE;
    for (int i = 0; i < runs; i++) {
      Path dir = Files.createTempDirectory("ferry-bulk-bench");
      try {
        long t0 = System.nanoTime();
        load.run(dir);
        best = Math.min(best, (System.nanoTime() - t0) / 1e9);
      } finally {
        BenchData.deleteTree(dir);
      }
    }
    return best;
  }

  private static void merkleLoad(Path dir, List<KeyValue> kvs) {
    try (MerkleDB db = MerkleDB.open(dir, MerkleDBConfig.defaults())) {
      db.bulkLoad(kvs.iterator());
    }
  }

  private static void rawSst(Path dir, List<KeyValue> kvs) throws RocksDBException {
    try (Options o = new Options().setCreateIfMissing(true);
        RocksDB db = RocksDB.open(o, dir.resolve("db").toString());
        EnvOptions env = new EnvOptions();
        SstFileWriter w = new SstFileWriter(env, o)) {
      String file = dir.resolve("data.sst").toString();
      w.open(file);
      for (KeyValue kv : kvs) {
        w.put(kv.key().unsafeArray(), kv.value().unsafeArray());
      }
      w.finish();
      try (IngestExternalFileOptions io = new IngestExternalFileOptions().setMoveFiles(true)) {
        db.ingestExternalFile(List.of(file), io);
      }
    }
  }

  private static void rawBatches(Path dir, List<KeyValue> kvs) throws RocksDBException {
    try (Options o = new Options().setCreateIfMissing(true);
        RocksDB db = RocksDB.open(o, dir.resolve("db").toString());
        WriteOptions wo = new WriteOptions().setDisableWAL(true)) {
      WriteBatch b = new WriteBatch();
      for (KeyValue kv : kvs) {
        b.put(kv.key().unsafeArray(), kv.value().unsafeArray());
        if (b.getDataSize() > 32 << 20) {
          db.write(wo, b);
          b.close();
          b = new WriteBatch();
        }
      }
      db.write(wo, b);
      b.close();
      try (FlushOptions f = new FlushOptions().setWaitForFlush(true)) {
        db.flush(f);
      }
    }
  }
}
