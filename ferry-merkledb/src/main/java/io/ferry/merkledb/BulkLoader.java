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
import java.util.function.Function;

/**
 * Builds a trie bottom-up from sorted key-values in one pass ({@link SortedBuilder}), writing each
 * finished node to the store's bulk ingestion; values stream into theirs at the same time. Not
 * thread-safe; one load per instance.
 */
final class BulkLoader {
  private static final int CHUNK = 1024;

  private final KvStore store;
  private final BranchFactor bf;
  private final SortedBuilder trie;
  private SortedWriter nodes;
  private long count;

  BulkLoader(KvStore store, BranchFactor bf) {
    this.store = store;
    this.bf = bf;
    this.trie = new SortedBuilder(bf, n -> nodes.put(n.key().storageKey(), NodeCodec.encode(n)));
  }

  long keysLoaded() {
    return count;
  }

  Head load(Iterator<KeyValue> sorted, long height) {
    return load(sorted, height, kv -> kv, kv -> NodeHasher.valueDigest(kv.value().unsafeArray()));
  }

  /** Like {@link #load}, with every value's digest given rather than hashed here. */
  Head loadDigested(Iterator<DigestedKeyValue> sorted, long height) {
    return load(sorted, height, DigestedKeyValue::keyValue, DigestedKeyValue::valueDigest);
  }

  private <T> Head load(
      Iterator<T> sorted, long height, Function<T, KeyValue> kvOf, Function<T, byte[]> digestOf) {
    Node root;
    try (SortedWriter values = store.sortedWriter(Column.VALUES);
        SortedWriter nodeWriter = store.sortedWriter(Column.NODES);
        ValueWriter valueWriter = new ValueWriter(values)) {
      nodes = nodeWriter;
      List<KeyValue> chunk = new ArrayList<>(CHUNK);
      while (sorted.hasNext()) {
        T next = sorted.next();
        KeyValue kv = kvOf.apply(next);
        add(kv, digestOf.apply(next));
        chunk.add(kv);
        if (chunk.size() == CHUNK) {
          valueWriter.submit(chunk);
          chunk = new ArrayList<>(CHUNK);
        }
      }
      valueWriter.submit(chunk);
      root = trie.finish();
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
            Thread.ofPlatform().name("ferry-bulk-values").daemon().factory());
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

  private void add(KeyValue kv, byte[] valueDigest) {
    Batch.checkLimits(kv.key(), java.util.Optional.of(kv.value()));
    try {
      trie.add(Path.ofKey(kv.key(), bf), valueDigest);
    } catch (IllegalArgumentException e) {
      throw new FerryException(
          ErrorCode.INVALID_ARGUMENT,
          "bulk load keys must be strictly increasing: "
              + kv.key()
              + " is not above the key before it",
          e);
    }
    count++;
  }
}
