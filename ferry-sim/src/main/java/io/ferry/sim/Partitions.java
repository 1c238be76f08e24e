package io.ferry.sim;

import io.ferry.core.identity.NodeId;
import java.util.ArrayList;
import java.util.List;
import java.util.Set;

/**
 * The network's current cuts. Each cut separates two groups of nodes from the moment it is made
 * until {@link #heal}; nodes outside both groups are not affected by it.
 */
final class Partitions {
  private record Cut(Set<NodeId> a, Set<NodeId> b, long sinceNanos) {
    boolean separates(NodeId x, NodeId y) {
      return (a.contains(x) && b.contains(y)) || (b.contains(x) && a.contains(y));
    }
  }

  private final List<Cut> cuts = new ArrayList<>();

  void add(Set<NodeId> a, Set<NodeId> b, long nowNanos) {
    cuts.add(new Cut(Set.copyOf(a), Set.copyOf(b), nowNanos));
  }

  void heal() {
    cuts.clear();
  }

  boolean isEmpty() {
    return cuts.isEmpty();
  }

  boolean separated(NodeId x, NodeId y) {
    for (Cut c : cuts) {
      if (c.separates(x, y)) {
        return true;
      }
    }
    return false;
  }

  /**
   * Since when {@code x} and {@code y} have been separated without a break, in virtual nanos; -1 if
   * they are not separated now.
   */
  long separatedSince(NodeId x, NodeId y) {
    long since = -1;
    for (Cut c : cuts) {
      if (c.separates(x, y) && (since < 0 || c.sinceNanos < since)) {
        since = c.sinceNanos;
      }
    }
    return since;
  }
}
