package io.ferry.merkledb;

import io.ferry.core.ErrorCode;
import io.ferry.core.FerryException;
import io.ferry.core.Hash;
import io.ferry.merkledb.store.Column;
import io.ferry.merkledb.store.KvStore;
import io.ferry.merkledb.store.NodeCodec;
import io.ferry.merkledb.store.WriteBatch;
import io.ferry.merkledb.trie.Child;
import io.ferry.merkledb.trie.Node;
import io.ferry.merkledb.trie.NodeHasher;
import io.ferry.merkledb.trie.Path;
import java.util.AbstractMap;
import java.util.ArrayList;
import java.util.Iterator;
import java.util.List;
import java.util.Map;

/**
 * Builds a trie bottom-up from sorted key-values in one pass, holding only the nodes on the path of
 * the latest key: when the next key leaves a subtree, that subtree is finished, hashed and written.
 * Values stream into the store's bulk ingestion at the same time. Not thread-safe; one load per
 * instance.
 */
final class BulkLoader {
  private static final long NODE_BATCH_BYTES = 32L << 20;

  private final KvStore store;
  private final BranchFactor bf;
  private final List<Node> stack = new ArrayList<>();
  private WriteBatch nodes = new WriteBatch();
  private Path previous;
  private long count;

  BulkLoader(KvStore store, BranchFactor bf) {
    this.store = store;
    this.bf = bf;
  }

  long keysLoaded() {
    return count;
  }

  Head load(Iterator<KeyValue> sorted, long height) {
    Iterator<Map.Entry<byte[], byte[]>> values =
        new Iterator<>() {
          @Override
          public boolean hasNext() {
            return sorted.hasNext();
          }

          @Override
          public Map.Entry<byte[], byte[]> next() {
            KeyValue kv = sorted.next();
            add(kv);
            return new AbstractMap.SimpleImmutableEntry<>(
                kv.key().unsafeArray(), kv.value().unsafeArray());
          }
        };
    store.ingestSorted(Column.VALUES, values);
    Node root = finish();
    store.writeUnlogged(nodes);
    store.flush();
    if (root == null) {
      return new Head(new Revision(height, Hash.ZERO), null);
    }
    return new Head(new Revision(height, root.id()), root.key());
  }

  private void add(KeyValue kv) {
    Batch.checkLimits(kv.key(), java.util.Optional.of(kv.value()));
    Path key = Path.ofKey(kv.key(), bf);
    if (previous != null && previous.compareTo(key) >= 0) {
      throw new FerryException(
          ErrorCode.INVALID_ARGUMENT,
          "bulk load keys must be strictly increasing: " + kv.key() + " after " + previous);
    }
    count++;
    Node leaf = new Node(key, bf.width());
    leaf.setValueDigest(NodeHasher.valueDigest(kv.value().unsafeArray()));
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
      Node branch = new Node(key.prefix(lcp), bf.width());
      attach(branch, pending);
      stack.add(branch);
    } else if (pending != null) {
      attach(top(), pending);
    }
    stack.add(leaf);
    previous = key;
  }

  private Node top() {
    return stack.get(stack.size() - 1);
  }

  private void attach(Node parent, Node child) {
    int depth = parent.key().length();
    parent.setChild(
        child.key().token(depth),
        new Child(child.key().suffix(depth + 1), child.id(), child.hasValue()));
  }

  private void emit(Node n) {
    n.setId(NodeHasher.hash(n));
    nodes.put(Column.NODES, n.key().storageKey(), NodeCodec.encode(n));
    if (nodes.bytes() >= NODE_BATCH_BYTES) {
      store.writeUnlogged(nodes);
      nodes = new WriteBatch();
    }
  }

  private Node finish() {
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
}
