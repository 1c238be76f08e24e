package io.ferry.sync.push;

import com.google.protobuf.ByteString;
import java.util.ArrayDeque;
import java.util.ArrayList;
import java.util.Iterator;
import java.util.List;

/**
 * The last commits a node made or applied, each encoded once for every push that carries it, of
 * consecutive heights: a commit that does not follow the newest (the node's state moved some other
 * way, by a change proof or a restore) starts the history again. Bounded by a count and by bytes;
 * the oldest go first.
 *
 * <p>Not thread-safe: its owner ({@link PushServer}) serialises calls.
 */
final class RecentCommits {
  /** A commit and its push encoding. */
  record Entry(Commit commit, ByteString encoded) {}

  private final int maxCommits;
  private final long maxBytes;
  private final ArrayDeque<Entry> entries = new ArrayDeque<>();
  private long bytes;

  RecentCommits(int maxCommits, long maxBytes) {
    this.maxCommits = maxCommits;
    this.maxBytes = maxBytes;
  }

  /** Adds the newest commit. */
  Entry add(Commit c) {
    Entry last = entries.peekLast();
    if (last != null
        && (c.height() != last.commit().height() + 1
            || !c.parentRoot().equals(last.commit().head().root()))) {
      entries.clear();
      bytes = 0;
    }
    Entry e = new Entry(c, Messages.commitEntry(c));
    entries.addLast(e);
    bytes += e.encoded().size();
    while (entries.size() > maxCommits || (bytes > maxBytes && entries.size() > 1)) {
      bytes -= entries.removeFirst().encoded().size();
    }
    return e;
  }

  /**
   * The commits after {@code known}, oldest first: those above its height, when the first of them
   * continues from its root; empty when none is newer or the history does not reach back to it.
   */
  List<Entry> after(KnownHead known) {
    List<Entry> out = new ArrayList<>();
    Iterator<Entry> it = entries.iterator();
    while (it.hasNext()) {
      Entry e = it.next();
      if (e.commit().height() <= known.height()) {
        continue;
      }
      if (out.isEmpty()
          && (e.commit().height() != known.height() + 1
              || !e.commit().parentRoot().equals(known.root()))) {
        return List.of();
      }
      out.add(e);
    }
    return out;
  }

  /** The newest commit's head, if any. */
  java.util.Optional<KnownHead> newest() {
    Entry last = entries.peekLast();
    return last == null ? java.util.Optional.empty() : java.util.Optional.of(last.commit().after());
  }

  int size() {
    return entries.size();
  }
}
