package io.ferry.merkledb.trie;

import io.ferry.core.ErrorCode;
import io.ferry.core.FerryException;
import io.ferry.core.Hash;
import io.ferry.merkledb.BranchFactor;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.concurrent.RecursiveAction;

/**
 * The changed nodes of a trie on top of a base {@link NodeSource}: inserts and deletes rewrite only
 * the nodes on the paths they touch, copying them from the base first; {@link #hash()} then
 * computes the ids of every changed node, children before parents, top levels forked in parallel.
 *
 * <p>The root is always the node at the longest common prefix of all keys (merkledb's rule), so an
 * insert may create a new root above the old one and a delete may move the root down.
 *
 * <p>Not thread-safe while changing; after {@link #hash()}, safe for concurrent reads.
 */
public final class TrieDelta implements NodeSource {
  /** Marks a path whose node the delta removed. */
  private static final Node REMOVED = new Node(Path.ofTokens(BranchFactor.BF2), 2);

  private static final int PARALLEL_THRESHOLD = 2048;

  /** The stand-in value digest of a leaf that a delete removes unread. */
  private static final byte[] LEAF_BEING_DELETED = new byte[0];

  private final NodeSource base;
  private final BranchFactor bf;
  private final int width;
  private final Map<Path, Node> changed = new HashMap<>();

  /** The base's node at each path this delta copied to change, as the base had it. */
  private final Map<Path, Node> replaced = new HashMap<>();

  private Path root;
  private boolean hashed = true;

  public TrieDelta(NodeSource base) {
    this.base = base;
    this.bf = base.branchFactor();
    this.width = bf.width();
    this.root = base.rootPath();
  }

  @Override
  public BranchFactor branchFactor() {
    return bf;
  }

  @Override
  public Path rootPath() {
    return root;
  }

  @Override
  public Node node(Path path, Hash idHint) {
    Node n = changed.get(path);
    if (n != null) {
      return n == REMOVED ? null : n;
    }
    return base.node(path, idHint);
  }

  /** The changed nodes by path; a null value means the node was removed. */
  public Map<Path, Node> changes() {
    Map<Path, Node> out = new HashMap<>(changed.size() * 2);
    forEachChange(out::put);
    return out;
  }

  /**
   * Passes each changed path and its node (null if removed) to {@code action}, without copying, in
   * no particular order.
   */
  public void forEachChange(java.util.function.BiConsumer<Path, Node> action) {
    changed.forEach((p, n) -> action.accept(p, n == REMOVED ? null : n));
  }

  /**
   * The base's node at a path this delta changed, if the delta copied it to change it; null if the
   * base had no node there, or had a leaf there that the delta replaced or removed unread.
   */
  public Node replaced(Path path) {
    return replaced.get(path);
  }

  public int changedCount() {
    return changed.size();
  }

  /** The root id, hashing changed nodes first; {@link Hash#ZERO} for an empty trie. */
  public Hash rootId() {
    hash();
    if (root == null) {
      return Hash.ZERO;
    }
    return rootNode().id();
  }

  /**
   * The root node. While the root has not moved, asks the base for it, which knows the root's id
   * and so can answer from the node cache instead of reading and decoding the store.
   */
  @Override
  public Node rootNode() {
    if (root == null) {
      return null;
    }
    Node n = changed.get(root);
    if (n != null) {
      return n == REMOVED ? null : n;
    }
    return root.equals(base.rootPath()) ? base.rootNode() : base.node(root, null);
  }

  private Node existingRoot() {
    Node n = rootNode();
    if (n == null) {
      throw new FerryException(
          ErrorCode.CORRUPT_DATA, "trie root " + root + " is missing from the store");
    }
    return n;
  }

  private Node existing(Path path, Hash idHint) {
    Node n = node(path, idHint);
    if (n == null) {
      throw new FerryException(
          ErrorCode.CORRUPT_DATA, "trie node " + path + " is missing from the store");
    }
    return n;
  }

  /** The node at {@code path} as a copy this delta owns and may change. */
  private Node mutable(Path path, Hash idHint) {
    Node n = changed.get(path);
    if (n != null && n != REMOVED) {
      n.setId(null);
      return n;
    }
    Node original = existing(path, idHint);
    if (n == null) {
      replaced.put(path, original);
    }
    Node copy = original.copy();
    copy.setId(null);
    changed.put(path, copy);
    return copy;
  }

  private Node create(Path path) {
    Node n = new Node(path, width);
    changed.put(path, n);
    return n;
  }

  private Node leaf(Path key, byte[] valueDigest) {
    Node n = create(key);
    n.setValueDigest(valueDigest);
    return n;
  }

  /** An entry for {@code child}: clean if it is hashed, else pointing at it. */
  private static Child entry(Path compressedKey, Node child) {
    return child.id() != null ? Child.of(compressedKey, child) : Child.dirty(compressedKey, child);
  }

  private void remove(Path path) {
    changed.put(path, REMOVED);
  }

  /** Sets the value digest at the key path {@code key}, creating nodes as needed. */
  public void put(Path key, byte[] valueDigest) {
    hashed = false;
    if (root == null) {
      create(key).setValueDigest(valueDigest);
      root = key;
      return;
    }
    Node rootNode = existingRoot();
    int lcp = root.commonPrefixLength(key);
    if (lcp < root.length()) {
      // The new key leaves the current root's subtree: a new root at the common prefix.
      Path newRoot = key.prefix(lcp);
      Node nr = create(newRoot);
      nr.setChild(root.token(lcp), entry(root.suffix(lcp + 1), rootNode));
      if (lcp == key.length()) {
        nr.setValueDigest(valueDigest);
      } else {
        nr.setChild(key.token(lcp), Child.dirty(key.suffix(lcp + 1), leaf(key, valueDigest)));
      }
      root = newRoot;
      return;
    }
    Node n = mutable(root, rootNode.id());
    while (true) {
      int depth = n.key().length();
      if (depth == key.length()) {
        n.setValueDigest(valueDigest);
        return;
      }
      int t = key.token(depth);
      Child c = n.child(t);
      if (c == null) {
        n.setChild(t, Child.dirty(key.suffix(depth + 1), leaf(key, valueDigest)));
        return;
      }
      Path childPath = n.key().extend(t, c.compressedKey());
      int l = childPath.commonPrefixLength(key);
      if (l == childPath.length()) {
        if (l == key.length() && c.leaf() && c.pending() == null) {
          // A known leaf is its path and value digest: replace it without reading it.
          n.setChild(t, Child.dirty(c.compressedKey(), leaf(key, valueDigest)));
          return;
        }
        Node next = mutable(childPath, c.id());
        n.setChild(t, Child.dirty(c.compressedKey(), next));
        n = next;
        continue;
      }
      // The key diverges inside the child's compressed path: split it with a branch node.
      Path branchPath = key.prefix(l);
      Node b = create(branchPath);
      b.setChild(childPath.token(l), c.withKey(childPath.suffix(l + 1)));
      if (l == key.length()) {
        b.setValueDigest(valueDigest);
      } else {
        b.setChild(key.token(l), Child.dirty(key.suffix(l + 1), leaf(key, valueDigest)));
      }
      n.setChild(t, Child.dirty(branchPath.suffix(depth + 1), b));
      return;
    }
  }

  /**
   * Removes the value at the key path {@code key}, merging nodes left with one child and no value.
   *
   * @return false if there was no value there (nothing changed)
   */
  public boolean delete(Path key) {
    // Find the path from the root without copying anything, so a miss changes nothing.
    List<Node> trail = new ArrayList<>();
    Node n = root == null ? null : existingRoot();
    while (n != null && n.key().isPrefixOf(key)) {
      trail.add(n);
      if (n.key().length() == key.length()) {
        break;
      }
      Child c = n.child(key.token(n.key().length()));
      if (c == null) {
        n = null;
        break;
      }
      Path childPath = n.key().extend(key.token(n.key().length()), c.compressedKey());
      if (c.leaf() && c.hasValue() && c.pending() == null && childPath.equals(key)) {
        // The key's own leaf, known childless: it is about to go, so it need not be read.
        Node gone = new Node(childPath, width);
        gone.setValueDigest(LEAF_BEING_DELETED);
        changed.put(childPath, gone);
        trail.add(gone);
        break;
      }
      n = existing(childPath, c.id());
    }
    if (trail.isEmpty()) {
      return false;
    }
    Node target = trail.get(trail.size() - 1);
    if (!target.key().equals(key) || !target.hasValue()) {
      return false;
    }
    hashed = false;
    // Copy the path so every ancestor's entry is marked dirty.
    Node parent = null;
    for (int i = 0; i < trail.size(); i++) {
      Node m = mutable(trail.get(i).key(), trail.get(i).id());
      if (parent != null) {
        int t = m.key().token(parent.key().length());
        parent.setChild(t, Child.dirty(parent.child(t).compressedKey(), m));
      }
      trail.set(i, m);
      parent = m;
    }
    Node node = trail.get(trail.size() - 1);
    Node up = trail.size() > 1 ? trail.get(trail.size() - 2) : null;
    node.setValueDigest(null);
    if (node.childCount() == 0) {
      remove(node.key());
      if (up == null) {
        root = null;
        return true;
      }
      up.setChild(node.key().token(up.key().length()), null);
      if (!up.hasValue() && up.childCount() == 1) {
        Node grand = trail.size() > 2 ? trail.get(trail.size() - 3) : null;
        collapse(up, grand);
      }
    } else if (node.childCount() == 1) {
      collapse(node, up);
    }
    return true;
  }

  /** Replaces a valueless node with one child by that child, in its parent or as the root. */
  private void collapse(Node node, Node parent) {
    int index = node.onlyChildIndex();
    Child only = node.child(index);
    Path childPath = node.childPath(index);
    remove(node.key());
    if (parent == null) {
      root = childPath;
    } else {
      int depth = parent.key().length();
      parent.setChild(childPath.token(depth), only.withKey(childPath.suffix(depth + 1)));
    }
  }

  /**
   * Computes the id of every changed node, children before parents, following the entries that
   * point at changed children from the root down; large deltas split the top two levels into
   * fork-join tasks so that subtrees hash in parallel.
   */
  public void hash() {
    if (hashed) {
      return;
    }
    Node r = root == null ? null : changed.get(root);
    if (r != null && r != REMOVED && r.id() == null) {
      if (changed.size() >= PARALLEL_THRESHOLD) {
        // Invoked here, so the calling thread hashes from the start; the common pool's workers
        // take the forked subtrees.
        new HashTask(r, 0).invoke();
      } else {
        hashSubtree(r);
      }
    }
    hashed = true;
  }

  private static void hashSubtree(Node n) {
    for (int i = 0, w = n.childCount() == 0 ? 0 : n.width(); i < w; i++) {
      Child c = n.child(i);
      if (c != null && c.id() == null) {
        hashSubtree(pendingChild(n, i, c));
      }
    }
    hashSelf(n);
  }

  private static Node pendingChild(Node n, int i, Child c) {
    Node child = c.pending();
    if (child == null) {
      throw new FerryException(
          ErrorCode.INTERNAL, "dirty child " + n.childPath(i) + " of " + n.key() + " is lost");
    }
    return child;
  }

  /** Fills in the ids of the (now hashed) dirty children, then hashes the node. */
  private static void hashSelf(Node n) {
    for (int i = 0, w = n.childCount() == 0 ? 0 : n.width(); i < w; i++) {
      Child c = n.child(i);
      if (c != null && c.id() == null) {
        Node child = c.pending();
        n.setChild(i, Child.of(c.compressedKey(), child));
      }
    }
    n.setId(NodeHasher.hash(n));
  }

  /** Hashes a subtree, forking its dirty children near the root. */
  private static final class HashTask extends RecursiveAction {
    private static final long serialVersionUID = 1L;
    private static final int FORK_LEVELS = 2;
    private final transient Node node;
    private final int level;

    HashTask(Node node, int level) {
      this.node = node;
      this.level = level;
    }

    @Override
    protected void compute() {
      if (level >= FORK_LEVELS) {
        hashSubtree(node);
        return;
      }
      List<HashTask> tasks = new ArrayList<>();
      for (int i = 0, w = node.width(); i < w; i++) {
        Child c = node.child(i);
        if (c != null && c.id() == null) {
          tasks.add(new HashTask(pendingChild(node, i, c), level + 1));
        }
      }
      invokeAll(tasks);
      hashSelf(node);
    }
  }
}
