package io.ferry.sync.push;

import io.ferry.merkledb.MerkleDB;
import io.ferry.merkledb.StateSnapshot;
import io.ferry.merkledb.View;

/**
 * Re-applies a pushed commit to a store: only when it continues the store (its parent is the
 * store's head, its height the next), and kept only if the root the batch makes is the root the
 * producer signed. No proof is needed: the store recomputes. Stateless; the caller serialises
 * commits to one store.
 */
public final class CommitReplay {
  private CommitReplay() {}

  /**
   * Applies {@code c} to {@code db} at the commit's height, or says why not. The head's signature
   * is the caller's to check before.
   */
  public static Applied replay(MerkleDB db, Commit c) {
    long height = db.height();
    if (c.height() <= height) {
      return Applied.ALREADY_HAD;
    }
    if (c.height() != height + 1 || !c.parentRoot().equals(db.root())) {
      return Applied.GAP;
    }
    try (StateSnapshot base = db.snapshot()) {
      View v = View.of(base, c.batch());
      if (!v.root().equals(c.head().root())) {
        return Applied.WRONG_ROOT;
      }
      db.commit(v, c.height());
      return Applied.APPLIED;
    }
  }
}
