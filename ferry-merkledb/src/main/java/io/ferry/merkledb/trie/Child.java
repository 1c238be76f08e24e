package io.ferry.merkledb.trie;

import io.ferry.core.Hash;
import java.util.Objects;

/**
 * A node's entry for one child: the child's path below the parent's token, its id, and whether it
 * holds a value. While the child is changed in a {@link TrieDelta} and not yet hashed, the entry
 * has no id and points at the changed node instead, so hashing never has to look it up.
 *
 * @param compressedKey the child's path after the parent's path and the child's token
 * @param id the child's node id, or null while it is dirty
 * @param hasValue whether the child node holds a value
 * @param pending the changed child node while {@code id} is null, else null; never stored
 */
public record Child(Path compressedKey, Hash id, boolean hasValue, Node pending) {
  /** A clean entry: the child is hashed. */
  public Child(Path compressedKey, Hash id, boolean hasValue) {
    this(compressedKey, id, hasValue, null);
  }

  /** A dirty entry pointing at the changed child. */
  static Child dirty(Path compressedKey, Node child) {
    return new Child(compressedKey, null, child.hasValue(), child);
  }

  /** Equality ignores {@code pending}: two entries are equal if they describe the same child. */
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
