package io.ferry.sync.proof.client;

import static org.assertj.core.api.Assertions.assertThat;

import io.ferry.core.Bytes;
import io.ferry.core.Hash;
import io.ferry.core.KeyRange;
import io.ferry.merkledb.KeyChange;
import io.ferry.merkledb.KeyValue;
import io.ferry.merkledb.store.MemoryStore;
import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.Comparator;
import java.util.List;
import java.util.Optional;
import java.util.function.Supplier;
import java.util.stream.Stream;
import net.jqwik.api.Arbitraries;
import net.jqwik.api.Arbitrary;
import net.jqwik.api.Combinators;
import net.jqwik.api.ForAll;
import net.jqwik.api.Property;
import net.jqwik.api.Provide;

/**
 * {@link KvSyncStore} behaves as {@link MemorySyncStore} under random sequences of applies, clears
 * and reopens, checked after each step by reads of random ranges and keys, with replaced ranges
 * deleted key by key or as one range delete, over RocksDB and over a {@link MemoryStore}.
 */
class KvSyncStoreProperties {
  sealed interface Op {}

  record Apply(
      Optional<KeyRange> replace,
      List<KeyChange> changes,
      Hash target,
      List<CompletedRange> progress)
      implements Op {}

  record Clear() implements Op {}

  record Reopen() implements Op {}

  /** A read of both stores after the previous step. */
  record Check(KeyRange range, Bytes key) implements Op {}

  @Provide
  Arbitrary<List<Op>> ops() {
    Arbitrary<Op> apply =
        Combinators.combine(
                SyncStoreArbitraries.ranges().optional(0.5),
                SyncStoreArbitraries.changes().list().ofMaxSize(12),
                SyncStoreArbitraries.hashes(),
                SyncStoreArbitraries.completedRanges().list().ofMaxSize(3))
            .as(Apply::new);
    Arbitrary<Op> check =
        Combinators.combine(SyncStoreArbitraries.ranges(), SyncStoreArbitraries.keys())
            .as(Check::new);
    return Arbitraries.frequencyOf(
            net.jqwik.api.Tuple.of(8, apply),
            net.jqwik.api.Tuple.of(6, check),
            net.jqwik.api.Tuple.of(1, Arbitraries.just(new Clear())),
            net.jqwik.api.Tuple.of(1, Arbitraries.just(new Reopen())))
        .list()
        .ofMaxSize(30);
  }

  /** Replaced ranges above this many keys take a range delete: sometimes all, sometimes none. */
  @Provide
  Arbitrary<Integer> pointDeletes() {
    return Arbitraries.of(0, 1, 3, KvSyncStore.POINT_DELETES);
  }

  @Property(tries = 80)
  void matchesTheMemoryStore(
      @ForAll("ops") List<Op> ops, @ForAll("pointDeletes") int pointDeletes, @ForAll boolean onDisk)
      throws IOException {
    Path dir = Files.createTempDirectory("kv-sync-store");
    MemoryStore memory = new MemoryStore(); // outlives a reopen, as the files do
    Supplier<KvSyncStore> open =
        () ->
            onDisk
                ? SyncStores.open(dir, false, pointDeletes)
                : new KvSyncStore(memory, "memory", pointDeletes);
    MemorySyncStore model = new MemorySyncStore();
    KvSyncStore store = open.get();
    try {
      for (Op op : ops) {
        switch (op) {
          case Apply a -> {
            model.apply(a.replace(), a.changes(), a.target(), a.progress());
            store.apply(a.replace(), a.changes(), a.target(), a.progress());
          }
          case Clear c -> {
            model.clear();
            store.clear();
            assertThat(store.keyCount()).isZero();
          }
          case Reopen r -> {
            store.close();
            store = open.get();
          }
          case Check c -> {
            assertThat(store.get(c.key())).as("get %s", c.key()).isEqualTo(model.get(c.key()));
            assertThat(store.scan(c.range()))
                .as("scan %s", c.range())
                .isEqualTo(model.scan(c.range()));
          }
        }
        assertThat(store.target()).isEqualTo(model.target());
        assertThat(store.progress()).isEqualTo(model.progress());
        assertThat(all(store)).isEqualTo(model.scan(KeyRange.ALL));
      }
    } finally {
      store.close();
      delete(dir);
    }
  }

  private static List<KeyValue> all(SyncStore store) {
    List<KeyValue> out = new ArrayList<>();
    store.iterator().forEachRemaining(out::add);
    return out;
  }

  static void delete(Path dir) throws IOException {
    try (Stream<Path> files = Files.walk(dir)) {
      for (Path p : files.sorted(Comparator.reverseOrder()).toList()) {
        Files.deleteIfExists(p);
      }
    }
  }
}
