package io.ferry.blocks.store;

import io.ferry.blocks.cid.Cid;
import io.ferry.blocks.dataset.Manifest;
import java.util.BitSet;
import java.util.NavigableMap;
import java.util.concurrent.ConcurrentSkipListMap;
import java.util.concurrent.atomic.AtomicLong;
import java.util.concurrent.locks.ReentrantLock;
import java.util.function.Function;

/**
 * What the store knows in memory of one tree: its {@link DatasetRecord}'s figures, the manifests
 * that name it, and which leaves it holds.
 *
 * <p>Thread-safe. {@link #lock} orders every write to the tree and is held across the store write,
 * so the record written is always the one after the change; the figures are volatile for readers
 * that do not lock (listings, eviction order). The held leaves are guarded by this object's monitor
 * alone, so a presence check never waits for a write: a leaf reads as held once its write is done.
 */
final class TreeState {
  final Cid tree;
  final byte[] key;
  final ReentrantLock lock = new ReentrantLock();
  final NavigableMap<Cid, Manifest> manifests = new ConcurrentSkipListMap<>();

  // Written under lock.
  volatile boolean deleted;
  volatile int leaves;
  volatile long dataBytes;
  volatile long leafBytes;
  volatile long manifestBytes;
  // The store's logical clock at the last access (raised by any access, never lowered), and the
  // value the store has on disk.
  final AtomicLong lastAccess = new AtomicLong();
  volatile long persistedAccess;

  private Function<TreeState, BitSet> loader; // guarded by this; null once loaded
  private BitSet held; // guarded by this

  /** A tree the store has nothing of yet. */
  TreeState(Cid tree) {
    this.tree = tree;
    this.key = tree.toBytes();
    this.held = new BitSet();
  }

  /** A tree found at open; its held leaves are read by {@code loader} at first use. */
  TreeState(Cid tree, DatasetRecord record, Function<TreeState, BitSet> loader) {
    this.tree = tree;
    this.key = tree.toBytes();
    this.loader = loader;
    apply(record);
    this.persistedAccess = record.lastAccess();
  }

  /** Takes the figures of {@code record}, which the caller has just written (under lock). */
  void apply(DatasetRecord record) {
    leaves = record.leaves();
    dataBytes = record.dataBytes();
    leafBytes = record.leafBytes();
    touch(record.lastAccess());
  }

  /** Raises the last access to {@code tick}. */
  void touch(long tick) {
    lastAccess.accumulateAndGet(tick, Math::max);
  }

  DatasetRecord record(boolean deleting) {
    return new DatasetRecord(deleting, leaves, dataBytes, leafBytes, lastAccess.get());
  }

  /** Bytes that deleting this tree frees at most (less where its blocks are shared). */
  long charge() {
    return dataBytes + leafBytes + manifestBytes;
  }

  private BitSet bits() {
    if (loader != null) {
      held = loader.apply(this);
      loader = null;
    }
    return held;
  }

  synchronized boolean has(int index) {
    return bits().get(index);
  }

  synchronized void set(int index) {
    bits().set(index);
  }

  synchronized BitSet copy() {
    return (BitSet) bits().clone();
  }
}
