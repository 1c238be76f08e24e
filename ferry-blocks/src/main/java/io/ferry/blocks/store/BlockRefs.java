package io.ferry.blocks.store;

import io.ferry.blocks.cid.Cid;
import io.ferry.merkledb.store.Column;
import io.ferry.merkledb.store.KvStore;
import io.ferry.merkledb.store.WriteBatch;
import java.util.Arrays;
import java.util.Map;
import java.util.SortedMap;
import java.util.concurrent.locks.ReentrantLock;

/**
 * Blocks stored once however many leaves name them, with a reference count beside each: {@code
 * block-refs} maps a block's CID to its count (leaves and staged import blocks that name it) and
 * its length. A block is written when its count goes from 0 to 1 and deleted when it goes back to
 * 0, always in the same atomic batch as the references that change it.
 *
 * <p>Thread-safe: a count is read and rewritten under one of {@link #STRIPES} locks chosen by the
 * CID, so two puts of one block never both see it absent. A release of many blocks takes every
 * stripe, in order; a put holds one, so the two never deadlock.
 */
final class BlockRefs {
  static final int STRIPES = 64;

  private final KvStore kv;
  private final Column blocks;
  private final Column refs;
  private final ReentrantLock[] stripes = new ReentrantLock[STRIPES];

  BlockRefs(KvStore kv, Column blocks, Column refs) {
    this.kv = kv;
    this.blocks = blocks;
    this.refs = refs;
    for (int i = 0; i < STRIPES; i++) {
      stripes[i] = new ReentrantLock();
    }
  }

  /**
   * Adds a reference to {@code block} to {@code batch}, and the block itself if it is not stored
   * yet, then writes the batch.
   *
   * @return whether the block was new (its bytes are now stored)
   */
  boolean addAndWrite(Cid block, byte[] data, WriteBatch batch) {
    byte[] key = block.toBytes();
    ReentrantLock stripe = stripes[Math.floorMod(block.hashCode(), STRIPES)];
    stripe.lock();
    try {
      byte[] old = kv.get(refs, key);
      int count = old == null ? 0 : Keys.getInt(old, 0);
      if (count == 0) {
        batch.put(blocks, key, data);
      }
      batch.put(refs, key, encode(count + 1, data.length));
      kv.write(batch);
      return count == 0;
    } finally {
      stripe.unlock();
    }
  }

  /**
   * Drops {@code counts} references from each block (CID bytes in unsigned order), deleting those
   * left with none, into {@code batch}, then writes it.
   *
   * @return bytes of the blocks deleted
   */
  long releaseAndWrite(SortedMap<byte[], Integer> counts, WriteBatch batch) {
    for (ReentrantLock s : stripes) {
      s.lock();
    }
    try {
      long freed = 0;
      for (Map.Entry<byte[], Integer> e : counts.entrySet()) {
        byte[] old = kv.get(refs, e.getKey());
        if (old == null) {
          continue; // nothing to release: a reference was already dropped with its block
        }
        int left = Keys.getInt(old, 0) - e.getValue();
        int length = Keys.getInt(old, 4);
        if (left <= 0) {
          batch.delete(refs, e.getKey()).delete(blocks, e.getKey());
          freed += length;
        } else {
          batch.put(refs, e.getKey(), encode(left, length));
        }
      }
      kv.write(batch);
      return freed;
    } finally {
      for (int i = STRIPES - 1; i >= 0; i--) {
        stripes[i].unlock();
      }
    }
  }

  /** An empty map for {@link #releaseAndWrite}, ordered by unsigned bytes. */
  static SortedMap<byte[], Integer> newCounts() {
    return new java.util.TreeMap<>(Arrays::compareUnsigned);
  }

  static byte[] encode(int count, int length) {
    byte[] v = new byte[8];
    Keys.putInt(v, 0, count);
    Keys.putInt(v, 4, length);
    return v;
  }

  /** The length a {@code block-refs} value records. */
  static int length(byte[] value) {
    return Keys.getInt(value, 4);
  }
}
