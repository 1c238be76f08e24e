package io.ferry.merkledb.store;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import io.ferry.core.ErrorCode;
import io.ferry.core.FerryException;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.CountDownLatch;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicLong;
import java.util.concurrent.atomic.AtomicReference;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;
import org.junit.jupiter.api.io.TempDir;

/**
 * The store on disk keeps the contract of every store; it opens only the columns it is given, and
 * closing it while others read waits for them instead of freeing their data.
 */
@Timeout(60)
class RocksStoreTest extends KvStoreContract {
  private static final long CACHE = 8L << 20;

  @TempDir Path dir;

  @Override
  protected KvStore open() {
    return new RocksStore(dir.resolve("contract"), CACHE, true, COLUMNS);
  }

  @Override
  protected KvStore reopen(KvStore store) {
    store.close();
    return open();
  }

  @Test
  void aBlobColumnKeepsItsLargeValuesInBlobFiles() throws Exception {
    Path at = dir.resolve("blobs");
    byte[] large = new byte[64 * 1024];
    java.util.Arrays.fill(large, (byte) 5);
    try (RocksStore store = new RocksStore(at, CACHE, false, COLUMNS)) {
      for (int i = 0; i < 8; i++) {
        store.write(new WriteBatch().put(BLOB, b("k" + i), large).put(BIG, b("k" + i), large));
      }
      store.sync();
      try (java.util.stream.Stream<Path> files = java.nio.file.Files.list(at)) {
        assertThat(files.map(p -> p.getFileName().toString())).noneMatch(n -> n.endsWith(".blob"));
      }
      store.truncate(BIG); // flushes the other columns: the blob column's values to a blob file
      try (java.util.stream.Stream<Path> files = java.nio.file.Files.list(at)) {
        assertThat(files.map(p -> p.getFileName().toString())).anyMatch(n -> n.endsWith(".blob"));
      }
    }
    try (RocksStore store = new RocksStore(at, CACHE, false, COLUMNS)) {
      assertThat(store.get(BLOB, b("k7"))).isEqualTo(large);
      assertThat(store.get(BIG, b("k7"))).isNull();
    }
  }

  @Test
  void itOpensTheColumnsItIsGivenAndNoOthers() {
    Path other = dir.resolve("other");
    try (RocksStore store = new RocksStore(other, CACHE, false, COLUMNS)) {
      assertThat(store.syncWrites()).isFalse();
      store.write(new WriteBatch().put(BIG, b("k"), b("v")));
      assertThatThrownBy(() -> store.get(Column.VALUES, b("k")))
          .isInstanceOfSatisfying(
              FerryException.class, e -> assertThat(e.code()).isEqualTo(ErrorCode.INVALID_ARGUMENT))
          .hasMessageContaining("no column 'values'");
      assertThatThrownBy(() -> store.write(new WriteBatch().put(Column.META, b("k"), b("v"))))
          .isInstanceOf(FerryException.class);
      assertThatThrownBy(() -> store.sortedWriter(Column.NODES)).isInstanceOf(FerryException.class);
    }
    // RocksDB opens every family a directory holds or none: a MerkleDB's store is not this one.
    assertThatThrownBy(() -> new RocksStore(other, CACHE, false))
        .isInstanceOfSatisfying(
            FerryException.class, e -> assertThat(e.code()).isEqualTo(ErrorCode.IO_ERROR))
        .hasMessageContaining("cannot open the store in " + other);
    assertThatThrownBy(() -> new RocksStore(other, CACHE, false, List.of(BIG, BIG)))
        .isInstanceOf(IllegalArgumentException.class);
    // The failed opens released the directory.
    try (RocksStore store = new RocksStore(other, CACHE, true, COLUMNS)) {
      assertThat(store.syncWrites()).isTrue();
      assertThat(store.get(BIG, b("k"))).isEqualTo(b("v"));
    }
  }

  @Test
  void aTruncateFreesTheColumnsFilesAndLogWhileAnOlderIteratorReadsOn() throws Exception {
    Path at = dir.resolve("truncated");
    try (RocksStore store = new RocksStore(at, CACHE, false, COLUMNS)) {
      java.util.Random r = new java.util.Random(1);
      for (int batch = 0; batch < 60; batch++) {
        WriteBatch w = new WriteBatch();
        for (int i = 0; i < 1000; i++) {
          byte[] v = new byte[200];
          r.nextBytes(v);
          w.put(BIG, b(String.format("k%02d-%04d", batch, i)), v);
        }
        w.put(SMALL, b("progress"), b("batch " + batch));
        store.write(w);
      }
      assertThat(bytesIn(at)).isGreaterThan(10_000_000);
      StoreIterator older = store.scan(BIG, null, null);
      store.truncate(BIG);
      assertThat(bytesIn(at)).as("bytes left after the truncate").isLessThan(1_000_000);
      // The dropped family stays readable through what was opened on it before.
      int seen = 0;
      while (older.next()) {
        seen++;
      }
      older.close();
      assertThat(seen).isEqualTo(60_000);
      assertThat(store.get(SMALL, b("progress"))).isEqualTo(b("batch 59"));
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

  private static RocksStore filled(Path dir, int keys) {
    RocksStore store = new RocksStore(dir, CACHE, false);
    WriteBatch batch = new WriteBatch();
    for (int i = 0; i < keys; i++) {
      batch.put(Column.VALUES, b(String.format("k%06d", i)), b("v" + i));
    }
    store.write(batch);
    return store;
  }

  private static void assertClosedError(Runnable r) {
    assertThatThrownBy(r::run)
        .isInstanceOfSatisfying(
            FerryException.class, e -> assertThat(e.code()).isEqualTo(ErrorCode.ILLEGAL_STATE));
  }

  @Test
  void everyUseAfterCloseIsATypedError() {
    RocksStore store = filled(dir, 10);
    store.close();
    assertClosedError(() -> store.get(Column.VALUES, b("k000001")));
    assertClosedError(() -> store.scan(Column.VALUES, null, null));
    assertClosedError(() -> store.snapshot());
    assertClosedError(() -> store.write(new WriteBatch().put(Column.META, b("x"), b("y"))));
    assertClosedError(() -> store.sortedWriter(Column.VALUES));
    store.close(); // a second close does nothing
  }

  @Test
  void closeWaitsForAnOpenIteratorWhichReadsToItsEnd() throws Exception {
    RocksStore store = filled(dir, 100);
    StoreIterator it = store.scan(Column.VALUES, null, null);
    assertThat(it.next()).isTrue();
    Thread closing = Thread.ofPlatform().name("closing").start(store::close);
    // The close parks waiting for the iterator (its only timed wait), and new users are refused.
    awaitTimedWaiting(closing);
    assertThat(closing.isAlive()).isTrue();
    assertClosedError(() -> store.get(Column.VALUES, b("k000001")));
    int seen = 1;
    while (it.next()) {
      assertThat(it.value()).isEqualTo(b("v" + seen));
      seen++;
    }
    assertThat(seen).isEqualTo(100);
    it.close();
    closing.join(10_000);
    assertThat(closing.isAlive()).as("the close finished once the iterator closed").isFalse();
    assertClosedError(it::next);
  }

  /**
   * Waits until {@code t} is parked in a timed wait, which a close reaches only to wait for users.
   */
  private static void awaitTimedWaiting(Thread t) {
    while (t.getState() != Thread.State.TIMED_WAITING) {
      assertThat(t.isAlive()).as("the close returned without waiting").isTrue();
      Thread.yield();
    }
  }

  @Test
  void aSnapshotReadsItsStateUntilTheStoreClosesAndFailsTypedAfter() {
    RocksStore store = filled(dir, 3);
    StoreSnapshot snap = store.snapshot();
    store.write(new WriteBatch().put(Column.VALUES, b("k000000"), b("changed")));
    assertThat(snap.get(Column.VALUES, b("k000000"))).isEqualTo(b("v0"));
    StoreSnapshot unclosed = store.snapshot();
    store.close(); // does not wait for snapshots, which views may hold until collected
    assertClosedError(() -> snap.get(Column.VALUES, b("k000000")));
    assertClosedError(() -> unclosed.scan(Column.VALUES, null, null));
    snap.close();
    unclosed.close();
  }

  @Test
  void closingUnderConcurrentReadersNeitherCrashesNorLosesData() throws Exception {
    RocksStore store = filled(dir, 2_000);
    int readers = 4;
    CountDownLatch running = new CountDownLatch(readers);
    AtomicLong reads = new AtomicLong();
    AtomicReference<Throwable> unexpected = new AtomicReference<>();
    List<Thread> threads = new ArrayList<>();
    for (int t = 0; t < readers; t++) {
      int id = t;
      Thread thread =
          new Thread(
              () -> {
                running.countDown();
                try {
                  while (true) {
                    if (id % 2 == 0) {
                      store.get(Column.VALUES, b(String.format("k%06d", reads.get() % 2_000)));
                    } else {
                      try (StoreIterator it = store.scan(Column.VALUES, null, null)) {
                        while (it.next()) {
                          it.key();
                          it.value();
                        }
                      }
                    }
                    reads.incrementAndGet();
                  }
                } catch (FerryException e) {
                  if (e.code() != ErrorCode.ILLEGAL_STATE) {
                    unexpected.set(e);
                  }
                } catch (Throwable e) {
                  unexpected.set(e);
                }
              });
      thread.start();
      threads.add(thread);
    }
    running.await();
    while (reads.get() < 50) {
      Thread.onSpinWait();
    }
    store.close();
    for (Thread thread : threads) {
      thread.join(10_000);
      assertThat(thread.isAlive()).isFalse();
    }
    assertThat(unexpected.get()).isNull();

    // The lock is released and every key is still there.
    RocksStore reopened = new RocksStore(dir, CACHE, false);
    try (StoreIterator it = reopened.scan(Column.VALUES, null, null)) {
      int n = 0;
      while (it.next()) {
        n++;
      }
      assertThat(n).isEqualTo(2_000);
    } finally {
      reopened.close();
    }
  }

  @Test
  void leasesRefuseOnceClosingAndDrainWhenTheLastIsReleased() throws Exception {
    Leases leases = new Leases();
    assertThat(leases.tryAcquire()).isTrue();
    CompletableFuture<Boolean> closing =
        CompletableFuture.supplyAsync(
            () -> {
              try {
                return leases.closeAndAwait(java.time.Duration.ofSeconds(10));
              } catch (InterruptedException e) {
                throw new IllegalStateException(e);
              }
            });
    while (!leases.isClosing()) {
      Thread.onSpinWait();
    }
    assertThat(leases.tryAcquire()).isFalse();
    leases.release();
    assertThat(closing.get(10, TimeUnit.SECONDS)).isTrue();
    assertThat(leases.tryAcquire()).isFalse();
    assertThatThrownBy(() -> leases.closeAndAwait(java.time.Duration.ZERO))
        .isInstanceOf(IllegalStateException.class);
  }

  /** Writes {@code n} entries with keys k00000000.. through a sorted writer and commits them. */
  private static void writeSorted(
      RocksStore store, int n, java.util.function.IntFunction<byte[]> value) {
    try (SortedWriter w = store.sortedWriter(BIG)) {
      for (int i = 0; i < n; i++) {
        w.put(b(String.format("k%08d", i)), value.apply(i));
      }
      w.commit();
    }
  }

  private static long sstBytes(Path at) throws Exception {
    try (java.util.stream.Stream<Path> files = java.nio.file.Files.list(at)) {
      return files
          .filter(p -> p.getFileName().toString().endsWith(".sst"))
          .mapToLong(p -> p.toFile().length())
          .sum();
    }
  }

  @Test
  void aSortedWriterCompressesValuesThatCompressAndKeepsEveryEntry() throws Exception {
    // Fewer entries than the compression sample (written at commit), and many more.
    for (int n : new int[] {100, 20_000}) {
      Path at = dir.resolve("text-" + n);
      java.util.function.IntFunction<byte[]> text =
          i -> b(("value of entry number " + i + ", ").repeat(4));
      try (RocksStore store = new RocksStore(at, CACHE, false, COLUMNS)) {
        writeSorted(store, n, text);
        List<String> read = new ArrayList<>();
        try (StoreIterator it = store.scan(BIG, null, null)) {
          while (it.next()) {
            assertThat(it.value()).isEqualTo(text.apply(read.size()));
            read.add(new String(it.key(), java.nio.charset.StandardCharsets.US_ASCII));
          }
        }
        assertThat(read).hasSize(n);
        assertThat(read.get(n - 1)).isEqualTo(String.format("k%08d", n - 1));
        if (n == 20_000) {
          long raw = 20_000L * (9 + text.apply(0).length);
          assertThat(sstBytes(at)).as("compressed tables").isLessThan(raw / 2);
        }
      }
    }
  }

  @Test
  void aSortedWriterKeepsEveryIncompressibleEntry() {
    java.util.Random r = new java.util.Random(3);
    byte[][] values = new byte[20_000][];
    for (int i = 0; i < values.length; i++) {
      values[i] = new byte[100];
      r.nextBytes(values[i]);
    }
    try (RocksStore store = new RocksStore(dir.resolve("random"), CACHE, false, COLUMNS)) {
      writeSorted(store, values.length, i -> values[i]);
      int i = 0;
      try (StoreIterator it = store.scan(BIG, null, null)) {
        while (it.next()) {
          assertThat(it.value()).isEqualTo(values[i++]);
        }
      }
      assertThat(i).isEqualTo(values.length);
    }
  }

  @Test
  void aSortedWriterRefusesAKeyOutOfOrderInItsSampleAndAddsNothing() {
    try (RocksStore store = new RocksStore(dir.resolve("order"), CACHE, false, COLUMNS)) {
      assertThatThrownBy(
              () -> {
                try (SortedWriter w = store.sortedWriter(BIG)) {
                  w.put(b("b"), b("1"));
                  w.put(b("a"), b("2")); // held in the sample: refused when the file is written
                  w.commit();
                }
              })
          .isInstanceOfSatisfying(
              FerryException.class, e -> assertThat(e.code()).isEqualTo(ErrorCode.IO_ERROR));
      try (StoreIterator it = store.scan(BIG, null, null)) {
        assertThat(it.next()).isFalse();
      }
    }
  }
}
