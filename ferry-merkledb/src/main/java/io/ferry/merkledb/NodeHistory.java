package io.ferry.merkledb;

import io.ferry.merkledb.store.Column;
import io.ferry.merkledb.store.NodeCodec;
import io.ferry.merkledb.store.StoreIterator;
import io.ferry.merkledb.store.StoreReader;
import io.ferry.merkledb.store.WriteBatch;
import io.ferry.merkledb.trie.Child;
import io.ferry.merkledb.trie.Node;
import io.ferry.merkledb.trie.Path;
import java.nio.ByteBuffer;
import java.util.ArrayList;
import java.util.Collection;
import java.util.List;
import java.util.function.Function;
import java.util.stream.IntStream;

/**
 * The before-images of trie nodes, so that the trie of a past revision can be read node by node,
 * costing only the nodes a proof touches. Every commit records, in its own write batch, the node
 * each changed path held before it (its stored encoding, or an empty value if there was none) under
 * {@code epoch ‖ node path storage key ‖ height}, where the epoch is the height divided by {@link
 * #EPOCH_HEIGHTS}.
 *
 * <p>The node at path p as of height h is the before-image of the first commit above h that changed
 * p, else the head's node. Within an epoch that is one seek to (epoch, p, h + 1); a lookup tries
 * the epochs from h + 1's to the head's in turn (at most {@code historyLength / 64 + 2}). Pruning
 * drops whole epochs with one range delete once all their heights left the window; the records of a
 * partly expired epoch stay until then but are never read, since a lookup seeks past them.
 * Stateless.
 */
final class NodeHistory {
  /**
   * Heights per epoch: fixed, since records are keyed by it. 64 keeps a lookup at the oldest of 300
   * revisions to 6 seeks and the pruned-late garbage to 64 heights.
   */
  static final int EPOCH_HEIGHTS = 64;

  /** The exclusive upper bound of every height's 8 bytes (heights are never negative). */
  private static final byte[] PAST_ALL_HEIGHTS = {(byte) 0x80, 0, 0, 0, 0, 0, 0, 0};

  private static final byte[] ABSENT = new byte[0];

  /**
   * The before-image of a node that is not stored, since the key history gives the key-values under
   * its path at any retained height, and they rebuild it (with its whole subtree). One byte, so it
   * is told from an encoding (which starts with a 32-byte id).
   */
  static final byte[] DERIVED = {1};

  /**
   * What {@link #record}'s {@code known} answers for a path that needs no record: the commit
   * created it (no past revision reaches a path through a parent entry it did not have), or its
   * node was a leaf or a branch over leaves that was not the root (a past revision's parent entry
   * says so, and the node is rebuilt from the key history without a lookup). Compared by identity.
   */
  static final byte[] NONE = new byte[0];

  /** Whether a stored before-image says to rebuild the node from the key history. */
  static boolean isDerived(byte[] image) {
    return image.length == 1 && image[0] == DERIVED[0];
  }

  /**
   * The before-image to record for a node the commit's view copied: {@link #NONE} for a leaf or a
   * branch over leaves other than the root, {@link #DERIVED} for another short subtree (a leaf, a
   * branch over leaves, or, below branch factor 256, a branch over those: at most {@code width²} or
   * 256 keys), else its encoding.
   */
  static byte[] imageOf(Node before, BranchFactor bf, boolean root) {
    int height = Child.heightOf(before);
    if (!root && (height == 0 || height == 1)) {
      return NONE;
    }
    int shortest = bf.width() > 16 ? 1 : Child.TALL;
    if (height == Child.UNKNOWN || height > shortest) {
      return NodeCodec.encode(before);
    }
    for (int i = 0, w = before.childCount() == 0 ? 0 : before.width(); i < w; i++) {
      Child c = before.child(i);
      if (c != null && c.height() >= shortest) {
        return NodeCodec.encode(before); // a child is as tall as the limit: this one is taller
      }
    }
    return DERIVED;
  }

  private NodeHistory() {}

  static long epochOf(long height) {
    return height / EPOCH_HEIGHTS;
  }

  static byte[] key(long epoch, byte[] storageKey, long height) {
    return ByteBuffer.allocate(16 + storageKey.length)
        .putLong(epoch)
        .put(storageKey)
        .putLong(height)
        .array();
  }

  /** The first 8 bytes of the keys of {@code epoch}. */
  static byte[] epochPrefix(long epoch) {
    return ByteBuffer.allocate(8).putLong(epoch).array();
  }

  /**
   * Stages the before-images of the nodes at {@code changed} paths in the commit at {@code height}:
   * what {@code known} says the path held (the commit's view copied that node, or created the
   * path), else what {@code before}, the store as it was before the commit, holds.
   *
   * @param known the stored encoding a path held before the commit, an empty array if it held none,
   *     or null if only the store can tell
   */
  static void record(
      WriteBatch batch,
      long height,
      StoreReader before,
      Collection<Path> changed,
      Function<Path, byte[]> known) {
    List<Path> paths = new ArrayList<>(changed);
    byte[][] keys = new byte[paths.size()][];
    byte[][] images = new byte[paths.size()][];
    long epoch = epochOf(height);
    // Encodings and reads are independent per node.
    IntStream.range(0, paths.size())
        .parallel()
        .forEach(
            i -> {
              Path p = paths.get(i);
              byte[] image = known.apply(p);
              if (image == NONE) {
                return;
              }
              byte[] sk = p.storageKey();
              if (image == null) {
                image = before.get(Column.NODES, sk);
              }
              keys[i] = key(epoch, sk, height);
              images[i] = image == null ? ABSENT : image;
            });
    for (int i = 0; i < keys.length; i++) {
      if (keys[i] != null) {
        batch.put(Column.NODE_HISTORY, keys[i], images[i]);
      }
    }
  }

  /**
   * The stored encoding of the node at {@code storageKey} as of {@code height} if a commit in
   * {@code (height, headHeight]} changed it: an empty array if there was no node then; null if no
   * such commit changed it (the head's node is the answer). Counts the records read into {@code
   * read[0]}.
   */
  static byte[] find(
      StoreReader snap, byte[] storageKey, long height, long headHeight, long[] read) {
    for (long e = epochOf(height + 1), last = epochOf(headHeight); e <= last; e++) {
      byte[] from = key(e, storageKey, height + 1);
      byte[] to = ByteBuffer.allocate(16 + storageKey.length).putLong(e).put(storageKey).array();
      System.arraycopy(PAST_ALL_HEIGHTS, 0, to, 8 + storageKey.length, 8);
      // Storage keys are prefix-free, so [from, to) holds only this path's records.
      try (StoreIterator it = snap.scan(Column.NODE_HISTORY, from, to)) {
        if (it.next()) {
          read[0]++;
          return it.value();
        }
      }
    }
    return null;
  }

  /**
   * Stages the removal of the epochs whose heights are all at or below {@code oldestKept} (no
   * retained revision reads them), if that moves past {@code previousOldest}'s.
   */
  static void prune(WriteBatch batch, long oldestKept, long previousOldest) {
    long keepFrom = epochOf(oldestKept + 1);
    if (keepFrom > epochOf(previousOldest + 1)) {
      batch.deleteRange(Column.NODE_HISTORY, epochPrefix(0), epochPrefix(keepFrom));
    }
  }

  /** Stages the removal of every record. */
  static void dropAll(WriteBatch batch) {
    batch.deleteRange(Column.NODE_HISTORY, epochPrefix(0), PAST_ALL_HEIGHTS);
  }
}
