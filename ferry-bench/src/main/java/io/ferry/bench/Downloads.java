package io.ferry.bench;

import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.ExecutionException;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.TimeoutException;

/**
 * When each of several concurrent downloads started and finished, on the machine's monotonic clock.
 * A download reports its end from whichever thread sees it (a reader of the child's output, a
 * process's exit); {@link #await} returns once all have finished, or throws at the first failure or
 * the deadline. Thread-safe.
 */
final class Downloads {
  private final long[] startedAt;
  private final List<CompletableFuture<Long>> finishedAt = new ArrayList<>();

  Downloads(int count) {
    startedAt = new long[count];
    for (int i = 0; i < count; i++) {
      finishedAt.add(new CompletableFuture<>());
    }
  }

  int count() {
    return startedAt.length;
  }

  /** Download {@code i} starts now. */
  synchronized void started(int i) {
    startedAt[i] = System.nanoTime();
  }

  /** Download {@code i} holds the whole file now; later reports of it count for nothing. */
  void finished(int i) {
    finishedAt.get(i).complete(System.nanoTime());
  }

  /** Download {@code i} can no longer finish (its process exited); nothing if it had finished. */
  void failed(int i, String why) {
    finishedAt
        .get(i)
        .completeExceptionally(new IllegalStateException("downloader " + (i + 1) + " " + why));
  }

  /**
   * Waits until every download finished; returns each one's seconds from its own start.
   *
   * @throws IllegalStateException when one failed or the deadline passed, naming the unfinished
   */
  double[] await(Duration timeout) throws InterruptedException {
    CompletableFuture<Void> all =
        CompletableFuture.allOf(finishedAt.toArray(CompletableFuture[]::new));
    try {
      all.get(timeout.toNanos(), TimeUnit.NANOSECONDS);
    } catch (ExecutionException e) {
      throw new IllegalStateException(
          e.getCause().getMessage() + "; " + unfinished(), e.getCause());
    } catch (TimeoutException e) {
      throw new IllegalStateException(
          "not done after " + timeout.toSeconds() + " s: " + unfinished());
    }
    double[] seconds = new double[count()];
    synchronized (this) {
      for (int i = 0; i < count(); i++) {
        seconds[i] = (finishedAt.get(i).join() - startedAt[i]) / 1e9;
      }
    }
    return seconds;
  }

  /** Seconds from the first start to the last finish; only after {@link #await} returned. */
  synchronized double allSeconds() {
    long first = Long.MAX_VALUE;
    long last = Long.MIN_VALUE;
    for (int i = 0; i < count(); i++) {
      first = Math.min(first, startedAt[i]);
      last = Math.max(last, finishedAt.get(i).join());
    }
    return (last - first) / 1e9;
  }

  private String unfinished() {
    List<Integer> left = new ArrayList<>();
    for (int i = 0; i < count(); i++) {
      if (!finishedAt.get(i).isDone() || finishedAt.get(i).isCompletedExceptionally()) {
        left.add(i + 1);
      }
    }
    return "downloaders without the whole file: " + left;
  }
}
