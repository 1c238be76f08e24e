package io.ferry.merkledb.trie;

import io.ferry.core.Hash;
import java.util.Objects;

/**
 * A node's entry for one child: the child's path below the parent's token, its id, whether it holds
 * a value, and how tall the child's subtree is, when known. While the child is changed in a {@link
 * TrieDelta} and not yet hashed, the entry has no id and points at the changed node instead, so
 * hashing never has to look it up.
 *
 * <p>The height is a hint outside the node's hash: 0 for a leaf (no children), 1 for a branch over
 * leaves alone, {@link #TALL} for anything taller, {@link #UNKNOWN} for an entry written before the
 * hint existed. A commit replaces or deletes a known leaf without reading it (a leaf is wholly its
 * path and value digest), and the node history rebuilds short subtrees from the key history instead
 * of storing them.
 *
 * @param compressedKey the child's path after the parent's path and the child's token
 * @param id the child's node id, or null while it is dirty
 * @param hasValue whether the child node holds a value
 * @param height the child's subtree height: 0, 1, {@link #TALL} or {@link #UNKNOWN}
 * @param pending the changed child node while {@code id} is null, else null; never stored
 */
public record Child(Path compressedKey, Hash id, boolean hasValue, int height, Node pending) {
  /** The height of a subtree whose height is not known. */
  public static final int UNKNOWN = -1;

  /** The height class of every subtree two or more levels tall. */
  public static final int TALL = 2;

  /** A clean entry whose height is not known. */
  public Child(Path compressedKey, Hash id, boolean hasValue) {
    this(compressedKey, id, hasValue, UNKNOWN, null);
  }

  /** A clean entry. */
  public Child(Path compressedKey, Hash id, boolean hasValue, int height) {
    this(compressedKey, id, hasValue, height, null);
  }

  /** A clean entry for a hashed node whose own entries are clean. */
  public static Child of(Path compressedKey, Node child) {
    return new Child(compressedKey, child.id(), child.hasValue(), heightOf(child), null);
  }

  /** A dirty entry pointing at the changed child. */
  static Child dirty(Path compressedKey, Node child) {
    return new Child(compressedKey, null, child.hasValue(), UNKNOWN, child);
  }

  /**
   * The height class of a node's subtree from its entries: 0 for no children, else one more than
   * its tallest child's (at most {@link #TALL}), unknown if any child's is.
   */
  public static int heightOf(Node n) {
    if (n.childCount() == 0) {
      return 0;
    }
    int tallest = 0;
    for (int i = 0, w = n.width(); i < w; i++) {
      Child c = n.child(i);
      if (c != null) {
        if (c.height == UNKNOWN) {
          return UNKNOWN;
        }
        tallest = Math.max(tallest, c.height);
      }
    }
    return Math.min(TALL, tallest + 1);
  }

  /** True if the child is known to have no children. */
  public boolean leaf() {
    return height == 0;
  }

  /** The same child seen from another parent, under {@code compressedKey}. */
  Child withKey(Path compressedKey) {
    return new Child(compressedKey, id, hasValue, height, pending);
  }

  /**
   * Equality ignores {@code pending} and {@code height} (a hint that an older record lacks): two
   * entries are equal if they describe the same child.
   */
  @Override
  public boolean equals(Object o) {
    return o instanceof Child c
        && compressedKey.equals(c.compressedKey)
        && Objects.equals(id, c.id)
        && hasValue == c.hasValue;
  }

  @Override
  public int hashCode() {
    return Objects.hash(compressedKey, id, hasValue);
  }
}
