package io.ferry.merkledb;

import io.ferry.core.Bytes;
import io.ferry.core.Hash;
import io.ferry.core.KeyRange;
import java.nio.charset.StandardCharsets;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.NavigableMap;
import java.util.Optional;
import java.util.Random;
import net.jqwik.api.Arbitraries;
import net.jqwik.api.Arbitrary;
import net.jqwik.api.Combinators;
import net.jqwik.api.Tuple;

/**
 * The MerkleDB test fixtures: generators and model helpers for the property and attack tests, and
 * stores filled with random data for the tests of the modules above (shipped in ferry-merkledb's
 * test-jar, with {@link StateModel}). Stateless.
 */
public final class MerkleTestSupport {
  private MerkleTestSupport() {}

  /**
   * Key bytes from a small alphabet, so that keys collide, share prefixes in every branch factor
   * (0x10/0x11 differ in the last bit, 0x10/0x1f in the last nibble) and sort at both ends.
   */
  private static final List<Byte> ALPHABET =
      List.of(
          (byte) 0x00,
          (byte) 0x01,
          (byte) 0x10,
          (byte) 0x11,
          (byte) 0x1f,
          (byte) 0x7f,
          (byte) 0x80,
          (byte) 0xff);

  /** One put (value present) or delete (value empty). */
  public record Op(Bytes key, Optional<Bytes> value) {
    @Override
    public String toString() {
      return value.map(v -> "put(" + key + "=" + v + ")").orElse("del(" + key + ")");
    }
  }

  public static Bytes b(String hex) {
    return Bytes.fromHex(hex);
  }

  /** Keys of 0..3 bytes from the alphabet: the empty key and keys that prefix others included. */
  public static Arbitrary<Bytes> keys() {
    return Arbitraries.of(ALPHABET).array(byte[].class).ofMaxSize(3).map(Bytes::of);
  }

  /** Values around the 32-byte line where a node stores the value's hash instead of the value. */
  public static Arbitrary<Bytes> values() {
    Arbitrary<byte[]> small = Arbitraries.bytes().array(byte[].class).ofMaxSize(4);
    Arbitrary<byte[]> large = Arbitraries.bytes().array(byte[].class).ofMinSize(30).ofMaxSize(40);
    return Arbitraries.frequencyOf(Tuple.of(5, small), Tuple.of(1, large)).map(Bytes::of);
  }

  public static Arbitrary<Op> ops() {
    return Combinators.combine(keys(), values().optional(0.7)).as(Op::new);
  }

  /** Commits: each a batch of operations (a batch may put then delete the same key). */
  public static Arbitrary<List<List<Op>>> histories(int maxCommits, int maxOps) {
    return ops().list().ofMinSize(1).ofMaxSize(maxOps).list().ofMinSize(1).ofMaxSize(maxCommits);
  }

  /** Applies operations in order, as a batch does (the last operation on a key wins). */
  public static void apply(NavigableMap<Bytes, Bytes> model, List<Op> ops) {
    for (Op op : ops) {
      if (op.value().isPresent()) {
        model.put(op.key(), op.value().get());
      } else {
        model.remove(op.key());
      }
    }
  }

  public static Batch batchOf(List<Op> ops) {
    Batch batch = new Batch();
    ops.forEach(op -> batch.set(op.key(), op.value()));
    return batch;
  }

  public static List<KeyValue> kvs(Map<Bytes, Bytes> model) {
    List<KeyValue> out = new ArrayList<>();
    model.forEach((k, v) -> out.add(new KeyValue(k, v)));
    return out;
  }

  /** The root of a trie built in one view from the model. */
  public static Hash rootOf(Map<Bytes, Bytes> model, BranchFactor bf) {
    return View.of(TrieReader.empty(bf), Batch.of(kvs(model))).root();
  }

  public static List<KeyValue> scan(TrieReader trie, KeyRange range) {
    List<KeyValue> out = new ArrayList<>();
    trie.scan(range, out::add);
    return out;
  }

  public static List<KeyValue> scan(MerkleDB db, KeyRange range) {
    List<KeyValue> out = new ArrayList<>();
    db.scan(range, out::add);
    return out;
  }

  /** The model's key-values in {@code range}, in key order. */
  public static List<KeyValue> slice(NavigableMap<Bytes, Bytes> model, KeyRange range) {
    NavigableMap<Bytes, Bytes> m = model;
    if (range.start().isPresent()) {
      m = m.tailMap(range.start().get(), true);
    }
    if (range.end().isPresent()) {
      m = m.headMap(range.end().get(), true);
    }
    return kvs(m);
  }

  /** A range from two optional bounds, ordered so that start is not after end. */
  public static KeyRange rangeOf(Optional<Bytes> a, Optional<Bytes> b) {
    if (a.isPresent() && b.isPresent() && a.get().compareTo(b.get()) > 0) {
      return new KeyRange(b, a);
    }
    return new KeyRange(a, b);
  }

  /** The smallest key after {@code key} (the tests' keys are short, so there is one). */
  public static Bytes successor(Bytes key) {
    return KeyRange.successor(key).orElseThrow();
  }

  /** The key of index {@code i}: {@code k00042}, so keys sort as their indexes do. */
  public static Bytes indexKey(int i) {
    return Bytes.wrap(String.format("k%05d", i).getBytes(StandardCharsets.US_ASCII));
  }

  /** A random 32-byte key. */
  public static Bytes randomKey(Random r) {
    byte[] k = new byte[32];
    r.nextBytes(k);
    return Bytes.wrap(k);
  }

  public static Bytes randomValue(Random r, int length) {
    byte[] v = new byte[length];
    r.nextBytes(v);
    return Bytes.wrap(v);
  }

  /** A store's configuration for tests on disk: no fsync, a small node cache. */
  public static MerkleDBConfig diskConfig() {
    return MerkleDBConfig.defaults().withSyncWrites(false).withNodeCacheEntries(10_000);
  }

  public static MerkleDB openDb(Path dir) {
    return MerkleDB.open(dir, diskConfig());
  }

  /** Commits {@code keys} random key-values in batches of {@code batchSize}. */
  public static void fillRandom(MerkleDB db, Random r, int keys, int batchSize) {
    for (int done = 0; done < keys; ) {
      Batch b = new Batch();
      for (int i = 0; i < batchSize && done < keys; i++, done++) {
        b.put(randomKey(r), randomValue(r, 20 + r.nextInt(100)));
      }
      db.commit(b);
    }
  }

  /** One commit that updates or deletes about {@code changes / 2} keys and adds as many. */
  public static void churnRandom(MerkleDB db, Random r, int changes) {
    Batch b = new Batch();
    int[] changed = {0};
    db.scan(
        KeyRange.ALL,
        kv -> {
          if (r.nextInt(8) == 0) {
            if (r.nextBoolean()) {
              b.delete(kv.key());
            } else {
              b.put(kv.key(), randomValue(r, 50));
            }
            changed[0]++;
          }
          return changed[0] < changes / 2;
        });
    for (int k = 0; k < changes / 2; k++) {
      b.put(randomKey(r), randomValue(r, 40));
    }
    db.commit(b);
  }

  public static MerkleDB memoryDb(BranchFactor bf, int historyLength) {
    return MerkleDB.inMemory(
        MerkleDBConfig.defaults()
            .withBranchFactor(bf)
            .withHistoryLength(historyLength)
            .withSyncWrites(false)
            .withNodeCacheEntries(10_000));
  }
}
