package io.ferry.merkledb;

import io.ferry.core.ErrorCode;
import io.ferry.core.FerryException;
import io.ferry.core.Hash;
import io.ferry.merkledb.store.Column;
import io.ferry.merkledb.store.KvStore;
import io.ferry.merkledb.store.NodeCodec;
import io.ferry.merkledb.store.SortedWriter;
import io.ferry.merkledb.trie.Child;
import io.ferry.merkledb.trie.Node;
import io.ferry.merkledb.trie.NodeHasher;
import io.ferry.merkledb.trie.Path;
import java.util.ArrayList;
import java.util.Iterator;
import java.util.List;
import java.util.concurrent.ArrayBlockingQueue;
import java.util.concurrent.BlockingQueue;
import java.util.concurrent.ExecutionException;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.Future;
import java.util.concurrent.TimeUnit;

/**
 * Builds a trie bottom-up from sorted key-values in one pass, holding only the nodes on the path of
 * the latest key: when the next key leaves a subtree, that subtree is finished, hashed and written.
 * Values stream into the store's bulk ingestion at the same time. Not thread-safe; one load per
 * instance.
 */
final class BulkLoader {
  private static final int CHUNK = 1024;

  private final KvStore store;
  private final BranchFactor bf;
  private final List<Node> stack = new ArrayList<>();
  private SortedWriter nodes;
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
    Node root;
    try (SortedWriter values = store.sortedWriter(Column.VALUES);
        SortedWriter nodeWriter = store.sortedWriter(Column.NODES);
        ValueWriter valueWriter = new ValueWriter(values)) {
      nodes = nodeWriter;
      List<KeyValue> chunk = new ArrayList<>(CHUNK);
      while (sorted.hasNext()) {
        KeyValue kv = sorted.next();
        add(kv);
        chunk.add(kv);
        if (chunk.size() == CHUNK) {
          valueWriter.submit(chunk);
          chunk = new ArrayList<>(CHUNK);
        }
      }
      valueWriter.submit(chunk);
      root = finish();
      valueWriter.finish();
      values.commit();
      nodeWriter.commit();
    }
    if (root == null) {
      return new Head(new Revision(height, Hash.ZERO), null);
    }
    return new Head(new Revision(height, root.id()), root.key());
  }

  /**
   * Writes values on a second thread while the caller builds and writes the trie: the two files are
   * independent, and on two cores this nearly halves the load time.
   */
  private static final class ValueWriter implements AutoCloseable {
    private static final List<KeyValue> END = List.of();
    private final BlockingQueue<List<KeyValue>> queue = new ArrayBlockingQueue<>(64);
    private final ExecutorService thread =
        Executors.newSingleThreadExecutor(
            r -> {
              Thread t = new Thread(r, "ferry-bulk-values");
              t.setDaemon(true);
              return t;
            });
    private final Future<?> done;

    ValueWriter(SortedWriter values) {
      done =
          thread.submit(
              () -> {
                while (true) {
                  List<KeyValue> chunk = queue.take();
                  if (chunk == END) {
                    return null;
                  }
                  for (KeyValue kv : chunk) {
                    values.put(kv.key().unsafeArray(), kv.value().unsafeArray());
                  }
                }
              });
    }

    void submit(List<KeyValue> chunk) {
      if (chunk.isEmpty()) {
        return;
      }
      while (true) {
        try {
          if (queue.offer(chunk, 100, TimeUnit.MILLISECONDS)) {
            return;
          }
          if (done.isDone()) {
            finish(); // the writer failed: surface its error
          }
        } catch (InterruptedException e) {
          Thread.currentThread().interrupt();
          throw new FerryException(ErrorCode.ILLEGAL_STATE, "bulk load interrupted", e);
        }
      }
    }

    /** Waits until every submitted value is written, rethrowing the writer's failure. */
    void finish() {
      try {
        if (!done.isDone()) {
          queue.put(END);
        }
        done.get();
      } catch (InterruptedException e) {
        Thread.currentThread().interrupt();
        throw new FerryException(ErrorCode.ILLEGAL_STATE, "bulk load interrupted", e);
      } catch (ExecutionException e) {
        if (e.getCause() instanceof RuntimeException re) {
          throw re;
        }
        throw new FerryException(ErrorCode.IO_ERROR, "writing values failed", e.getCause());
      }
    }

    @Override
    public void close() {
      // On failure the writer thread may still be inside the SST writer, which the caller closes
      // next: stop it and wait, so native memory is never freed under it.
      thread.shutdownNow();
      try {
        if (!thread.awaitTermination(1, TimeUnit.MINUTES)) {
          throw new FerryException(ErrorCode.INTERNAL, "the bulk value writer did not stop");
        }
      } catch (InterruptedException e) {
        Thread.currentThread().interrupt();
      }
    }
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
    nodes.put(n.key().storageKey(), NodeCodec.encode(n));
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
