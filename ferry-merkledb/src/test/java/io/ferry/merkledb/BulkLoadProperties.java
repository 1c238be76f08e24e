package io.ferry.merkledb;

import static org.assertj.core.api.Assertions.assertThat;

import io.ferry.core.Bytes;
import io.ferry.merkledb.store.Column;
import io.ferry.merkledb.store.KvStore;
import io.ferry.merkledb.store.MemoryStore;
import io.ferry.merkledb.store.RocksStore;
import io.ferry.merkledb.store.StoreIterator;
import java.io.IOException;
import java.io.UncheckedIOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.Comparator;
import java.util.List;
import java.util.Map;
import java.util.TreeMap;
import java.util.stream.Stream;
import net.jqwik.api.Arbitraries;
import net.jqwik.api.Arbitrary;
import net.jqwik.api.ForAll;
import net.jqwik.api.Property;
import net.jqwik.api.Provide;
import net.jqwik.api.Tuple;

/**
 * The bulk load, whose leaves are hashed on another thread in batches, against a commit of the same
 * key-values into an empty store: the same root, and byte for byte the same node and value records.
 * The states are large enough to span several batches (1,024 keys), and their keys prefix one
 * another (a key's leaf then gains children after it was hashed ahead), with values on both sides
 * of the 32 bytes below which a node holds the value itself.
 */
class BulkLoadProperties {
  /** Key bytes from a small alphabet, so keys share prefixes and some are prefixes of others. */
  private static Arbitrary<Bytes> keys() {
    return Arbitraries.of((byte) 0x00, (byte) 0x01, (byte) 0x10, (byte) 0x7f, (byte) 0xff)
        .array(byte[].class)
        .ofMaxSize(7)
        .map(Bytes::of);
  }

  private static Arbitrary<Bytes> values() {
    Arbitrary<byte[]> small = Arbitraries.bytes().array(byte[].class).ofMaxSize(31);
    Arbitrary<byte[]> large = Arbitraries.bytes().array(byte[].class).ofMinSize(32).ofMaxSize(90);
    return Arbitraries.frequencyOf(Tuple.of(1, small), Tuple.of(1, large)).map(Bytes::of);
  }

  @Provide
  Arbitrary<TreeMap<Bytes, Bytes>> states() {
    Arbitrary<Map<Bytes, Bytes>> small = Arbitraries.maps(keys(), values()).ofMaxSize(50);
    Arbitrary<Map<Bytes, Bytes>> batches =
        Arbitraries.maps(keys(), values()).ofMinSize(1_100).ofMaxSize(3_500);
    return Arbitraries.frequencyOf(Tuple.of(1, small), Tuple.of(3, batches)).map(TreeMap::new);
  }

  @Property(tries = 60)
  void inMemoryTheSameRootAndRecordsAsACommit(
      @ForAll BranchFactor bf, @ForAll("states") TreeMap<Bytes, Bytes> state) {
    assertSameAsCommit(bf, state, new MemoryStore(), new MemoryStore());
  }

  /** On disk the records go through SST files, compressed or not as their sample says. */
  @Property(tries = 8)
  void onDiskTheSameRootAndRecordsAsACommit(
      @ForAll BranchFactor bf, @ForAll("states") TreeMap<Bytes, Bytes> state) throws IOException {
    Path dir = Files.createTempDirectory("bulk-load-properties");
    try {
      assertSameAsCommit(
          bf,
          state,
          new RocksStore(dir.resolve("bulk"), 1 << 20, false),
          new RocksStore(dir.resolve("commit"), 1 << 20, false));
    } finally {
      delete(dir);
    }
  }

  private static void assertSameAsCommit(
      BranchFactor bf, Map<Bytes, Bytes> state, KvStore bulkStore, KvStore commitStore) {
    MerkleDBConfig config = MerkleDBConfig.defaults().withBranchFactor(bf).withSyncWrites(false);
    try (MerkleDB bulk = MerkleDB.open(bulkStore, config);
        MerkleDB committed = MerkleDB.open(commitStore, config)) {
      Revision loaded = bulk.bulkLoad(MerkleTestSupport.kvs(state).iterator());
      committed.commit(Batch.of(MerkleTestSupport.kvs(state)));
      assertThat(loaded.root()).isEqualTo(committed.root());
      assertThat(loaded.root()).isEqualTo(MerkleTestSupport.rootOf(state, bf));
      assertThat(records(bulkStore, Column.NODES)).isEqualTo(records(commitStore, Column.NODES));
      assertThat(records(bulkStore, Column.VALUES)).isEqualTo(records(commitStore, Column.VALUES));
    } finally {
      bulkStore.close();
      commitStore.close();
    }
  }

  /** Every record of a column, key and value as hex, in key order. */
  private static List<String> records(KvStore store, Column column) {
    List<String> out = new ArrayList<>();
    try (StoreIterator it = store.scan(column, null, null)) {
      while (it.next()) {
        out.add(Bytes.wrap(it.key()).toHex() + "=" + Bytes.wrap(it.value()).toHex());
      }
    }
    return out;
  }

  private static void delete(Path dir) throws IOException {
    try (Stream<Path> files = Files.walk(dir)) {
      files
          .sorted(Comparator.reverseOrder())
          .forEach(
              p -> {
                try {
                  Files.delete(p);
                } catch (IOException e) {
                  throw new UncheckedIOException(e);
                }
              });
    }
  }
}
