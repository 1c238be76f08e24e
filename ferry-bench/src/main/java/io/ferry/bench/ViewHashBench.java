package io.ferry.bench;

import io.ferry.core.Bytes;
import io.ferry.merkledb.Batch;
import io.ferry.merkledb.BranchFactor;
import io.ferry.merkledb.KeyValue;
import io.ferry.merkledb.SortedTrie;
import io.ferry.merkledb.TrieReader;
import io.ferry.merkledb.View;
import io.ferry.merkledb.trie.NodeHasher;
import io.ferry.merkledb.trie.Path;
import io.ferry.merkledb.trie.TrieDelta;
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
import org.openjdk.jmh.annotations.Warmup;

/**
 * Benchmark (a) of step 2: hashing 100k changed keys in a view (anchor: avalanchego issue #3176,
 * 42.7 ms). {@code hashChangedNodes} times only the hashing of a view whose 100k puts are already
 * applied; {@code buildView} times the whole view: digests, trie edits and hashing; {@code
 * buildSortedTrie} builds the same trie from the key-values in key order in one pass. Keys and
 * values are 32 random bytes.
 */
@State(Scope.Benchmark)
@BenchmarkMode(Mode.AverageTime)
@OutputTimeUnit(TimeUnit.MILLISECONDS)
@Warmup(iterations = 5, time = 2)
@Measurement(iterations = 10, time = 2)
@Fork(
    value = 1,
    jvmArgsAppend = {"-Xmx8g", "--enable-native-access=ALL-UNNAMED"})
public class ViewHashBench {
  @Param({"100000"})
  int keys;

  private List<KeyValue> kvs;
  private List<KeyValue> sorted;
  Path[] paths;
  byte[][] digests;

  @Setup(Level.Trial)
  public void data() {
    SplittableRandom r = new SplittableRandom(1);
    kvs = new java.util.ArrayList<>(keys);
    for (int i = 0; i < keys; i++) {
      kvs.add(
          new KeyValue(Bytes.wrap(BenchData.random(r, 32)), Bytes.wrap(BenchData.random(r, 32))));
    }
    sorted = new java.util.ArrayList<>(kvs);
    sorted.sort(java.util.Comparator.comparing(KeyValue::key));
    paths = new Path[keys];
    digests = new byte[keys][];
    for (int i = 0; i < keys; i++) {
      paths[i] = Path.ofKey(kvs.get(i).key(), BranchFactor.BF16);
      digests[i] = NodeHasher.valueDigest(kvs.get(i).value().unsafeArray());
    }
  }

  /** A fresh delta with every put applied and nothing hashed, before each call: only for (a). */
  @State(Scope.Thread)
  public static class Applied {
    TrieDelta delta;

    @Setup(Level.Invocation)
    public void applyPuts(ViewHashBench data) {
      delta = new TrieDelta(TrieReader.empty(BranchFactor.BF16).nodes());
      for (int i = 0; i < data.keys; i++) {
        delta.put(data.paths[i], data.digests[i]);
      }
    }
  }

  @Benchmark
  public Object hashChangedNodes(Applied applied) {
    return applied.delta.rootId();
  }

  @Benchmark
  public Object buildView() {
    return View.of(TrieReader.empty(BranchFactor.BF16), Batch.of(kvs)).root();
  }

  /** The same trie from the key-values in key order, in one pass: what proof checking uses. */
  @Benchmark
  public Object buildSortedTrie() {
    return SortedTrie.of(sorted, BranchFactor.BF16).root();
  }
}
