package io.ferry.node.fetch;

import java.util.TreeSet;

/**
 * The segments of a download still to fetch, handed out as runs of adjacent segments, one run per
 * Range request. Runs are long while much remains (few requests) and shrink to one segment near the
 * end, so the last requests are short and the download does not wait on one long request while the
 * other connections sit idle.
 *
 * <p>Thread-safe.
 */
final class SegmentQueue {
  /** Segments {@code first} to {@code first + count - 1}. */
  record Run(int first, int count) {
    int end() {
      return first + count;
    }
  }

  private final TreeSet<Integer> pending = new TreeSet<>();
  private final int connections;
  private final int maxRun;

  /**
   * @param connections requests in flight at once; a run is at most 1/(2 × connections) of what
   *     remains, so every connection has work until the end
   * @param maxRun the longest run, in segments
   */
  SegmentQueue(int connections, int maxRun) {
    this.connections = Math.max(1, connections);
    this.maxRun = Math.max(1, maxRun);
  }

  synchronized void add(int segment) {
    pending.add(segment);
  }

  /** Puts segments {@code from} (inclusive) to {@code to} (exclusive) back, for another request. */
  synchronized void giveBack(int from, int to) {
    for (int i = from; i < to; i++) {
      pending.add(i);
    }
  }

  synchronized boolean isEmpty() {
    return pending.isEmpty();
  }

  /** The next run to fetch, from the lowest pending segment, or null when none is pending. */
  synchronized Run take() {
    if (pending.isEmpty()) {
      return null;
    }
    int want = (int) Math.max(1, Math.min(maxRun, pending.size() / (2L * connections)));
    int first = pending.pollFirst();
    int count = 1;
    while (count < want && pending.remove(first + count)) {
      count++;
    }
    return new Run(first, count);
  }
}
