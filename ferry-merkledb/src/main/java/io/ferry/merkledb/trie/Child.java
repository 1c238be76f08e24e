package io.ferry.merkledb.trie;

import io.ferry.core.Hash;

/**
 * A node's entry for one child: the child's path below the parent's token, its id, and whether it
 * holds a value. A null id means the child changed in a view and is not hashed yet.
 *
 * @param compressedKey the child's path after the parent's path and the child's token
 * @param id the child's node id, or null while it is dirty
 * @param hasValue whether the child node holds a value
 */
public record Child(Path compressedKey, Hash id, boolean hasValue) {
  public Child withId(Hash newId, boolean newHasValue) {
    return new Child(compressedKey, newId, newHasValue);
  }

  public Child dirty() {
    return id == null ? this : new Child(compressedKey, null, hasValue);
  }
}
