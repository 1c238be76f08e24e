package io.ferry.sync.proof.client;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;
import static org.assertj.core.api.Assertions.withinPercentage;

import io.ferry.core.Bytes;
import io.ferry.core.ErrorCode;
import io.ferry.core.FerryException;
import io.ferry.core.Hash;
import io.ferry.core.KeyRange;
import io.ferry.merkledb.KeyChange;
import io.ferry.merkledb.KeyValue;
import java.nio.charset.StandardCharsets;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.Iterator;
import java.util.List;
import java.util.Optional;
import java.util.function.UnaryOperator;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;
import org.rocksdb.ColumnFamilyDescriptor;
import org.rocksdb.ColumnFamilyHandle;
import org.rocksdb.DBOptions;
import org.rocksdb.RocksDB;

class KvSyncStoreTest {
  private static final Hash T1 = hash(1);
  private static final Hash T2 = hash(2);

  @TempDir Path tmp;

  private static Hash hash(int i) {
    byte[] h = new byte[Hash.LENGTH];
    h[0] = (byte) i;
    return Hash.wrap(h);
  }

  /** A key of the string's chars as bytes (Latin-1, so "\u00ff" is 0xff). */
  private static Bytes key(String s) {
    return Bytes.wrap(s.getBytes(StandardCharsets.ISO_8859_1));
  }

  private static List<KeyChange> puts(String... keys) {
    List<KeyChange> out = new ArrayList<>();
    for (String k : keys) {
      out.add(KeyChange.put(key(k), key("v-" + k)));
    }
    return out;
  }

  private static List<KeyValue> all(SyncStore store) {
    List<KeyValue> out = new ArrayList<>();
    store.iterator().forEachRemaining(out::add);
    return out;
  }

  private static List<String> keysOf(List<KeyValue> kvs) {
    return kvs.stream()
        .map(kv -> new String(kv.key().unsafeArray(), StandardCharsets.ISO_8859_1))
        .toList();
  }

  @Test
  void keyCountIsExactForSmallStoresAndEstimatedForLargeOnes() {
    Path dir = tmp.resolve("count");
    int batches = 30;
    int perBatch = 5000;
    try (KvSyncStore store = SyncStores.open(dir, false)) {
      for (int b = 0; b < batches; b++) {
        List<KeyChange> many = new ArrayList<>();
        for (int i = 0; i < perBatch; i++) {
          many.add(KeyChange.put(key(String.format("k%07d", b * perBatch + i)), key("v")));
        }
        store.apply(Optional.empty(), many, T1, List.of());
      }
      assertThat(store.keyCount()).isCloseTo(batches * perBatch, withinPercentage(5));
      // A replaced range of a few thousand keys: deleted key by key, so the estimate follows.
      store.apply(
          Optional.of(KeyRange.of(key("k0000000"), key("k0003999"))), puts("a"), T1, List.of());
      assertThat(store.keyCount()).isCloseTo(batches * perBatch - 3999, withinPercentage(1));
      // A larger one is one range delete, which the estimate sees only after compaction.
      store.apply(Optional.of(KeyRange.from(key("k0000010"))), puts("z"), T1, List.of());
      assertThat(store.scan(KeyRange.ALL)).hasSize(2);
      store.clear();
      assertThat(store.keyCount()).isZero();
      store.apply(Optional.empty(), puts("a", "b", "c"), T1, List.of());
      assertThat(store.keyCount()).isEqualTo(3);
    }
    try (KvSyncStore store = SyncStores.open(dir, false)) {
      assertThat(store.keyCount()).isEqualTo(3);
    }
  }

  /** Bytes of the files under {@code dir}. */
  private static long bytesIn(Path dir) throws java.io.IOException {
    try (var files = java.nio.file.Files.walk(dir)) {
      return files
          .filter(java.nio.file.Files::isRegularFile)
          .mapToLong(f -> f.toFile().length())
          .sum();
    }
  }

  /** Stages {@code keys} keys of 32 bytes with 100-byte values, 2,048 a write. */
  private static void stage(KvSyncStore store, int keys) {
    java.util.Random r = new java.util.Random(keys);
    for (int done = 0; done < keys; done += 2048) {
      java.util.TreeMap<Bytes, Bytes> batch = new java.util.TreeMap<>();
      for (int i = 0; i < 2048; i++) {
        byte[] k = new byte[32];
        byte[] v = new byte[100];
        r.nextBytes(k);
        r.nextBytes(v);
        batch.put(Bytes.wrap(k), Bytes.wrap(v));
      }
      List<KeyChange> changes = new ArrayList<>();
      batch.forEach((k, v) -> changes.add(KeyChange.put(k, v)));
      store.apply(Optional.empty(), changes, T1, List.of());
    }
  }

  @Test
  void clearingFreesTheStagedDataAndItsWriteAheadLog() throws Exception {
    Path dir = tmp.resolve("cleared");
    try (KvSyncStore store = SyncStores.open(dir, false)) {
      stage(store, 100_000); // about 13 MB
      assertThat(bytesIn(dir)).isGreaterThan(10_000_000);
      store.clear();
      assertThat(bytesIn(dir)).as("bytes left after clear").isLessThan(1_000_000);
    }
  }

  @Test
  void aFinishedSyncsStoreIsDeletedAndOneInProgressOrOpenIsKept() throws Exception {
    Path finished = tmp.resolve("finished");
    try (KvSyncStore store = SyncStores.open(finished, false)) {
      stage(store, 4096);
      store.clear();
    }
    Path inProgress = tmp.resolve("in-progress");
    try (KvSyncStore store = SyncStores.open(inProgress, false)) {
      stage(store, 4096);
    }
    assertThat(SyncStores.deleteIfFinished(finished)).isTrue();
    assertThat(finished).doesNotExist();
    assertThat(SyncStores.deleteIfFinished(inProgress)).isFalse();
    try (KvSyncStore store = SyncStores.open(inProgress, false)) {
      assertThat(store.target()).contains(T1);
      assertThat(store.keyCount()).isEqualTo(4096);
      // Open (here as in another process): never deleted under its user.
      store.clear();
      assertThat(SyncStores.deleteIfFinished(inProgress)).isFalse();
      assertThat(inProgress).isDirectory();
      store.apply(Optional.empty(), puts("a"), T2, List.of());
      assertThat(keysOf(all(store))).containsExactly("a");
    }
    assertThat(SyncStores.deleteIfFinished(tmp.resolve("absent"))).isFalse();
    assertThat(tmp.resolve("absent")).doesNotExist();
  }

  @Test
  void reopeningKeepsDataAndProgress() {
    Path dir = tmp.resolve("staging");
    List<CompletedRange> progress =
        List.of(
            new CompletedRange(KeyRange.upTo(key("m")), T1),
            new CompletedRange(KeyRange.from(KeyRange.successor(key("m")).orElseThrow()), T2));
    try (KvSyncStore store = SyncStores.open(dir, true)) {
      assertThat(store.target()).isEmpty();
      assertThat(store.progress()).isEmpty();
      store.apply(Optional.empty(), puts("a", "b", "c", "x"), T1, List.of());
      store.apply(
          Optional.of(KeyRange.of(key("b"), key("c"))),
          List.of(KeyChange.put(key("bb"), key("new")), KeyChange.delete(key("x"))),
          T2,
          progress);
    }
    try (KvSyncStore store = SyncStores.open(dir, true)) {
      assertThat(store.target()).contains(T2);
      assertThat(store.progress()).isEqualTo(progress);
      assertThat(keysOf(all(store))).containsExactly("a", "bb");
      assertThat(store.get(key("bb"))).contains(key("new"));
      assertThat(store.get(key("b"))).isEmpty();
      assertThat(store.keyCount()).isPositive();
    }
  }

  @Test
  void replaceRangesAreInclusiveAndMayBeUnbounded() {
    try (KvSyncStore store = SyncStores.open(tmp.resolve("s"), false)) {
      List<KeyChange> all = puts("", "a", "a\0", "b", "b\0", "c", "\u00ff\u00ff");
      store.apply(Optional.empty(), all, T1, List.of());
      store.apply(Optional.of(KeyRange.of(key("a"), key("b"))), List.of(), T1, List.of());
      assertThat(keysOf(all(store))).containsExactly("", "b\0", "c", "\u00ff\u00ff");
      store.apply(Optional.of(KeyRange.from(key("b\0"))), puts("z"), T1, List.of());
      assertThat(keysOf(all(store))).containsExactly("", "z");
      store.apply(Optional.of(KeyRange.upTo(Bytes.EMPTY)), List.of(), T1, List.of());
      assertThat(keysOf(all(store))).containsExactly("z");
      store.apply(Optional.of(KeyRange.ALL), puts("q"), T1, List.of());
      assertThat(keysOf(all(store))).containsExactly("q");
      assertThat(keysOf(store.scan(KeyRange.of(key("a"), key("q"))))).containsExactly("q");
      assertThat(store.scan(KeyRange.of(key("a"), key("p")))).isEmpty();
    }
  }

  @Test
  void clearDropsDataAndProgressForGood() {
    Path dir = tmp.resolve("s");
    try (KvSyncStore store = SyncStores.open(dir, true)) {
      store.apply(
          Optional.empty(), puts("a", "b"), T1, List.of(new CompletedRange(KeyRange.ALL, T1)));
      store.clear();
      assertThat(store.target()).isEmpty();
      assertThat(store.progress()).isEmpty();
      assertThat(all(store)).isEmpty();
      assertThat(store.keyCount()).isZero();
      store.apply(Optional.empty(), puts("c"), T2, List.of());
    }
    try (KvSyncStore store = SyncStores.open(dir, true)) {
      assertThat(store.target()).contains(T2);
      assertThat(keysOf(all(store))).containsExactly("c");
    }
  }

  @Test
  void theIteratorStreamsOneConsistentViewAndReleasesItselfAtTheEnd() {
    try (KvSyncStore store = SyncStores.open(tmp.resolve("s"), false)) {
      List<KeyChange> many = new ArrayList<>();
      for (int i = 0; i < 5000; i++) {
        many.add(KeyChange.put(key(String.format("k%05d", i)), key("v")));
      }
      store.apply(Optional.empty(), many, T1, List.of());
      KvSyncStore.Cursor it = store.iterator();
      assertThat(it.next().key()).isEqualTo(key("k00000"));
      store.apply(Optional.of(KeyRange.ALL), puts("late"), T1, List.of());
      int n = 1;
      while (it.hasNext()) {
        assertThat(it.next().key()).isNotEqualTo(key("late"));
        n++;
      }
      assertThat(n).isEqualTo(5000);
      it.close(); // idempotent after the end
      assertThat(keysOf(all(store))).containsExactly("late");
    }
  }

  @Test
  void closingOrClearingTheStoreInvalidatesOpenIterators() {
    KvSyncStore store = SyncStores.open(tmp.resolve("s"), false);
    store.apply(Optional.empty(), puts("a", "b", "c"), T1, List.of());
    Iterator<KeyValue> cleared = store.iterator();
    cleared.next();
    store.clear();
    assertThatThrownBy(cleared::hasNext)
        .isInstanceOfSatisfying(
            FerryException.class, e -> assertThat(e.code()).isEqualTo(ErrorCode.ILLEGAL_STATE))
        .hasMessageContaining("cleared");

    store.apply(Optional.empty(), puts("a", "b", "c"), T1, List.of());
    Iterator<KeyValue> closed = store.iterator();
    closed.next();
    KvSyncStore.Cursor abandoned = store.iterator();
    store.close();
    assertThatThrownBy(closed::next)
        .isInstanceOfSatisfying(
            FerryException.class, e -> assertThat(e.code()).isEqualTo(ErrorCode.ILLEGAL_STATE));
    abandoned.close();
    store.close(); // idempotent
    assertThatThrownBy(() -> store.get(key("a")))
        .isInstanceOfSatisfying(
            FerryException.class, e -> assertThat(e.code()).isEqualTo(ErrorCode.ILLEGAL_STATE))
        .hasMessageContaining("closed");
    assertThatThrownBy(() -> store.apply(Optional.empty(), List.of(), T1, List.of()))
        .isInstanceOf(FerryException.class);
  }

  @Test
  void aCorruptProgressRecordFailsTheOpenWithCorruptData() throws Exception {
    byte[] good = new ProgressRecord(T1, List.of(new CompletedRange(KeyRange.ALL, T1))).encode();
    List<UnaryOperator<byte[]>> damages =
        List.of(
            b -> new byte[] {1, 2, 3},
            b -> Arrays.copyOf(b, b.length - 1),
            b -> {
              byte[] c = b.clone();
              c[0] = 3;
              return c;
            },
            b -> {
              byte[] c = b.clone();
              c[5] ^= 0x10;
              return c;
            });
    for (int i = 0; i < damages.size(); i++) {
      Path dir = tmp.resolve("corrupt-" + i);
      try (KvSyncStore store = SyncStores.open(dir, true)) {
        store.apply(Optional.empty(), puts("a"), T1, List.of(new CompletedRange(KeyRange.ALL, T1)));
      }
      overwriteProgress(dir, damages.get(i).apply(good));
      assertThatThrownBy(() -> SyncStores.open(dir, true))
          .isInstanceOfSatisfying(
              FerryException.class, e -> assertThat(e.code()).isEqualTo(ErrorCode.CORRUPT_DATA))
          .hasMessageContaining("corrupt sync progress record")
          .hasMessageContaining("delete that directory");
      // The failed open released the database: it opens again once the record is repaired.
      overwriteProgress(dir, good);
      try (KvSyncStore store = SyncStores.open(dir, true)) {
        assertThat(store.progress()).containsExactly(new CompletedRange(KeyRange.ALL, T1));
      }
    }
  }

  /** The column families of a staging directory, as RocksDB names them. */
  private static List<ColumnFamilyDescriptor> stagingFamilies() {
    return List.of(
        new ColumnFamilyDescriptor(RocksDB.DEFAULT_COLUMN_FAMILY),
        new ColumnFamilyDescriptor("staged".getBytes(StandardCharsets.US_ASCII)),
        new ColumnFamilyDescriptor("progress".getBytes(StandardCharsets.US_ASCII)));
  }

  /** Writes {@code record} as the progress record, behind the store's back. */
  private static void overwriteProgress(Path dir, byte[] record) throws Exception {
    List<ColumnFamilyHandle> handles = new ArrayList<>();
    try (DBOptions options = new DBOptions();
        RocksDB db = RocksDB.open(options, dir.toString(), stagingFamilies(), handles)) {
      db.put(handles.get(2), KvSyncStore.PROGRESS_KEY, record);
      handles.forEach(ColumnFamilyHandle::close);
    }
  }

  /**
   * The layout on disk, which a staging directory keeps across versions: RocksDB's {@code default}
   * family (unused), {@code staged} (key to value) and {@code progress} (one record under the key
   * {@code progress}, a {@link ProgressRecord}). A directory written with RocksDB alone in that
   * layout opens with its data and progress.
   */
  @Test
  void aStagingDirectoryInTheDocumentedLayoutOpens() throws Exception {
    Path dir = tmp.resolve("layout");
    List<CompletedRange> done = List.of(new CompletedRange(KeyRange.upTo(key("b")), T2));
    List<ColumnFamilyHandle> handles = new ArrayList<>();
    try (DBOptions options =
            new DBOptions().setCreateIfMissing(true).setCreateMissingColumnFamilies(true);
        RocksDB db = RocksDB.open(options, dir.toString(), stagingFamilies(), handles)) {
      db.put(handles.get(1), key("a").unsafeArray(), key("1").unsafeArray());
      db.put(handles.get(1), key("b").unsafeArray(), key("2").unsafeArray());
      db.put(handles.get(2), KvSyncStore.PROGRESS_KEY, new ProgressRecord(T1, done).encode());
      handles.forEach(ColumnFamilyHandle::close);
    }
    try (KvSyncStore store = SyncStores.open(dir, true)) {
      assertThat(store.target()).contains(T1);
      assertThat(store.progress()).isEqualTo(done);
      assertThat(keysOf(all(store))).containsExactly("a", "b");
      assertThat(store.get(key("b"))).contains(key("2"));
      store.apply(Optional.empty(), puts("c"), T2, done);
    }
    // And what the store writes is that layout.
    handles.clear();
    try (DBOptions options = new DBOptions();
        RocksDB db = RocksDB.open(options, dir.toString(), stagingFamilies(), handles)) {
      assertThat(db.get(handles.get(1), key("c").unsafeArray()))
          .isEqualTo(key("v-c").unsafeArray());
      assertThat(ProgressRecord.decode(db.get(handles.get(2), KvSyncStore.PROGRESS_KEY)))
          .isEqualTo(new ProgressRecord(T2, done));
      handles.forEach(ColumnFamilyHandle::close);
    }
  }

  @Test
  void aDirectoryThatIsNotAStagingStoreFailsWithIoError() throws Exception {
    Path dir = tmp.resolve("other");
    try (org.rocksdb.Options options = new org.rocksdb.Options().setCreateIfMissing(true);
        RocksDB db = RocksDB.open(options, dir.toString())) {
      try (ColumnFamilyHandle h =
          db.createColumnFamily(
              new ColumnFamilyDescriptor("values".getBytes(StandardCharsets.US_ASCII)))) {
        db.put(h, new byte[] {1}, new byte[] {2});
      }
    }
    assertThatThrownBy(() -> SyncStores.open(dir, true))
        .isInstanceOfSatisfying(
            FerryException.class, e -> assertThat(e.code()).isEqualTo(ErrorCode.IO_ERROR))
        .hasMessageContaining("cannot open the sync staging store");
  }

  /**
   * Values of a hash's length or more are staged after their digest, given or hashed here; shorter
   * ones are their own digest. Reads see the values alone; the digested iterator gives both.
   */
  @Test
  void valuesAreStagedWithTheirDigests() throws Exception {
    Path dir = tmp.resolve("digests");
    Bytes shortValue = key("short");
    Bytes longValue = Bytes.wrap(new byte[100]);
    Bytes given = Bytes.wrap(new byte[32]);
    byte[] givenDigest = io.ferry.merkledb.trie.NodeHasher.valueDigest(given.unsafeArray());
    try (KvSyncStore store = SyncStores.open(dir, false)) {
      store.apply(
          Optional.empty(),
          List.of(
              KeyChange.put(key("a"), shortValue),
              KeyChange.put(key("b"), longValue),
              KeyChange.put(key("c"), given)),
          Arrays.asList(null, null, givenDigest),
          T1,
          List.of());
      assertThat(store.get(key("b"))).contains(longValue);
      assertThat(store.scan(KeyRange.ALL))
          .extracting(KeyValue::value)
          .containsExactly(shortValue, longValue, given);
      List<io.ferry.merkledb.DigestedKeyValue> digested = new ArrayList<>();
      try (KvSyncStore.Digested it = store.digestedIterator()) {
        it.forEachRemaining(digested::add);
      }
      assertThat(digested).hasSize(3);
      for (io.ferry.merkledb.DigestedKeyValue d : digested) {
        assertThat(d.valueDigest())
            .isEqualTo(
                io.ferry.merkledb.trie.NodeHasher.valueDigest(d.keyValue().value().unsafeArray()));
      }
    }
    List<ColumnFamilyHandle> handles = new ArrayList<>();
    try (DBOptions options = new DBOptions();
        RocksDB db = RocksDB.open(options, dir.toString(), stagingFamilies(), handles)) {
      assertThat(db.get(handles.get(1), key("a").unsafeArray()))
          .isEqualTo(shortValue.unsafeArray());
      byte[] b = db.get(handles.get(1), key("b").unsafeArray());
      assertThat(b).hasSize(Hash.LENGTH + 100);
      assertThat(Arrays.copyOf(b, Hash.LENGTH))
          .isEqualTo(io.ferry.merkledb.trie.NodeHasher.valueDigest(longValue.unsafeArray()));
      handles.forEach(ColumnFamilyHandle::close);
    }
  }

  /** A store staged before values carried digests is cleared on open: its sync starts over. */
  @Test
  void aStoreOfTheFormatWithoutDigestsStartsOver() throws Exception {
    Path dir = tmp.resolve("v1");
    List<CompletedRange> done = List.of(new CompletedRange(KeyRange.ALL, T1));
    try (KvSyncStore store = SyncStores.open(dir, false)) {
      store.apply(Optional.empty(), puts("a", "b"), T1, done);
    }
    byte[] v1 = new ProgressRecord(T1, done).encode();
    v1[0] = (byte) ProgressRecord.VERSION_WITHOUT_DIGESTS;
    java.util.zip.CRC32C crc = new java.util.zip.CRC32C();
    crc.update(v1, 0, v1.length - 4);
    int sum = (int) crc.getValue();
    v1[v1.length - 4] = (byte) (sum >>> 24);
    v1[v1.length - 3] = (byte) (sum >>> 16);
    v1[v1.length - 2] = (byte) (sum >>> 8);
    v1[v1.length - 1] = (byte) sum;
    overwriteProgress(dir, v1);
    try (KvSyncStore store = SyncStores.open(dir, false)) {
      assertThat(store.target()).isEmpty();
      assertThat(store.progress()).isEmpty();
      assertThat(all(store)).isEmpty();
    }
  }
}
