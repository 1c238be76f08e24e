package io.ferry.merkledb;

import io.ferry.core.ErrorCode;
import io.ferry.core.FerryException;
import io.ferry.core.Hash;
import io.ferry.merkledb.store.Column;
import io.ferry.merkledb.store.KvStore;
import io.ferry.merkledb.store.NodeCodec;
import io.ferry.merkledb.store.SortedWriter;
import io.ferry.merkledb.trie.Node;
import io.ferry.merkledb.trie.NodeHasher;
import io.ferry.merkledb.trie.Path;
import io.ferry.merkledb.trie.SortedBuilder;
import java.util.ArrayDeque;
import java.util.Arrays;
import java.util.Iterator;
import java.util.Optional;
import java.util.concurrent.ArrayBlockingQueue;
import java.util.concurrent.BlockingQueue;
import java.util.concurrent.ExecutionException;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.Future;
import java.util.concurrent.TimeUnit;
import java.util.function.Function;

/**
 * Builds a trie bottom-up from sorted key-values in one pass ({@link SortedBuilder}), writing each
 * finished node to the store's bulk ingestion; values stream into theirs at the same time.
 *
 * <p>Three threads share the work. The caller's thread reads the iterator and builds the trie; a
 * hashing thread prepares each key's leaf ahead of it, in batches (the key's path, the value
 * digest, the leaf's id, storage key and record: all independent per key), and writes the values; a
 * node thread writes the nodes the trie finishes. The trie stays a single sequential pass, and a
 * leaf that turns out to have children (its key is a prefix of a later one) is hashed again when it
 * is finished, so the nodes and root are those of the sequential build. Not thread-safe; one load
 * per instance.
 */
final class BulkLoader {
  /** Keys per batch handed between the threads. */
  private static final int BATCH = 1024;

  /**
   * Batches queued for each file's writer. Small queues keep the entries in the cache between the
   * thread that makes them and the one that writes them.
   */
  private static final int QUEUED = 16;

  /** Batches the hashing thread may work on ahead of the trie. */
  private static final int AHEAD = 4;

  private final KvStore store;
  private final BranchFactor bf;
  private final SortedBuilder trie;
  private WriterThread nodeThread;
  private Entries pendingNodes = new Entries(BATCH); // nodes finished, not yet handed over
  private Leaf lastAdded; // the leaf the builder can emit next as a leaf
  private long count;

  BulkLoader(KvStore store, BranchFactor bf) {
    this.store = store;
    this.bf = bf;
    this.trie = new SortedBuilder(bf, this::write);
  }

  long keysLoaded() {
    return count;
  }

  Head load(Iterator<KeyValue> sorted, long height) {
    return load(sorted, height, kv -> kv, kv -> null);
  }

  /** Like {@link #load}, with every value's digest given rather than hashed here. */
  Head loadDigested(Iterator<DigestedKeyValue> sorted, long height) {
    return load(sorted, height, DigestedKeyValue::keyValue, DigestedKeyValue::valueDigest);
  }

  /**
   * @param digestOf the value digest given with an item, or null to hash the value
   */
  private <T> Head load(
      Iterator<T> sorted, long height, Function<T, KeyValue> kvOf, Function<T, byte[]> digestOf) {
    Node root;
    try (SortedWriter values = store.sortedWriter(Column.VALUES);
        SortedWriter nodeWriter = store.sortedWriter(Column.NODES);
        WriterThread valueThread = new WriterThread("ferry-bulk-values", values, "writing values");
        WriterThread nodeThread =
            new WriterThread("ferry-bulk-nodes", nodeWriter, "writing nodes");
        LeafHasher hasher = new LeafHasher(bf, valueThread)) {
      this.nodeThread = nodeThread;
      ArrayDeque<Future<Leaf[]>> ahead = new ArrayDeque<>();
      while (sorted.hasNext()) {
        KeyValue[] batch = new KeyValue[BATCH];
        byte[][] digests = new byte[BATCH][];
        int n = 0;
        while (n < BATCH && sorted.hasNext()) {
          T next = sorted.next();
          digests[n] = digestOf.apply(next);
          batch[n++] = kvOf.apply(next);
        }
        ahead.add(
            hasher.prepare(
                n == BATCH ? batch : Arrays.copyOf(batch, n),
                n == BATCH ? digests : Arrays.copyOf(digests, n)));
        if (ahead.size() >= AHEAD) {
          build(hasher.result(ahead.poll()));
        }
      }
      while (!ahead.isEmpty()) {
        build(hasher.result(ahead.poll()));
      }
      root = trie.finish();
      nodeThread.submit(pendingNodes);
      nodeThread.finish();
      // Every batch's future is done, so the hasher has handed over every value.
      valueThread.finish();
      values.commit();
      nodeWriter.commit();
    }
    if (root == null) {
      return new Head(new Revision(height, Hash.ZERO), null);
    }
    return new Head(new Revision(height, root.id()), root.key());
  }

  /** Adds a prepared batch to the trie in order. */
  private void build(Leaf[] leaves) {
    for (Leaf leaf : leaves) {
      KeyValue kv = leaf.kv;
      Batch.checkLimits(kv.key(), Optional.of(kv.value()));
      try {
        trie.add(leaf.node);
      } catch (IllegalArgumentException e) {
        throw new FerryException(
            ErrorCode.INVALID_ARGUMENT,
            "bulk load keys must be strictly increasing: "
                + kv.key()
                + " is not above the key before it",
            e);
      }
      lastAdded = leaf;
      count++;
    }
  }

  /**
   * Hands a finished node to the node writer (the builder finishes nodes in storage-key order). A
   * leaf is finished when the key after it is added (or at the end), so a node finished with no
   * children is the last key added before: its storage key and record were prepared with it. Any
   * other node is encoded here.
   */
  private void write(Node n) {
    Leaf leaf = lastAdded;
    if (leaf != null && leaf.node == n && n.childCount() == 0) {
      pendingNodes.add(leaf.storageKey, leaf.record);
    } else {
      pendingNodes.add(n.key().storageKey(), NodeCodec.encode(n));
    }
    if (pendingNodes.full()) {
      nodeThread.submit(pendingNodes);
      pendingNodes = new Entries(BATCH);
    }
  }

  /**
   * A key's leaf, prepared off the trie's thread: the node with its value digest and id, the node's
   * storage key and its stored record (both valid while it has no children).
   */
  private record Leaf(KeyValue kv, Node node, byte[] storageKey, byte[] record) {
    /**
     * @param digest the value's digest if given (a verifier computed it), else null
     */
    static Leaf of(KeyValue kv, byte[] digest, BranchFactor bf) {
      Path path = Path.ofKey(kv.key(), bf);
      Node node = new Node(path, bf.width());
      node.setValueDigest(
          digest != null ? digest : NodeHasher.valueDigest(kv.value().unsafeArray()));
      node.setId(NodeHasher.hash(node));
      return new Leaf(kv, node, path.storageKey(), NodeCodec.encode(node));
    }
  }

  /**
   * Prepares batches of leaves on a thread of its own, in submission order, and hands each batch's
   * values on to their writer. It hands values over only while keys strictly increase; past a key
   * out of order it only prepares, and the trie's thread reports the error when it gets there, so
   * the value file never sees one.
   */
  private static final class LeafHasher implements AutoCloseable {
    private final BranchFactor bf;
    private final WriterThread values;
    private final ExecutorService thread =
        Executors.newSingleThreadExecutor(
            Thread.ofPlatform().name("ferry-bulk-hash").daemon().factory());
    private byte[] previousKey; // confined to the thread
    private boolean ordered = true;

    LeafHasher(BranchFactor bf, WriterThread values) {
      this.bf = bf;
      this.values = values;
    }

    Future<Leaf[]> prepare(KeyValue[] batch, byte[][] digests) {
      return thread.submit(
          () -> {
            Leaf[] out = new Leaf[batch.length];
            Entries kvs = new Entries(batch.length);
            for (int i = 0; i < batch.length; i++) {
              KeyValue kv = batch[i];
              out[i] = Leaf.of(kv, digests[i], bf);
              byte[] key = kv.key().unsafeArray();
              if (ordered) {
                if (previousKey != null && Arrays.compareUnsigned(previousKey, key) >= 0) {
                  ordered = false;
                } else {
                  kvs.add(key, kv.value().unsafeArray());
                  previousKey = key;
                }
              }
            }
            values.submit(kvs);
            return out;
          });
    }

    /** Waits for a batch, rethrowing what failed in preparing it. */
    Leaf[] result(Future<Leaf[]> f) {
      try {
        return f.get();
      } catch (InterruptedException e) {
        Thread.currentThread().interrupt();
        throw new FerryException(ErrorCode.ILLEGAL_STATE, "bulk load interrupted", e);
      } catch (ExecutionException e) {
        throw rethrow(e, "hashing leaves failed");
      }
    }

    @Override
    public void close() {
      stop(thread, "the bulk leaf hasher");
    }
  }

  /** Entries for a sorted writer, in key order; filled by one thread, then handed over whole. */
  private static final class Entries {
    final byte[][] keys;
    final byte[][] values;
    int size;

    Entries(int room) {
      keys = new byte[room][];
      values = new byte[room][];
    }

    void add(byte[] key, byte[] value) {
      keys[size] = key;
      values[size++] = value;
    }

    boolean full() {
      return size == keys.length;
    }
  }

  /**
   * Feeds a sorted writer (one column's SST files) from a thread of its own: RocksDB's per-entry
   * cost of writing the nodes is the largest single part of a load, so the trie's thread only hands
   * them over.
   */
  private static final class WriterThread implements AutoCloseable {
    private static final Entries END = new Entries(0);
    private final BlockingQueue<Entries> queue = new ArrayBlockingQueue<>(QUEUED);
    private final ExecutorService thread;
    private final Future<?> done;
    private final String what;

    WriterThread(String name, SortedWriter out, String what) {
      this.what = what;
      this.thread =
          Executors.newSingleThreadExecutor(Thread.ofPlatform().name(name).daemon().factory());
      done =
          thread.submit(
              () -> {
                while (true) {
                  Entries batch = queue.take();
                  if (batch == END) {
                    return null;
                  }
                  for (int i = 0; i < batch.size; i++) {
                    out.put(batch.keys[i], batch.values[i]);
                  }
                }
              });
    }

    void submit(Entries batch) {
      if (batch.size == 0) {
        return;
      }
      while (true) {
        try {
          if (queue.offer(batch, 100, TimeUnit.MILLISECONDS)) {
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

    /** Waits until every submitted entry is written, rethrowing the writer's failure. */
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
        throw rethrow(e, what + " failed");
      }
    }

    @Override
    public void close() {
      // On failure the thread may still be inside the SST writer, which the caller closes next:
      // stop it and wait, so native memory is never freed under it.
      stop(thread, "the bulk load's thread for " + what);
    }
  }

  private static RuntimeException rethrow(ExecutionException e, String what) {
    if (e.getCause() instanceof RuntimeException re) {
      return re;
    }
    if (e.getCause() instanceof Error err) {
      throw err;
    }
    return new FerryException(ErrorCode.IO_ERROR, what, e.getCause());
  }

  /** Stops a helper thread and waits for it. */
  private static void stop(ExecutorService thread, String what) {
    thread.shutdownNow();
    try {
      if (!thread.awaitTermination(1, TimeUnit.MINUTES)) {
        throw new FerryException(ErrorCode.INTERNAL, what + " did not stop");
      }
    } catch (InterruptedException e) {
      Thread.currentThread().interrupt();
    }
  }
}
