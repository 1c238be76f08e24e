package io.ferry.merkledb.trie;

import io.ferry.core.Hash;
import java.util.Objects;

/**
 * A node's entry for one child: the child's path below the parent's token, its id, whether it holds
 * a value, and whether it is known to have no children. While the child is changed in a {@link
 * TrieDelta} and not yet hashed, the entry has no id and points at the changed node instead, so
 * hashing never has to look it up.
 *
 * <p>The leaf flag lets a commit replace or delete a leaf without reading it: a leaf is wholly
 * described by its path and value digest. It is never part of a node's hash; false means "not
 * known" (a record written before the flag existed), never "has children".
 *
 * @param compressedKey the child's path after the parent's path and the child's token
 * @param id the child's node id, or null while it is dirty
 * @param hasValue whether the child node holds a value
 * @param leaf true if the child is known to have no children
 * @param pending the changed child node while {@code id} is null, else null; never stored
 */
public record Child(Path compressedKey, Hash id, boolean hasValue, boolean leaf, Node pending) {
  /** A clean entry whose leafness is not known. */
  public Child(Path compressedKey, Hash id, boolean hasValue) {
    this(compressedKey, id, hasValue, false, null);
  }

  /** A clean entry. */
  public Child(Path compressedKey, Hash id, boolean hasValue, boolean leaf) {
    this(compressedKey, id, hasValue, leaf, null);
  }

  /** A clean entry for a hashed node. */
  public static Child of(Path compressedKey, Node child) {
    return new Child(compressedKey, child.id(), child.hasValue(), child.childCount() == 0, null);
  }

  /** A dirty entry pointing at the changed child. */
  static Child dirty(Path compressedKey, Node child) {
    return new Child(compressedKey, null, child.hasValue(), false, child);
  }

  /** The same child seen from another parent, under {@code compressedKey}. */
  Child withKey(Path compressedKey) {
    return new Child(compressedKey, id, hasValue, leaf, pending);
  }

  /**
   * Equality ignores {@code pending} and {@code leaf} (a hint that an older record lacks): two
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
