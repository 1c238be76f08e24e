package io.ferry.merkledb;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import io.ferry.core.Bytes;
import io.ferry.core.ErrorCode;
import io.ferry.core.FerryException;
import io.ferry.core.Hash;
import io.ferry.core.KeyRange;
import io.ferry.merkledb.trie.NodeSource;
import java.util.ArrayList;
import java.util.List;
import java.util.Optional;
import java.util.concurrent.CountDownLatch;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.Future;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicInteger;
import java.util.function.Predicate;
import java.util.function.Supplier;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;

/** The cache of past tries: built once per root, bounded, snapshots released after the last use. */
@Timeout(60)
class PastTriesTest {
  private final MerkleDB db = MerkleDB.inMemory(MerkleDBConfig.defaults().withSyncWrites(false));

  @AfterEach
  void close() {
    db.close();
  }

  /** A snapshot that counts how often it is closed. */
  private final class CountingSnapshot implements StateSnapshot {
    final StateSnapshot inner = db.snapshot();
    final AtomicInteger closes = new AtomicInteger();

    @Override
    public Revision revision() {
      return inner.revision();
    }

    @Override
    public Optional<Bytes> get(Bytes key) {
      return inner.get(key);
    }

    @Override
    public void scan(KeyRange range, Predicate<KeyValue> visitor) {
      inner.scan(range, visitor);
    }

    @Override
    public Hash root() {
      return inner.root();
    }

    @Override
    public NodeSource nodes() {
      return inner.nodes();
    }

    @Override
    public void close() {
      closes.incrementAndGet();
      inner.close();
    }
  }

  private PastTries.Built built(CountingSnapshot base, int keys) {
    Batch b = new Batch();
    for (int i = 0; i < keys; i++) {
      b.put(Bytes.of(new byte[] {(byte) i}), Bytes.of(new byte[] {1}));
    }
    return new PastTries.Built(base, View.of(base, b));
  }

  private static Hash root(int i) {
    byte[] b = new byte[Hash.LENGTH];
    b[0] = (byte) i;
    return Hash.of(b);
  }

  @Test
  void concurrentRequestsForOneRootBuildItOnce() throws Exception {
    PastTries cache = new PastTries(4, 1_000_000);
    AtomicInteger builds = new AtomicInteger();
    CountDownLatch allAsked = new CountDownLatch(1);
    CountingSnapshot base = new CountingSnapshot();
    Supplier<PastTries.Built> slow =
        () -> {
          builds.incrementAndGet();
          try {
            allAsked.await();
          } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
          }
          return built(base, 3);
        };
    ExecutorService pool = Executors.newFixedThreadPool(8);
    try {
      List<Future<Hash>> roots = new ArrayList<>();
      for (int i = 0; i < 8; i++) {
        roots.add(
            pool.submit(
                () -> {
                  try (PastTries.Lease l = cache.acquire(root(1), slow)) {
                    return l.trie().root();
                  }
                }));
      }
      // The build finishes only once every request holds a lease on the entry being built.
      while (cache.leases(root(1)) < roots.size()) {
        Thread.yield();
      }
      allAsked.countDown();
      for (Future<Hash> f : roots) {
        assertThat(f.get(5, TimeUnit.SECONDS)).isEqualTo(roots.get(0).get());
      }
    } finally {
      pool.shutdownNow();
    }
    assertThat(builds).hasValue(1);
    assertThat(cache.size()).isEqualTo(1);
    assertThat(base.closes).hasValue(0);
    cache.close();
    assertThat(base.closes).hasValue(1);
  }

  @Test
  void aFailedBuildReachesTheCallerAndIsNotKept() {
    PastTries cache = new PastTries(4, 1_000_000);
    assertThatThrownBy(
            () ->
                cache.acquire(
                    root(1),
                    () -> {
                      throw new FerryException(ErrorCode.INSUFFICIENT_HISTORY, "gone");
                    }))
        .isInstanceOfSatisfying(
            FerryException.class,
            e -> assertThat(e.code()).isEqualTo(ErrorCode.INSUFFICIENT_HISTORY));
    assertThat(cache.size()).isZero();
    CountingSnapshot base = new CountingSnapshot();
    try (PastTries.Lease l = cache.acquire(root(1), () -> built(base, 1))) {
      assertThat(l.trie()).isNotNull();
    }
    assertThat(cache.size()).isEqualTo(1);
    cache.close();
  }

  @Test
  void theLeastRecentlyUsedGoesFirstAndItsSnapshotOnlyAfterItsLastProof() {
    PastTries cache = new PastTries(2, 1_000_000);
    List<CountingSnapshot> bases = new ArrayList<>();
    for (int i = 0; i < 3; i++) {
      bases.add(new CountingSnapshot());
    }
    PastTries.Lease held = cache.acquire(root(0), () -> built(bases.get(0), 1));
    cache.acquire(root(1), () -> built(bases.get(1), 1)).close();
    cache.acquire(root(2), () -> built(bases.get(2), 1)).close(); // drops root 0, still lent
    assertThat(cache.size()).isEqualTo(2);
    assertThat(bases.get(0).closes).hasValue(0);
    held.close();
    held.close(); // idempotent
    assertThat(bases.get(0).closes).hasValue(1);

    // root 1 used again becomes the most recent; root 2 goes next
    cache
        .acquire(
            root(1),
            () -> {
              throw new AssertionError("cached");
            })
        .close();
    CountingSnapshot fourth = new CountingSnapshot();
    cache.acquire(root(3), () -> built(fourth, 1)).close();
    assertThat(bases.get(2).closes).hasValue(1);
    assertThat(bases.get(1).closes).hasValue(0);
    cache.close();
    assertThat(bases.get(1).closes).hasValue(1);
    assertThat(fourth.closes).hasValue(1);
  }

  @Test
  void aTrieLargerThanTheBudgetServesItsProofAndIsNotKept() {
    PastTries cache = new PastTries(4, 5);
    CountingSnapshot base = new CountingSnapshot();
    try (PastTries.Lease l = cache.acquire(root(1), () -> built(base, 50))) {
      assertThat(l.trie().root()).isNotEqualTo(Hash.ZERO);
      assertThat(base.closes).hasValue(0);
    }
    assertThat(cache.size()).isZero();
    assertThat(base.closes).hasValue(1);
  }

  @Test
  void retainOnlyDropsRootsThatLeftTheWindowAndACloseCacheRefuses() {
    PastTries cache = new PastTries(4, 1_000_000);
    CountingSnapshot a = new CountingSnapshot();
    CountingSnapshot b = new CountingSnapshot();
    cache.acquire(root(1), () -> built(a, 1)).close();
    cache.acquire(root(2), () -> built(b, 1)).close();
    cache.retainOnly(r -> r.equals(root(2)));
    assertThat(cache.size()).isEqualTo(1);
    assertThat(a.closes).hasValue(1);
    assertThat(b.closes).hasValue(0);
    cache.close();
    assertThatThrownBy(() -> cache.acquire(root(2), () -> built(b, 1)))
        .isInstanceOfSatisfying(
            FerryException.class, e -> assertThat(e.code()).isEqualTo(ErrorCode.ILLEGAL_STATE));
  }
}
