package io.ferry.merkledb.trie;

import io.ferry.core.Hash;
import java.util.Arrays;

/**
 * One trie node: its full path, the digest of its value (if it has one), and its children. A node
 * read from the store is treated as immutable and shared; a view changes a {@link #copy()}.
 *
 * <p>A node's id is the hash of its children's ids, its value digest and its path ({@link
 * NodeHasher}), so it is null while the node or any child is dirty. Not thread-safe while being
 * changed; safe to share once hashed and no longer changed.
 */
public final class Node {
  private final Path key;
  private byte[] valueDigest; // null: no value
  private final int width;
  private Child[] children; // allocated with the first child: most nodes are leaves
  private int childCount;
  private Hash id;

  public Node(Path key, int width) {
    this.key = key;
    this.width = width;
  }

  private Node(Node other) {
    this.key = other.key;
    this.valueDigest = other.valueDigest;
    this.width = other.width;
    this.children = other.children == null ? null : other.children.clone();
    this.childCount = other.childCount;
    this.id = other.id;
  }

  /** A copy to change; the copy keeps the id until something changes. */
  public Node copy() {
    return new Node(this);
  }

  public Path key() {
    return key;
  }

  public boolean hasValue() {
    return valueDigest != null;
  }

  /** The value digest (the value if shorter than 32 bytes, else its SHA-256), or null. */
  public byte[] valueDigest() {
    return valueDigest;
  }

  public void setValueDigest(byte[] digest) {
    this.valueDigest = digest;
    this.id = null;
  }

  public Child child(int index) {
    return children == null ? null : children[index];
  }

  public int childCount() {
    return childCount;
  }

  public int width() {
    return width;
  }

  public void setChild(int index, Child child) {
    if (children == null) {
      if (child == null) {
        return;
      }
      children = new Child[width];
    }
    if (children[index] == null && child != null) {
      childCount++;
    } else if (children[index] != null && child == null) {
      childCount--;
    }
    children[index] = child;
    id = null;
  }

  /** Index of the only child; the node must have exactly one. */
  public int onlyChildIndex() {
    for (int i = 0; children != null && i < children.length; i++) {
      if (children[i] != null) {
        return i;
      }
    }
    return -1;
  }

  /** The full path of the child at {@code index}. */
  public Path childPath(int index) {
    return key.extend(index, children[index].compressedKey());
  }

  /** The node id, or null if the node changed since it was last hashed. */
  public Hash id() {
    return id;
  }

  public void setId(Hash id) {
    this.id = id;
  }

  @Override
  public String toString() {
    return "Node("
        + key
        + ", value="
        + (valueDigest != null)
        + ", children="
        + childCount
        + ", id="
        + id
        + ")";
  }

  @Override
  public boolean equals(Object o) {
    return o instanceof Node n
        && key.equals(n.key)
        && Arrays.equals(valueDigest, n.valueDigest)
        && Arrays.equals(childArray(), n.childArray());
  }

  @Override
  public int hashCode() {
    return key.hashCode();
  }

  private Child[] childArray() {
    return children == null ? new Child[width] : children;
  }
}
