package io.ferry.net.tcp;

import java.util.concurrent.atomic.AtomicLong;

/**
 * The transport-wide budget for received frames that have started and not yet finished: what peers
 * can make a node hold in memory by starting large frames and never finishing them. A frame
 * reserves its announced length when its header arrives and gives it back when it finishes or its
 * connection closes. Thread-safe.
 */
final class FrameBudget {
  private final long limit;
  private final AtomicLong used = new AtomicLong();

  FrameBudget(long limit) {
    this.limit = limit;
  }

  /** Reserves {@code bytes} if the budget has room for them. */
  boolean tryReserve(long bytes) {
    long now;
    do {
      now = used.get();
      if (now + bytes > limit) {
        return false;
      }
    } while (!used.compareAndSet(now, now + bytes));
    return true;
  }

  void release(long bytes) {
    used.addAndGet(-bytes);
  }

  long used() {
    return used.get();
  }

  long limit() {
    return limit;
  }
}
