package io.ferry.bench;

import io.ferry.blocks.erasure.ReedSolomon;
import java.security.MessageDigest;
import java.security.NoSuchAlgorithmException;
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
import org.openjdk.jmh.annotations.Warmup;

/**
 * Step 12: Reed–Solomon on one group of {@code k} data shards of {@code shardBytes} (Codex's 64 KiB
 * blocks), one thread, next to SHA-256 of the same data bytes (what a download spends checking the
 * blocks anyway). One operation is one group: {@code encode} computes its {@code m} parity shards,
 * {@code reconstruct} rebuilds its first two data shards from the other shards (the worst case for
 * two losses: both need the decode matrix), {@code sha256} hashes its {@code k} data shards. MB/s
 * of data = ops/s × k × shardBytes / 10⁶.
 */
@State(Scope.Benchmark)
@BenchmarkMode(Mode.Throughput)
@OutputTimeUnit(TimeUnit.SECONDS)
@Warmup(iterations = 3, time = 2)
@Measurement(iterations = 5, time = 2)
@Fork(
    value = 1,
    jvmArgsAppend = {"-Xmx2g"})
public class ErasureBench {
  @Param({"4+2", "10+4"})
  String code;

  @Param({"65536"})
  int shardBytes;

  private ReedSolomon rs;
  private byte[][] shards;
  private byte[][] damaged;
  private boolean[] present;
  private MessageDigest sha256;

  @Setup(Level.Trial)
  public void data() throws NoSuchAlgorithmException {
    String[] km = code.split("\\+");
    rs = ReedSolomon.of(Integer.parseInt(km[0]), Integer.parseInt(km[1]));
    int k = rs.dataShards();
    SplittableRandom random = new SplittableRandom(12);
    shards = new byte[rs.totalShards()][];
    for (int i = 0; i < k; i++) {
      shards[i] = BenchData.random(random, shardBytes);
    }
    rs.encode(shards);
    damaged = new byte[rs.totalShards()][];
    present = new boolean[rs.totalShards()];
    for (int i = 0; i < rs.totalShards(); i++) {
      // Shards 0 and 1 are lost: their arrays hold garbage that reconstruct overwrites.
      damaged[i] = i < 2 ? new byte[shardBytes] : shards[i];
      present[i] = i >= 2;
    }
    sha256 = MessageDigest.getInstance("SHA-256");
  }

  @Benchmark
  public byte[] encode() {
    rs.encode(shards);
    return shards[rs.dataShards()];
  }

  @Benchmark
  public byte[] reconstruct() {
    rs.reconstruct(damaged, present);
    return damaged[0];
  }

  @Benchmark
  public byte[] sha256() {
    for (int i = 0; i < rs.dataShards(); i++) {
      sha256.update(shards[i]);
    }
    return sha256.digest();
  }
}
