package io.ferry.blocks.exchange;

import io.ferry.blocks.dataset.BlockProof;
import io.ferry.blocks.store.BlockStore;
import io.ferry.core.Hash;
import io.ferry.core.Sha256Hasher;
import java.security.MessageDigest;
import java.util.ArrayList;
import java.util.BitSet;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.NavigableMap;
import java.util.Optional;

/**
 * Proofs for blocks rebuilt by erasure decoding, which arrived with none. A node's hash is found in
 * the proof of a held leaf whose path passes beside it, or computed from its children, down to
 * leaves whose digests are known (held, or just rebuilt). The proof is then checked against the
 * root like any other: a rebuilt block the tree does not commit to (the uploader's parity was
 * wrong) gets no proof.
 *
 * <p>Not thread-safe: one per repair.
 */
final class RepairProofs {
  private final BlockStore store;
  private final io.ferry.blocks.cid.Cid tree;
  private final int leaves;
  private final BitSet held;
  private final NavigableMap<Integer, Hash> rebuilt;
  private final Map<Long, Hash> memo = new HashMap<>();
  private final MessageDigest sha = Sha256Hasher.newDigest();

  RepairProofs(
      BlockStore store,
      io.ferry.blocks.cid.Cid tree,
      int leaves,
      BitSet held,
      NavigableMap<Integer, Hash> rebuilt) {
    this.store = store;
    this.tree = tree;
    this.leaves = leaves;
    this.held = held;
    this.rebuilt = rebuilt;
  }

  private int width(int level) {
    return ((leaves - 1) >> level) + 1;
  }

  private int levels() {
    int l = 0;
    while (width(l) > 1) {
      l++;
    }
    return l;
  }

  /** The proof of rebuilt leaf {@code index}, or empty when the hashes beside it are unknown. */
  Optional<BlockProof> prove(int index) {
    List<Hash> siblings = new ArrayList<>();
    for (int level = 0; level < levels(); level++) {
      int s = (index >> level) ^ 1;
      if (s < width(level)) {
        Hash h = node(level, s);
        if (h == null) {
          return Optional.empty();
        }
        siblings.add(h);
      }
    }
    return Optional.of(new BlockProof(index, leaves, siblings));
  }

  private Hash node(int level, int pos) {
    long key = ((long) level << 32) | pos;
    Hash known = memo.get(key);
    if (known != null) {
      return known;
    }
    long first = (long) pos << level;
    long end = Math.min(leaves, ((long) pos + 1) << level);
    int heldIn = held.nextSetBit((int) first);
    Integer rebuiltIn = rebuilt.ceilingKey((int) first);
    boolean anyBelow = (heldIn >= 0 && heldIn < end) || (rebuiltIn != null && rebuiltIn < end);
    Hash h = null;
    if (level == 0) {
      h = rebuilt.containsKey(pos) ? rebuilt.get(pos) : held.get(pos) ? digestOf(pos) : null;
    } else {
      h = fromBeside(level, pos);
      if (h == null && anyBelow) {
        Hash left = node(level - 1, 2 * pos);
        if (left != null) {
          if (2 * pos + 1 < width(level - 1)) {
            Hash right = node(level - 1, 2 * pos + 1);
            h = right == null ? null : parent(left, right);
          } else {
            h = left; // lifted unpaired
          }
        }
      }
    }
    if (h != null) {
      memo.put(key, h);
    }
    return h;
  }

  /** The node from the proof of a held leaf under its sibling, whose path passes beside it. */
  private Hash fromBeside(int level, int pos) {
    int sib = pos ^ 1;
    if (sib >= width(level)) {
      return null;
    }
    long first = (long) sib << level;
    long end = Math.min(leaves, ((long) sib + 1) << level);
    int j = held.nextSetBit((int) first);
    if (j < 0 || j >= end) {
      return null;
    }
    Optional<BlockStore.Leaf> leaf = store.leaf(tree, j);
    if (leaf.isEmpty()) {
      return null;
    }
    int k = 0;
    for (int l = 0; l < level; l++) {
      if (((j >> l) ^ 1) < width(l)) {
        k++;
      }
    }
    List<Hash> siblings = leaf.get().proof().siblings();
    return k < siblings.size() ? siblings.get(k) : null;
  }

  private Hash digestOf(int index) {
    return store.leaf(tree, index).map(l -> Hash.wrap(sha.digest(l.data()))).orElse(null);
  }

  private Hash parent(Hash left, Hash right) {
    return io.ferry.blocks.dataset.BlockTree.parent(sha, left, right);
  }
}
