package io.ferry.merkledb;

import io.ferry.core.Bytes;
import io.ferry.core.Hash;
import io.ferry.core.KeyRange;
import io.ferry.merkledb.trie.Child;
import io.ferry.merkledb.trie.Node;
import io.ferry.merkledb.trie.NodeHasher;
import io.ferry.merkledb.trie.NodeSource;
import io.ferry.merkledb.trie.Path;
import io.ferry.merkledb.trie.TrieDelta;
import java.util.ArrayList;
import java.util.Iterator;
import java.util.List;
import java.util.Map;
import java.util.NavigableMap;
import java.util.Optional;
import java.util.TreeMap;
import java.util.function.Predicate;

/**
 * A batch of puts and deletes on top of a trie (a committed revision or another view), with its own
 * root computed before anything is written. Only the nodes on changed paths are rewritten and
 * hashed, deepest first, in parallel across cores.
 *
 * <p>A view built on a {@link MerkleDB}'s head can be committed with {@link MerkleDB#commit(View)}
 * while the head has not moved. Thread-safe for reads once {@link #root()} has been called (the
 * constructor hashes eagerly, so always); a view is never changed after it is built.
 */
public final class View implements TrieReader {
  private final TrieReader base;
  private final NavigableMap<Bytes, Optional<Bytes>> changes;
  private final TrieDelta delta;
  private final Hash root;

  private View(TrieReader base, Batch batch) {
    this.base = base;
    BranchFactor bf = base.branchFactor();
    this.changes = new TreeMap<>(batch.operations());
    this.delta = new TrieDelta(base.nodes());
    List<Map.Entry<Bytes, Optional<Bytes>>> effective = new ArrayList<>(changes.entrySet());
    // In parallel before the (sequential) trie edits: the value digests, and a walk down each
    // key's path that brings the branches the edits will copy into the node cache, so that the
    // store reads of a large batch are spread over the cores instead of made one by one.
    NodeSource nodes = base.nodes();
    boolean walk = effective.size() >= PREFETCH_MIN_KEYS;
    Path[] paths = new Path[effective.size()];
    byte[][] digests = new byte[effective.size()][];
    java.util.stream.IntStream.range(0, effective.size())
        .parallel()
        .forEach(
            i -> {
              Map.Entry<Bytes, Optional<Bytes>> e = effective.get(i);
              paths[i] = Path.ofKey(e.getKey(), bf);
              digests[i] =
                  e.getValue().map(v -> NodeHasher.valueDigest(v.unsafeArray())).orElse(null);
              if (walk) {
                readBranchesOnPath(nodes, paths[i]);
              }
            });
    for (int i = 0; i < effective.size(); i++) {
      Path path = paths[i];
      if (digests[i] == null) {
        delta.delete(path);
      } else {
        delta.put(path, digests[i]);
      }
    }
    this.root = delta.rootId();
  }

  /** Batches this large walk their keys' paths in parallel first; see the constructor. */
  private static final int PREFETCH_MIN_KEYS = 256;

  /**
   * Reads the branches from the root towards {@code key}, stopping at the first node that is not on
   * its path or is a known leaf (the edits replace leaves unread).
   */
  private static void readBranchesOnPath(NodeSource nodes, Path key) {
    Node n = nodes.rootNode();
    while (n != null && n.key().length() < key.length() && n.key().isPrefixOf(key)) {
      int t = key.token(n.key().length());
      Child c = n.child(t);
      if (c == null || c.leaf()) {
        return;
      }
      Path childPath = n.key().extend(t, c.compressedKey());
      if (!childPath.isPrefixOf(key)) {
        return;
      }
      n = nodes.node(childPath, c.id());
    }
  }

  /** A view of {@code batch} applied to {@code base}. */
  public static View of(TrieReader base, Batch batch) {
    return new View(base, batch);
  }

  /** A view of {@code batch} on top of this one. */
  public View newView(Batch batch) {
    return new View(this, batch);
  }

  /** The trie this view is built on. */
  public TrieReader base() {
    return base;
  }

  /** This view's own operations, by key (an empty value is a delete). */
  public NavigableMap<Bytes, Optional<Bytes>> changes() {
    return java.util.Collections.unmodifiableNavigableMap(changes);
  }

  /** The nodes this view changed, by path; a null node was removed. */
  public Map<Path, io.ferry.merkledb.trie.Node> changedNodes() {
    return delta.changes();
  }

  /** The base's node at a path this view copied to change it, else null; see {@link TrieDelta}. */
  io.ferry.merkledb.trie.Node replacedNode(Path path) {
    return delta.replaced(path);
  }

  int changedNodeCount() {
    return delta.changedCount();
  }

  /** Passes each changed node's path and node (null if removed) to {@code action}. */
  void forEachChangedNode(java.util.function.BiConsumer<Path, io.ferry.merkledb.trie.Node> action) {
    delta.forEachChange(action);
  }

  @Override
  public Optional<Bytes> get(Bytes key) {
    Optional<Bytes> change = changes.get(key);
    if (change != null) {
      return change;
    }
    return base.get(key);
  }

  @Override
  public void scan(KeyRange range, Predicate<KeyValue> visitor) {
    NavigableMap<Bytes, Optional<Bytes>> mine = changes;
    if (range.start().isPresent()) {
      mine = mine.tailMap(range.start().get(), true);
    }
    if (range.end().isPresent()) {
      mine = mine.headMap(range.end().get(), true);
    }
    MergeScan merge = new MergeScan(mine.entrySet().iterator(), visitor);
    base.scan(range, merge::baseEntry);
    merge.drain();
  }

  /** Merges this view's changes into the base's key-values, both in key order. */
  private static final class MergeScan {
    private final Iterator<Map.Entry<Bytes, Optional<Bytes>>> changes;
    private final Predicate<KeyValue> visitor;
    private Map.Entry<Bytes, Optional<Bytes>> pending;
    private boolean stopped;

    MergeScan(Iterator<Map.Entry<Bytes, Optional<Bytes>>> changes, Predicate<KeyValue> visitor) {
      this.changes = changes;
      this.visitor = visitor;
      advance();
    }

    private void advance() {
      pending = changes.hasNext() ? changes.next() : null;
    }

    /** Emits the pending change (a delete emits nothing); false if the visitor stopped. */
    private boolean emitPending() {
      Map.Entry<Bytes, Optional<Bytes>> e = pending;
      advance();
      if (e.getValue().isPresent() && !visitor.test(new KeyValue(e.getKey(), e.getValue().get()))) {
        stopped = true;
      }
      return !stopped;
    }

    boolean baseEntry(KeyValue kv) {
      while (pending != null && pending.getKey().compareTo(kv.key()) < 0) {
        if (!emitPending()) {
          return false;
        }
      }
      if (pending != null && pending.getKey().equals(kv.key())) {
        return emitPending(); // the change replaces (or deletes) the base's value
      }
      stopped = !visitor.test(kv);
      return !stopped;
    }

    void drain() {
      while (!stopped && pending != null) {
        emitPending();
      }
    }
  }

  @Override
  public Hash root() {
    return root;
  }

  @Override
  public NodeSource nodes() {
    return delta;
  }
}
