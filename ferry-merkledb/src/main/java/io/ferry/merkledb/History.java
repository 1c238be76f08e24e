package io.ferry.merkledb;

import io.ferry.core.Bytes;
import io.ferry.core.ErrorCode;
import io.ferry.core.FerryException;
import io.ferry.core.Hash;
import io.ferry.core.KeyRange;
import io.ferry.merkledb.proof.ChangeProof;
import io.ferry.merkledb.proof.ProofGenerator;
import io.ferry.merkledb.store.Column;
import io.ferry.merkledb.store.KvStore;
import io.ferry.merkledb.store.NodeCache;
import io.ferry.merkledb.store.StoreIterator;
import io.ferry.merkledb.store.StoreSnapshot;
import io.ferry.merkledb.store.WriteBatch;
import java.nio.ByteBuffer;
import java.nio.charset.StandardCharsets;
import java.util.ArrayList;
import java.util.Collections;
import java.util.List;
import java.util.NavigableMap;
import java.util.Optional;
import java.util.PriorityQueue;
import java.util.TreeMap;
import java.util.function.LongConsumer;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * A MerkleDB's provable past: which revisions are retained (the last {@code historyLength} by
 * height, kept under {@code meta/rev/} with their root paths), the history records of what each
 * commit changed (key values in {@link HistoryRecord}s, node before-images in {@link NodeHistory}),
 * and what is read from them: the height of a root, the trie at a past root ({@link PastRevision},
 * read lazily), and the changes between two heights that a change proof carries.
 *
 * <p>Thread-safe. Reads take the retained index as it was when they began; it changes only by
 * {@link #advance} after a write that {@link #retain} or {@link #restart} prepared, which the
 * MerkleDB does under its commit lock.
 */
final class History {
  /** Pruned roots remembered for {@link #wasPruned}. */
  static final int PRUNED_ROOTS_REMEMBERED = 1024;

  /**
   * The history's format, stored under {@code meta/history-format}: 2 since node before-images and
   * root paths in {@code rev/} records. A store without it (format 1) has its history dropped on
   * open: only its head stays provable.
   */
  static final int FORMAT = 2;

  private static final Logger log = LoggerFactory.getLogger(History.class);
  private static final byte[] REV_PREFIX = "rev/".getBytes(StandardCharsets.US_ASCII);
  static final byte[] FORMAT_KEY = "history-format".getBytes(StandardCharsets.US_ASCII);

  /** The retained revisions once a prepared write lands, and the roots it drops from the window. */
  record Next(NavigableMap<Long, Head> revisions, List<Hash> pruned) {}

  private final int length;
  private final BranchFactor bf;
  private final NodeCache cache;
  private final PrunedRoots prunedRoots = new PrunedRoots(PRUNED_ROOTS_REMEMBERED);

  /** Retained revisions by height, oldest first; replaced whole by {@link #advance}. */
  private volatile NavigableMap<Long, Head> revisions;

  /**
   * Reads the retained index, first dropping a history of an older format (keeping the head).
   *
   * @param head the store's head, retained whatever the stored index says
   * @param length how many revisions stay provable, the head included
   * @param cache the nodes by id that past revisions share with the head
   */
  History(KvStore store, Head head, int length, BranchFactor bf, NodeCache cache) {
    this.length = length;
    this.bf = bf;
    this.cache = cache;
    migrate(store, head);
    NavigableMap<Long, Head> stored = new TreeMap<>();
    try (StoreIterator it = store.scan(Column.META, REV_PREFIX, revKey(Long.MAX_VALUE))) {
      while (it.next()) {
        Head h = decodeRev(it.value());
        stored.put(h.revision().height(), h);
      }
    }
    stored.put(head.revision().height(), head);
    this.revisions = Collections.unmodifiableNavigableMap(stored);
  }

  /**
   * Brings a store of history format 1 to {@link #FORMAT} by dropping its history in one write: its
   * records carry no node before-images, so no revision but the head can be read from them. A new
   * store goes the same way with nothing to drop.
   *
   * @throws FerryException {@link ErrorCode#CORRUPT_DATA} for a format newer than this code's
   */
  private void migrate(KvStore store, Head head) {
    byte[] f = store.get(Column.META, FORMAT_KEY);
    if (f != null) {
      int version = f.length == 4 ? ByteBuffer.wrap(f).getInt() : -1;
      if (version != FORMAT) {
        throw new FerryException(
            ErrorCode.CORRUPT_DATA, "history format " + version + " is not " + FORMAT);
      }
      return;
    }
    int dropped = 0;
    try (StoreIterator it = store.scan(Column.META, REV_PREFIX, revKey(Long.MAX_VALUE))) {
      while (it.next()) {
        dropped++;
      }
    }
    WriteBatch batch = new WriteBatch();
    batch.deleteRange(Column.HISTORY, HistoryRecord.heightPrefix(0), PAST_ALL_HEIGHTS);
    NodeHistory.dropAll(batch);
    batch.deleteRange(Column.META, revKey(0), revKey(Long.MAX_VALUE));
    batch.put(Column.META, revKey(head.revision().height()), head.encode());
    batch.put(Column.META, FORMAT_KEY, ByteBuffer.allocate(4).putInt(FORMAT).array());
    store.write(batch);
    if (dropped > 1) {
      log.warn(
          "the store's history is of an older format: dropped it; of its {} retained revisions"
              + " only the head (height {}) stays provable",
          dropped,
          head.revision().height());
    }
  }

  /** The exclusive upper bound of keys that start with a height (heights are never negative). */
  private static final byte[] PAST_ALL_HEIGHTS = {(byte) 0x80};

  private Head decodeRev(byte[] value) {
    return Head.decode(value, bf);
  }

  /** The {@code meta} key under which the root of the revision at {@code height} is retained. */
  static byte[] revKey(long height) {
    return ByteBuffer.allocate(REV_PREFIX.length + 8).put(REV_PREFIX).putLong(height).array();
  }

  /** Stages one key's change in the commit at {@code height}. */
  static void record(
      WriteBatch batch, long height, Bytes key, Optional<Bytes> before, Optional<Bytes> after) {
    batch.put(
        Column.HISTORY,
        HistoryRecord.storageKey(height, key),
        new HistoryRecord(before, after).encode());
  }

  // ---------------------------------------------------------------- writes

  /**
   * Stages in {@code batch} the revision at {@code height} with {@code root} as the newest retained
   * one, and the pruning of what falls out of the window: history records no kept revision needs
   * and the retained roots below it. {@link #advance} with the result once the batch is written.
   */
  Next retain(WriteBatch batch, Head next) {
    long height = next.revision().height();
    NavigableMap<Long, Head> revs = new TreeMap<>(revisions);
    revs.put(height, next);
    batch.put(Column.META, revKey(height), next.encode());
    long oldestKept = height - length + 1;
    if (oldestKept <= 0 || revs.firstKey() >= oldestKept) {
      return new Next(revs, List.of());
    }
    // Changes of heights <= oldestKept are not needed to rebuild any kept revision.
    batch.deleteRange(
        Column.HISTORY, HistoryRecord.heightPrefix(0), HistoryRecord.heightPrefix(oldestKept + 1));
    NodeHistory.prune(batch, oldestKept, revs.firstKey());
    batch.deleteRange(Column.META, revKey(0), revKey(oldestKept));
    NavigableMap<Long, Head> dropped = revs.headMap(oldestKept, false);
    List<Hash> roots = new ArrayList<>();
    dropped.values().forEach(h -> roots.add(h.revision().root()));
    dropped.clear();
    return new Next(revs, roots);
  }

  /**
   * Stages in {@code batch} a history that starts over with {@code head} (a bulk load into an empty
   * store, which has no history records): the only retained revision.
   */
  Next restart(WriteBatch batch, Head head) {
    long height = head.revision().height();
    batch.put(Column.META, revKey(height), head.encode());
    batch.deleteRange(Column.META, revKey(0), revKey(height));
    NavigableMap<Long, Head> revs = new TreeMap<>();
    revs.put(height, head);
    return new Next(revs, List.of());
  }

  /** Makes a written {@link #retain} or {@link #restart} the retained index. */
  void advance(Next next) {
    prunedRoots.addAll(next.pruned());
    revisions = Collections.unmodifiableNavigableMap(next.revisions());
  }

  // ---------------------------------------------------------------- reads

  /** The retained revisions, oldest first; the last is the head. */
  List<Revision> revisions() {
    List<Revision> out = new ArrayList<>();
    revisions.values().forEach(h -> out.add(h.revision()));
    return out;
  }

  /** True if {@code root} is one of the retained revisions. */
  boolean hasRoot(Hash root) {
    for (Head h : revisions.values()) {
      if (h.revision().root().equals(root)) {
        return true;
      }
    }
    return false;
  }

  /** See {@link MerkleDB#wasPruned}. */
  boolean wasPruned(Hash root) {
    return prunedRoots.contains(root) && !hasRoot(root);
  }

  /**
   * The trie at {@code root}: the head snapshot itself, or a {@link PastRevision} reading through
   * it, which costs nothing until read.
   *
   * @throws FerryException {@link ErrorCode#INSUFFICIENT_HISTORY} if {@code root} is not retained
   */
  TrieReader trieAt(StateSnapshot headSnap, Hash root) {
    Revision headRev = headSnap.revision();
    long h = heightOf(root, headRev);
    if (h == headRev.height()) {
      return headSnap;
    }
    return pastAt(headSnap, h);
  }

  private PastRevision pastAt(StateSnapshot headSnap, long h) {
    Head past = revisions.get(h);
    if (past == null) { // pruned since its height was looked up
      throw new FerryException(
          ErrorCode.INSUFFICIENT_HISTORY, "the revision at height " + h + " left the window");
    }
    long headHeight = headSnap.revision().height();
    return new PastRevision(
        ((RevisionReader) headSnap).snapshot(),
        cache,
        bf,
        past,
        headHeight,
        heightsBetween(h, headHeight));
  }

  /**
   * The heights of the commits in {@code (from, to]}, ascending: the retained ones, and {@code to}
   * itself, which a snapshot taken just after a commit holds before the index has it.
   */
  private List<Long> heightsBetween(long from, long to) {
    List<Long> out = new ArrayList<>(revisions.subMap(from, false, to, false).keySet());
    if (to > from) {
      out.add(to);
    }
    return out;
  }

  /** See {@link MerkleDB#changeProof(Hash, Hash, KeyRange, int, int, LongConsumer)}. */
  ChangeProof changeProof(
      StateSnapshot headSnap,
      Hash startRoot,
      Hash endRoot,
      KeyRange range,
      int keyLimit,
      int byteLimit,
      LongConsumer historyRead) {
    long endHeight = heightOf(endRoot, headSnap.revision());
    if (startRoot.equals(endRoot)) {
      throw new FerryException(
          ErrorCode.INVALID_ARGUMENT, "start and end root are the same: " + startRoot);
    }
    // A root can occur more than once (a change undone): start from its latest occurrence
    // before the end root's.
    long startHeight = latestHeightOf(startRoot, endHeight - 1);
    if (startHeight < 0) {
      long later = heightOf(startRoot, headSnap.revision());
      throw new FerryException(
          ErrorCode.INVALID_ARGUMENT,
          "start root (height " + later + ") is not before end root (height " + endHeight + ")");
    }
    long[] read = {0};
    try {
      List<KeyChange> changes =
          changesBetween(
              ((RevisionReader) headSnap).snapshot(),
              heightsBetween(startHeight, endHeight),
              range,
              keyLimit,
              read);
      if (endHeight == headSnap.revision().height()) {
        return ProofGenerator.changeProof(headSnap, changes, range, keyLimit, byteLimit);
      }
      PastRevision end = pastAt(headSnap, endHeight);
      try {
        return ProofGenerator.changeProof(end, changes, range, keyLimit, byteLimit);
      } finally {
        read[0] += end.historyRead();
      }
    } finally {
      historyRead.accept(read[0]);
    }
  }

  private long heightOf(Hash root, Revision headRev) {
    if (root.equals(headRev.root())) {
      return headRev.height();
    }
    long h = latestHeightOf(root, headRev.height());
    if (h >= 0) {
      return h;
    }
    throw new FerryException(
        ErrorCode.INSUFFICIENT_HISTORY,
        "root " + root + " is not among the last " + length + " revisions");
  }

  /** The latest retained height at or below {@code maxHeight} with {@code root}, or -1. */
  private long latestHeightOf(Hash root, long maxHeight) {
    if (maxHeight < 0) {
      return -1;
    }
    for (Head h : revisions.headMap(maxHeight, true).descendingMap().values()) {
      if (h.revision().root().equals(root)) {
        return h.revision().height();
      }
    }
    return -1;
  }

  /**
   * The first {@code limit} keys of {@code range} whose values differ across the commits at {@code
   * heights}, with their new values, in key order; counts the history records it reads into {@code
   * read[0]}.
   *
   * <p>History is keyed by height, then key, so each height between the two is read as its own
   * cursor over the range, and the cursors are merged in key order (ties by height). A key's
   * records therefore meet in one place, oldest first, and the merge stops at the {@code limit}-th
   * changed key: a request reads the records of its range up to its last change, plus one per
   * height, never the whole history.
   */
  private static List<KeyChange> changesBetween(
      StoreSnapshot snap, List<Long> heights, KeyRange range, int limit, long[] read) {
    PriorityQueue<HistoryCursor> heads = new PriorityQueue<>();
    List<KeyChange> out = new ArrayList<>();
    try {
      for (long h : heights) {
        HistoryCursor c = new HistoryCursor(snap, h, range, read);
        if (c.next()) {
          heads.add(c);
        } else {
          c.close();
        }
      }
      while (!heads.isEmpty() && out.size() < limit) {
        Bytes key = heads.peek().key();
        Optional<Bytes> before = null;
        Optional<Bytes> after = null;
        while (!heads.isEmpty() && heads.peek().key().equals(key)) {
          HistoryCursor c = heads.poll();
          HistoryRecord r = c.record();
          if (before == null) {
            before = r.before();
          }
          after = r.after();
          if (c.next()) {
            heads.add(c);
          } else {
            c.close();
          }
        }
        if (!before.equals(after)) {
          out.add(new KeyChange(key, after));
        }
      }
      return out;
    } finally {
      heads.forEach(HistoryCursor::close);
    }
  }
}
