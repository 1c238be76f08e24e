package io.ferry.sim.node;

import io.ferry.core.Bytes;
import io.ferry.core.KeyRange;
import io.ferry.sync.proof.client.CompletedRange;
import java.util.ArrayList;
import java.util.Comparator;
import java.util.List;
import java.util.Optional;

/** Key-range coverage arithmetic for checking sync progress. */
public final class Coverage {
  private Coverage() {}

  private static final Comparator<Optional<Bytes>> STARTS =
      (a, b) ->
          a.isEmpty() ? (b.isEmpty() ? 0 : -1) : (b.isEmpty() ? 1 : a.get().compareTo(b.get()));

  /** The ranges merged where they touch or overlap, in order. */
  public static List<KeyRange> union(List<KeyRange> ranges) {
    List<KeyRange> sorted = new ArrayList<>(ranges);
    sorted.sort((x, y) -> STARTS.compare(x.start(), y.start()));
    List<KeyRange> out = new ArrayList<>();
    for (KeyRange r : sorted) {
      if (!out.isEmpty()) {
        KeyRange last = out.get(out.size() - 1);
        boolean joins =
            last.end().isEmpty()
                || r.start().isEmpty()
                || KeyRange.successor(last.end().get())
                    .map(next -> r.start().get().compareTo(next) <= 0)
                    .orElse(true);
        if (joins) {
          Optional<Bytes> end =
              last.end().isEmpty() || r.end().isEmpty()
                  ? Optional.empty()
                  : Optional.of(
                      last.end().get().compareTo(r.end().get()) >= 0
                          ? last.end().get()
                          : r.end().get());
          out.set(out.size() - 1, new KeyRange(last.start(), end));
          continue;
        }
      }
      out.add(r);
    }
    return out;
  }

  /** Whether {@code inner} lies within {@code outer}. */
  public static boolean contains(KeyRange outer, KeyRange inner) {
    boolean startOk =
        outer.start().isEmpty()
            || (inner.start().isPresent()
                && outer.start().get().compareTo(inner.start().get()) <= 0);
    boolean endOk =
        outer.end().isEmpty()
            || (inner.end().isPresent() && inner.end().get().compareTo(outer.end().get()) <= 0);
    return startOk && endOk;
  }

  /** A range of {@code before} that {@code after} no longer covers, described, or null. */
  public static String lost(List<CompletedRange> before, List<CompletedRange> after) {
    List<KeyRange> now = union(after.stream().map(CompletedRange::range).toList());
    for (CompletedRange c : before) {
      if (now.stream().noneMatch(u -> contains(u, c.range()))) {
        return c.range() + " at " + c.root() + " (now covered: " + now + ")";
      }
    }
    return null;
  }
}
