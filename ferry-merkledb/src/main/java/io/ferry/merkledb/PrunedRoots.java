package io.ferry.merkledb;

import io.ferry.core.Hash;
import java.util.Collection;
import java.util.LinkedHashMap;
import java.util.Map;

/**
 * The roots of the last {@code capacity} revisions that left the history window, so that a server
 * can tell a peer "that root is too old" rather than "never heard of it". Kept in memory only: a
 * reopened store has forgotten them. Thread-safe.
 */
final class PrunedRoots {
  private final Map<Hash, Boolean> roots;

  PrunedRoots(int capacity) {
    this.roots =
        new LinkedHashMap<>() {
          @Override
          protected boolean removeEldestEntry(Map.Entry<Hash, Boolean> eldest) {
            return size() > capacity;
          }
        };
  }

  synchronized void addAll(Collection<Hash> pruned) {
    for (Hash h : pruned) {
      roots.remove(h); // re-inserted as the newest
      roots.put(h, Boolean.TRUE);
    }
  }

  synchronized boolean contains(Hash root) {
    return roots.containsKey(root);
  }
}
