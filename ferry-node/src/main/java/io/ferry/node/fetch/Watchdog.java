package io.ferry.node.fetch;

import java.io.Closeable;
import java.io.IOException;
import java.time.Duration;
import java.util.concurrent.Executors;
import java.util.concurrent.ScheduledExecutorService;
import java.util.concurrent.ScheduledFuture;
import java.util.concurrent.TimeUnit;

/**
 * Closes a response stream that has received nothing for the stall timeout, so a read blocked on a
 * server that stopped sending returns with an error instead of hanging. Thread-safe.
 */
final class Watchdog {
  private static final ScheduledExecutorService TIMER =
      Executors.newSingleThreadScheduledExecutor(
          Thread.ofPlatform().name("ferry-fetch-watchdog").daemon().factory());

  private final Closeable stream;
  private final long timeoutNanos;
  private volatile long lastNanos = System.nanoTime();
  private volatile boolean fired;
  private final ScheduledFuture<?> check;

  Watchdog(Closeable stream, Duration timeout) {
    this.stream = stream;
    this.timeoutNanos = timeout.toNanos();
    long period = Math.max(50, timeout.toMillis() / 4);
    this.check = TIMER.scheduleAtFixedRate(this::check, period, period, TimeUnit.MILLISECONDS);
  }

  void fed() {
    lastNanos = System.nanoTime();
  }

  boolean fired() {
    return fired;
  }

  void stop() {
    check.cancel(false);
  }

  private void check() {
    if (!fired && System.nanoTime() - lastNanos > timeoutNanos) {
      fired = true;
      try {
        stream.close();
      } catch (IOException e) {
        // closing is the point; an error here changes nothing
      }
      check.cancel(false);
    }
  }
}
