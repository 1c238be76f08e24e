package io.ferry.merkledb.store;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import io.ferry.core.ErrorCode;
import io.ferry.core.FerryException;
import java.nio.charset.StandardCharsets;
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

/** The store on disk: closing it while others read waits for them instead of freeing their data. */
@Timeout(60)
class RocksStoreTest {
  private static final long CACHE = 8L << 20;

  @TempDir Path dir;

  private static byte[] b(String s) {
    return s.getBytes(StandardCharsets.UTF_8);
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
}
