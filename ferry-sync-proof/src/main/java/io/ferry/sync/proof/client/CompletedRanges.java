package io.ferry.sync.proof.client;

import io.ferry.core.Bytes;
import io.ferry.core.Hash;
import io.ferry.core.KeyRange;
import io.ferry.core.Limits;
import java.util.ArrayList;
import java.util.Collection;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.TreeMap;

/**
 * The ranges done so far, ordered by start; a range added next to one synced to the same root
 * merges with it, so a finished sync is one range covering every key. Not thread-safe: owned by the
 * sync manager's thread.
 */
final class CompletedRanges {
  // Key: the range's start; the unbounded start is stored as null, which sorts first.
  private final TreeMap<Bytes, CompletedRange> byStart =
      new TreeMap<>(java.util.Comparator.nullsFirst(java.util.Comparator.naturalOrder()));

  void add(CompletedRange done) {
    KeyRange range = done.range();
    if (range.end().isPresent() && KeyRange.successor(range.end().get()).isEmpty()) {
      // Ending at the largest key is ending nowhere: keep one form, so a finished sync is one
      // range.
      range = new KeyRange(range.start(), Optional.empty());
    }
    Bytes start = range.start().orElse(null);
    Map.Entry<Bytes, CompletedRange> before = start == null ? null : byStart.lowerEntry(start);
    if (before != null
        && before.getValue().root().equals(done.root())
        && Keys.adjacent(before.getValue().range(), range)) {
      byStart.remove(before.getKey());
      range = new KeyRange(before.getValue().range().start(), range.end());
    }
    Optional<Bytes> nextStart = range.end().flatMap(KeyRange::successor);
    if (nextStart.isPresent()) {
      CompletedRange after = byStart.get(nextStart.get());
      if (after != null && after.root().equals(done.root())) {
        byStart.remove(nextStart.get());
        range = new KeyRange(range.start(), after.range().end());
      }
    }
    byStart.put(range.start().orElse(null), new CompletedRange(range, done.root()));
  }

  /** An independent copy. */
  CompletedRanges copy() {
    CompletedRanges c = new CompletedRanges();
    c.byStart.putAll(byStart);
    return c;
  }

  /** True when one range covers every key, at {@code root}. */
  boolean coversAll(Hash root) {
    if (byStart.size() != 1) {
      return false;
    }
    CompletedRange only = byStart.firstEntry().getValue();
    return only.range().isUnbounded() && only.root().equals(root);
  }

  List<CompletedRange> list() {
    return new ArrayList<>(byStart.values());
  }

  int size() {
    return byStart.size();
  }

  void clear() {
    byStart.clear();
  }

  /** The parts of the key space no range covers, in order. */
  List<KeyRange> gaps() {
    List<KeyRange> out = new ArrayList<>();
    Optional<Bytes> from = Optional.empty(); // the next uncovered key; empty = -infinity
    for (CompletedRange c : byStart.values()) {
      KeyRange r = c.range();
      if (r.start().isPresent() && !from.equals(r.start())) {
        // The empty key, the smallest, has no predecessor; a range starting there starts first.
        Optional<Bytes> before = KeyRange.predecessor(r.start().get(), Limits.MAX_KEY_BYTES);
        if (before.isPresent()) {
          out.add(new KeyRange(from, before));
        }
      }
      if (r.end().isEmpty()) {
        return out;
      }
      Optional<Bytes> next = KeyRange.successor(r.end().get());
      if (next.isEmpty()) {
        return out;
      }
      from = next;
    }
    out.add(new KeyRange(from, Optional.empty()));
    return out;
  }

  static void addAll(CompletedRanges into, Collection<CompletedRange> ranges) {
    ranges.forEach(into::add);
  }
}
