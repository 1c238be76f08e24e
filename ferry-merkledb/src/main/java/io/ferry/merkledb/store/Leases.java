package io.ferry.merkledb.store;

import java.time.Duration;
import java.util.concurrent.CountDownLatch;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicBoolean;
import java.util.concurrent.atomic.AtomicLong;

/**
 * Counts who uses a native store right now: calls in progress, and iterators, snapshots and sorted
 * writers until they are closed. Closing the store waits for the count to drain, because freeing
 * the native database under a reader crashes the process rather than failing the read.
 *
 * <p>The count starts at one, the owner's lease, which {@link #closeAndAwait} gives up; once it has
 * reached zero nothing can acquire again, so a store is never used after it is freed.
 *
 * <p>Thread-safe and lock-free on the read path (one compare-and-set to acquire, one decrement to
 * release).
 */
final class Leases {
  private final AtomicLong count = new AtomicLong(1);
  private final AtomicBoolean closing = new AtomicBoolean();
  private final CountDownLatch drained = new CountDownLatch(1);

  /** Takes a lease, or returns false if the store is closing or closed. */
  boolean tryAcquire() {
    while (true) {
      long n = count.get();
      if (n == 0 || closing.get()) {
        return false;
      }
      if (count.compareAndSet(n, n + 1)) {
        return true;
      }
    }
  }

  void release() {
    long n = count.decrementAndGet();
    if (n == 0) {
      drained.countDown();
    } else if (n < 0) {
      throw new IllegalStateException("a store lease released twice");
    }
  }

  boolean isClosing() {
    return closing.get();
  }

  /**
   * Refuses new leases and waits up to {@code timeout} for those out to be released.
   *
   * @return true if every lease is back, so the store may be freed
   * @throws IllegalStateException if called twice
   */
  boolean closeAndAwait(Duration timeout) throws InterruptedException {
    if (!closing.compareAndSet(false, true)) {
      throw new IllegalStateException("a store closed twice");
    }
    release();
    return drained.await(timeout.toMillis(), TimeUnit.MILLISECONDS);
  }
}
