package io.ferry.node.api;

import io.ferry.core.Hash;
import io.ferry.gossip.head.SignedHead;
import java.util.LinkedHashMap;
import java.util.Map;
import java.util.Optional;

/**
 * The last few signed heads a node has held, by root: the ones its producer signed, or the ones it
 * accepted as a follower. A verified read proves a value against the state the store is at, which
 * may be a head or two behind the newest (a follower catching up), so the head to show is the one
 * whose root that state has. A root seen at several heights keeps the highest. Bounded: the oldest
 * entry goes when a new one would pass {@link #CAPACITY}. Thread-safe.
 */
public final class RecentHeads {
  /** Heads remembered: a follower more than this far behind answers 503 until it catches up. */
  public static final int CAPACITY = 64;

  private final Map<Hash, SignedHead> byRoot =
      new LinkedHashMap<>() {
        @Override
        protected boolean removeEldestEntry(Map.Entry<Hash, SignedHead> eldest) {
          return size() > CAPACITY;
        }
      };

  /** Remembers {@code head}, whose signature its source has checked. */
  public synchronized void remember(SignedHead head) {
    SignedHead held = byRoot.get(head.root());
    if (held != null && held.height() >= head.height()) {
      return;
    }
    byRoot.remove(head.root()); // re-inserted at the young end
    byRoot.put(head.root(), head);
  }

  /** The newest head remembered whose root is {@code root}. */
  public synchronized Optional<SignedHead> forRoot(Hash root) {
    return Optional.ofNullable(byRoot.get(root));
  }

  public synchronized int size() {
    return byRoot.size();
  }
}
