package io.ferry.merkledb;

import io.ferry.core.ErrorCode;
import io.ferry.core.FerryException;
import io.ferry.core.Hash;
import java.util.ArrayList;
import java.util.Iterator;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.CompletionException;
import java.util.function.Predicate;
import java.util.function.Supplier;

/**
 * The tries of a few recent past roots (the head with later changes undone, see {@link
 * MerkleDB#rangeProof}), each with the head snapshot it reads through, so that many proofs at one
 * sync target do not each rebuild it. Keyed by root: tries with one root hold the same key-values,
 * so any of them serves. A trie is built once however many proofs ask for it at the same time.
 *
 * <p>Bounded by entry count and by changed nodes held (the memory a past trie takes). The least
 * recently used entry goes first; one larger than the whole budget serves the proofs waiting for it
 * and is dropped. An entry's snapshot is released when it has been dropped and no proof holds it.
 *
 * <p>Thread-safe.
 */
final class PastTries implements AutoCloseable {
  /** A built past trie and the snapshot it reads through. */
  record Built(StateSnapshot base, View trie) {}

  /** A trie lent to one proof; close it when done. */
  interface Lease extends AutoCloseable {
    TrieReader trie();

    @Override
    void close();

    /** A lease of a trie someone else closes. */
    static Lease of(TrieReader trie) {
      return new Lease() {
        @Override
        public TrieReader trie() {
          return trie;
        }

        @Override
        public void close() {}
      };
    }
  }

  private static final class Entry {
    final Hash root;
    final CompletableFuture<Built> built = new CompletableFuture<>();
    int leases; // guarded by PastTries.this
    long weight; // guarded by PastTries.this; counted in the total once built
    boolean dropped; // guarded by PastTries.this

    Entry(Hash root) {
      this.root = root;
    }
  }

  private final int maxEntries;
  private final long maxChangedNodes;
  private final LinkedHashMap<Hash, Entry> entries = new LinkedHashMap<>(16, 0.75f, true);
  private long changedNodes; // guarded by this
  private boolean closed; // guarded by this

  PastTries(int maxEntries, long maxChangedNodes) {
    this.maxEntries = maxEntries;
    this.maxChangedNodes = maxChangedNodes;
  }

  /** The trie of {@code root}, cached or built now by {@code build}. */
  Lease acquire(Hash root, Supplier<Built> build) {
    Entry e;
    boolean builder = false;
    synchronized (this) {
      if (closed) {
        throw new FerryException(ErrorCode.ILLEGAL_STATE, "the MerkleDB is closed");
      }
      e = entries.get(root);
      if (e == null) {
        e = new Entry(root);
        builder = true;
        if (maxEntries > 0) {
          entries.put(root, e);
        } else {
          e.dropped = true;
        }
      }
      e.leases++;
    }
    if (builder) {
      build(e, build);
    }
    Built b;
    try {
      b = e.built.join();
    } catch (CompletionException failed) {
      release(e);
      throw failed.getCause() instanceof RuntimeException r ? r : failed;
    }
    Entry leased = e;
    return new Lease() {
      private boolean released;

      @Override
      public TrieReader trie() {
        return b.trie();
      }

      @Override
      public synchronized void close() {
        if (!released) {
          released = true;
          release(leased);
        }
      }
    };
  }

  private void build(Entry e, Supplier<Built> build) {
    Built b;
    try {
      b = build.get();
    } catch (RuntimeException failed) {
      synchronized (this) {
        entries.remove(e.root, e);
        e.dropped = true;
      }
      e.built.completeExceptionally(failed);
      return;
    }
    List<Entry> released;
    synchronized (this) {
      if (!e.dropped) {
        e.weight = Math.max(1, b.trie().changedNodeCount());
        changedNodes += e.weight;
      }
      e.built.complete(b);
      released = trim();
    }
    released.forEach(PastTries::releaseSnapshot);
  }

  /** Drops least recently used entries beyond the bounds; returns those no proof holds. */
  private List<Entry> trim() {
    List<Entry> out = new ArrayList<>();
    Iterator<Entry> it = entries.values().iterator();
    while (it.hasNext() && (entries.size() > maxEntries || changedNodes > maxChangedNodes)) {
      Entry e = it.next();
      if (e.built.isDone()) { // one being built has no weight yet: it is never the excess
        it.remove();
        drop(e, out);
      }
    }
    return out;
  }

  private void drop(Entry e, List<Entry> releasable) {
    e.dropped = true;
    changedNodes -= e.weight;
    e.weight = 0;
    if (e.leases == 0) {
      releasable.add(e);
    }
  }

  private void release(Entry e) {
    boolean last;
    synchronized (this) {
      e.leases--;
      last = e.dropped && e.leases == 0;
    }
    if (last) {
      releaseSnapshot(e);
    }
  }

  private static void releaseSnapshot(Entry e) {
    Built b = e.built.isCompletedExceptionally() ? null : e.built.getNow(null);
    if (b != null) {
      b.base().close();
    }
  }

  /** Drops the entries whose root {@code keep} rejects (roots that left the history window). */
  void retainOnly(Predicate<Hash> keep) {
    List<Entry> released = new ArrayList<>();
    synchronized (this) {
      Iterator<Entry> it = entries.values().iterator();
      while (it.hasNext()) {
        Entry e = it.next();
        if (!keep.test(e.root)) {
          it.remove();
          drop(e, released);
        }
      }
    }
    released.forEach(PastTries::releaseSnapshot);
  }

  /** Entries cached now. */
  synchronized int size() {
    return entries.size();
  }

  /** Proofs holding or waiting for the cached trie of {@code root} now; 0 if none is cached. */
  synchronized int leases(Hash root) {
    for (Entry e : entries.values()) { // not get(): that would count as a use of the entry
      if (e.root.equals(root)) {
        return e.leases;
      }
    }
    return 0;
  }

  /** Drops every entry; snapshots still lent are released when their proofs finish. */
  @Override
  public void close() {
    List<Entry> released = new ArrayList<>();
    synchronized (this) {
      closed = true;
      entries.values().forEach(e -> drop(e, released));
      entries.clear();
    }
    released.forEach(PastTries::releaseSnapshot);
  }
}
