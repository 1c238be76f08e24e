package io.ferry.bench;

import io.ferry.core.Bytes;
import io.ferry.merkledb.Batch;
import io.ferry.merkledb.KeyValue;
import io.ferry.merkledb.MerkleDB;
import io.ferry.merkledb.MerkleDBConfig;
import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;
import java.util.SplittableRandom;
import java.util.concurrent.TimeUnit;
import org.openjdk.jmh.annotations.Benchmark;
import org.openjdk.jmh.annotations.BenchmarkMode;
import org.openjdk.jmh.annotations.Fork;
import org.openjdk.jmh.annotations.Level;
import org.openjdk.jmh.annotations.Measurement;
import org.openjdk.jmh.annotations.Mode;
import org.openjdk.jmh.annotations.OutputTimeUnit;
import org.openjdk.jmh.annotations.Param;
import org.openjdk.jmh.annotations.Scope;
import org.openjdk.jmh.annotations.Setup;
import org.openjdk.jmh.annotations.State;
import org.openjdk.jmh.annotations.TearDown;
import org.openjdk.jmh.annotations.Warmup;

/**
 * Benchmark (b) of step 2: committing batches of random updates (32-byte keys, 100-byte values)
 * into a large RocksDB-backed store (anchor: hypersdk issue #809, 100k updates on 10M keys in 4.33
 * s). Half the updates change existing keys, half insert new ones. Each commit is synced to disk.
 * Updates per second = batch / (ms per op) * 1000.
 */
@State(Scope.Benchmark)
@BenchmarkMode(Mode.AverageTime)
@OutputTimeUnit(TimeUnit.MILLISECONDS)
@Warmup(iterations = 3, time = 5)
@Measurement(iterations = 5, time = 10)
@Fork(
    value = 1,
    jvmArgsAppend = {"-Xmx12g", "--enable-native-access=ALL-UNNAMED"})
public class CommitBench {
  @Param({"10000000"})
  int storeKeys;

  @Param({"10000"})
  int batch;

  private Path dir;
  private MerkleDB db;
  private List<KeyValue> existing;
  private SplittableRandom random;

  @Setup(Level.Trial)
  public void load() throws IOException {
    dir = Files.createTempDirectory("ferry-commit-bench");
    existing = BenchData.sorted(storeKeys, 32, 100, 7);
    db = MerkleDB.open(dir, MerkleDBConfig.defaults().withNodeCacheEntries(2_000_000));
    db.bulkLoad(existing.iterator());
    random = new SplittableRandom(8);
  }

  @Benchmark
  public Object commit() {
    Batch b = new Batch();
    for (int i = 0; i < batch; i++) {
      Bytes key =
          (i & 1) == 0
              ? existing.get(random.nextInt(existing.size())).key()
              : Bytes.wrap(BenchData.random(random, 32));
      b.put(key, Bytes.wrap(BenchData.random(random, 100)));
    }
    return db.commit(b);
  }

  @TearDown(Level.Trial)
  public void close() throws IOException {
    db.close();
    BenchData.deleteTree(dir);
  }
}
