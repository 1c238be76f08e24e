package io.ferry.merkledb.trie;

import io.ferry.merkledb.BranchFactor;
import java.util.ArrayList;
import java.util.List;
import java.util.function.Consumer;

/**
 * Builds a trie bottom-up from keys given in strictly increasing order, holding only the nodes on
 * the path of the latest key: when the next key leaves a subtree, that subtree is finished, hashed
 * and handed to the consumer (children before their parents). The shape is the one incremental
 * inserts give, so the root id is too. The kernel of both the bulk load and range-proof checking.
 *
 * <p>Not thread-safe; one trie per instance.
 */
public final class SortedBuilder {
  private final int width;
  private final Consumer<Node> finished;
  private final List<Node> stack = new ArrayList<>();
  private Path previous;

  /**
   * @param finished receives every node once it and its subtree are complete, its id set
   */
  public SortedBuilder(BranchFactor bf, Consumer<Node> finished) {
    this.width = bf.width();
    this.finished = finished;
  }

  /**
   * Adds a key with its value digest ({@link NodeHasher#valueDigest}).
   *
   * @throws IllegalArgumentException if {@code key} does not follow the previous key
   */
  public void add(Path key, byte[] valueDigest) {
    Node leaf = new Node(key, width);
    leaf.setValueDigest(valueDigest);
    add(leaf);
  }

  /**
   * Adds a key's node: its value digest set, no children, and its id either unset or already
   * computed ({@link NodeHasher#hash}) by the caller, which lets a bulk load hash leaves on another
   * thread. A precomputed id is kept only while the node stays a leaf: a later key under it adds a
   * child, which clears the id, and the node is hashed again when it is finished. The builder keeps
   * the node and hands this same object to the consumer.
   *
   * @throws IllegalArgumentException if the node's key does not follow the previous key, or the
   *     node has children or no value
   */
  public void add(Node leaf) {
    Path key = leaf.key();
    if (leaf.childCount() != 0 || !leaf.hasValue() || leaf.width() != width) {
      throw new IllegalArgumentException("not a leaf of this trie: " + leaf);
    }
    if (previous != null && previous.compareTo(key) >= 0) {
      throw new IllegalArgumentException(key + " does not follow " + previous);
    }
    if (previous == null) {
      stack.add(leaf);
      previous = key;
      return;
    }
    int lcp = previous.commonPrefixLength(key);
    Node pending = null;
    while (!stack.isEmpty() && top().key().length() > lcp) {
      Node n = stack.remove(stack.size() - 1);
      if (pending != null) {
        attach(n, pending);
      }
      emit(n);
      pending = n;
    }
    if (stack.isEmpty() || top().key().length() < lcp) {
      // The new key branches off inside the path to the finished subtree: a branch node there.
      Node branch = new Node(key.prefix(lcp), width);
      attach(branch, pending);
      stack.add(branch);
    } else if (pending != null) {
      attach(top(), pending);
    }
    stack.add(leaf);
    previous = key;
  }

  /** Finishes every open node; returns the root, or null if no key was added. */
  public Node finish() {
    Node pending = null;
    while (!stack.isEmpty()) {
      Node n = stack.remove(stack.size() - 1);
      if (pending != null) {
        attach(n, pending);
      }
      emit(n);
      pending = n;
    }
    return pending;
  }

  private Node top() {
    return stack.get(stack.size() - 1);
  }

  private static void attach(Node parent, Node child) {
    int depth = parent.key().length();
    parent.setChild(child.key().token(depth), Child.of(child.key().suffix(depth + 1), child));
  }

  private void emit(Node n) {
    if (n.id() == null) { // else a leaf hashed by the caller, and unchanged since
      n.setId(NodeHasher.hash(n));
    }
    finished.accept(n);
  }
}
