package io.ferry.bench;

import io.ferry.core.Bytes;
import io.ferry.core.Hash;
import io.ferry.core.KeyRange;
import io.ferry.core.Limits;
import io.ferry.merkledb.BranchFactor;
import io.ferry.merkledb.KeyValue;
import io.ferry.merkledb.MerkleDB;
import io.ferry.merkledb.proof.ProofVerifier;
import io.ferry.merkledb.proof.RangeProof;
import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
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
 * Benchmark (c) of step 2: generating and verifying range proofs of 2,048 key-values (32-byte keys
 * and values) from a RocksDB-backed store, at random start keys.
 */
@State(Scope.Benchmark)
@BenchmarkMode(Mode.AverageTime)
@OutputTimeUnit(TimeUnit.MILLISECONDS)
@Warmup(iterations = 5, time = 2)
@Measurement(iterations = 10, time = 2)
@Fork(
    value = 1,
    jvmArgsAppend = {"-Xmx8g", "--enable-native-access=ALL-UNNAMED"})
public class RangeProofBench {
  @Param({"1000000"})
  int storeKeys;

  private static final int KEYS = 2048;

  private Path dir;
  private MerkleDB db;
  private Hash root;
  private final SplittableRandom random = new SplittableRandom(3);
  private final List<RangeProof> proofs = new ArrayList<>();
  private final List<KeyRange> ranges = new ArrayList<>();
  private int next;

  @Setup(Level.Trial)
  public void load() throws IOException {
    dir = Files.createTempDirectory("ferry-proof-bench");
    List<KeyValue> kvs = BenchData.sorted(storeKeys, 32, 32, 5);
    db = MerkleDB.open(dir);
    db.bulkLoad(kvs.iterator());
    root = db.root();
    for (int i = 0; i < 64; i++) {
      KeyRange range = randomRange();
      ranges.add(range);
      proofs.add(db.rangeProof(root, range, KEYS, Limits.MAX_PROOF_BYTES));
    }
  }

  private KeyRange randomRange() {
    return KeyRange.from(Bytes.wrap(BenchData.random(random, 32)));
  }

  @Benchmark
  public Object generate() {
    return db.rangeProof(root, randomRange(), KEYS, Limits.MAX_PROOF_BYTES);
  }

  @Benchmark
  public Object verify() {
    int i = next++ & 63;
    ProofVerifier.verifyRangeProof(proofs.get(i), ranges.get(i), KEYS, root, BranchFactor.BF16);
    return proofs.get(i);
  }

  @TearDown(Level.Trial)
  public void close() throws IOException {
    db.close();
    BenchData.deleteTree(dir);
  }
}
