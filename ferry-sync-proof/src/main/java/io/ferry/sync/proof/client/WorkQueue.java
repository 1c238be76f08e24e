package io.ferry.sync.proof.client;

import java.util.ArrayList;
import java.util.Comparator;
import java.util.List;
import java.util.TreeSet;

/**
 * Work not yet started: highest {@link Priority} first, and within a priority the lowest start key
 * first (unbounded start before any key), then first come first served. Deterministic order, so a
 * simulated sync replays. Not thread-safe: owned by the sync manager's thread.
 */
final class WorkQueue {
  private record Entry(WorkItem item, long seq) {}

  private static final Comparator<Entry> ORDER =
      Comparator.<Entry, Priority>comparing(e -> e.item().priority(), Comparator.reverseOrder())
          .thenComparing(
              e -> e.item().range().start(),
              (a, b) ->
                  a.isEmpty()
                      ? (b.isEmpty() ? 0 : -1)
                      : (b.isEmpty() ? 1 : a.get().compareTo(b.get())))
          .thenComparingLong(Entry::seq);

  private final TreeSet<Entry> entries = new TreeSet<>(ORDER);
  private long seq;

  void add(WorkItem item) {
    entries.add(new Entry(item, seq++));
  }

  /** The next item, or null if empty. */
  WorkItem poll() {
    Entry e = entries.pollFirst();
    return e == null ? null : e.item();
  }

  boolean isEmpty() {
    return entries.isEmpty();
  }

  int size() {
    return entries.size();
  }

  /** Removes and returns everything, in queue order. */
  List<WorkItem> drain() {
    List<WorkItem> out = new ArrayList<>(entries.size());
    entries.forEach(e -> out.add(e.item()));
    entries.clear();
    return out;
  }
}
