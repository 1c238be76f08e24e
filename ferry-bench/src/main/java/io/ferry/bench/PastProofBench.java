package io.ferry.bench;

import io.ferry.core.Bytes;
import io.ferry.core.Hash;
import io.ferry.core.KeyRange;
import io.ferry.core.Limits;
import io.ferry.merkledb.Batch;
import io.ferry.merkledb.KeyValue;
import io.ferry.merkledb.MerkleDB;
import io.ferry.merkledb.MerkleDBConfig;
import io.ferry.merkledb.Revision;
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
 * Step 13: what a one-key proof at an old retained root costs the server. A RocksDB store of {@code
 * storeKeys} keys (32-byte keys, 100-byte values) takes {@code commits} commits of {@code changes}
 * random updates each, so the window of 300 revisions is full; then each operation asks for a
 * one-key change proof (from the oldest retained root to the next) or a one-key range proof at one
 * of the oldest eight retained roots, in turn: eight roots, more than a cache of a few past tries
 * holds, as a peer cycling through old roots would.
 */
@State(Scope.Benchmark)
@BenchmarkMode(Mode.AverageTime)
@OutputTimeUnit(TimeUnit.MILLISECONDS)
@Warmup(iterations = 1, time = 10)
@Measurement(iterations = 3, time = 10)
@Fork(
    value = 1,
    jvmArgsAppend = {"-Xmx8g", "--enable-native-access=ALL-UNNAMED"})
public class PastProofBench {
  @Param({"1000000"})
  int storeKeys;

  @Param({"299"})
  int commits;

  @Param({"1000"})
  int changes;

  private static final int ROOTS = 8;

  private Path dir;
  private MerkleDB db;
  private List<Revision> revisions;
  private final SplittableRandom random = new SplittableRandom(11);
  private int next;

  @Setup(Level.Trial)
  public void load() throws IOException {
    dir = Files.createTempDirectory("ferry-past-proof-bench");
    List<KeyValue> existing = BenchData.sorted(storeKeys, 32, 100, 9);
    db = MerkleDB.open(dir, MerkleDBConfig.defaults().withSyncWrites(false));
    db.bulkLoad(existing.iterator());
    SplittableRandom r = new SplittableRandom(10);
    for (int c = 0; c < commits; c++) {
      Batch b = new Batch();
      for (int i = 0; i < changes; i++) {
        Bytes key =
            (i & 1) == 0
                ? existing.get(r.nextInt(existing.size())).key()
                : Bytes.wrap(BenchData.random(r, 32));
        b.put(key, Bytes.wrap(BenchData.random(r, 100)));
      }
      db.commit(b);
    }
    revisions = db.revisions();
  }

  private KeyRange oneKey() {
    Bytes key = Bytes.wrap(BenchData.random(random, 32));
    return KeyRange.of(key, key);
  }

  @Benchmark
  public Object changeProofAtOldRoot() {
    int i = next++ % ROOTS;
    Hash start = revisions.get(i).root();
    Hash end = revisions.get(i + 1).root();
    return db.changeProof(start, end, oneKey(), 1, Limits.DEFAULT_PROOF_BYTE_LIMIT);
  }

  @Benchmark
  public Object rangeProofAtOldRoot() {
    Hash root = revisions.get(next++ % ROOTS).root();
    return db.rangeProof(root, oneKey(), 1, Limits.DEFAULT_PROOF_BYTE_LIMIT);
  }

  @TearDown(Level.Trial)
  public void close() throws IOException {
    db.close();
    BenchData.deleteTree(dir);
  }
}
