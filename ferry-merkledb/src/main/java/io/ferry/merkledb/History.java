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
import io.ferry.merkledb.store.StoreIterator;
import io.ferry.merkledb.store.StoreSnapshot;
import io.ferry.merkledb.store.WriteBatch;
import java.nio.ByteBuffer;
import java.nio.charset.StandardCharsets;
import java.util.ArrayList;
import java.util.Collections;
import java.util.HashSet;
import java.util.List;
import java.util.Map;
import java.util.NavigableMap;
import java.util.Optional;
import java.util.PriorityQueue;
import java.util.Set;
import java.util.TreeMap;
import java.util.function.LongConsumer;
import java.util.function.Supplier;

/**
 * A MerkleDB's provable past: which revisions are retained (the last {@code historyLength} by
 * height, kept under {@code meta/rev/}), the history records of what each commit changed, and what
 * is read from them: the height of a root, the trie at a past root (the last few kept in {@link
 * PastTries}), and the changes between two heights that a change proof carries.
 *
 * <p>Thread-safe. Reads take the retained index as it was when they began; it changes only by
 * {@link #advance} after a write that {@link #retain} or {@link #restart} prepared, which the
 * MerkleDB does under its commit lock.
 */
final class History implements AutoCloseable {
  /** Pruned roots remembered for {@link #wasPruned}. */
  static final int PRUNED_ROOTS_REMEMBERED = 1024;

  /** Past tries kept for proofs at roots behind the head, and the changed nodes they may hold. */
  static final int PAST_TRIES_CACHED = 4;

  static final long PAST_TRIES_MAX_CHANGED_NODES = 1L << 18;

  private static final byte[] REV_PREFIX = "rev/".getBytes(StandardCharsets.US_ASCII);

  /** The retained revisions once a prepared write lands, and the roots it drops from the window. */
  record Next(NavigableMap<Long, Hash> revisions, List<Hash> pruned) {}

  private final int length;
  private final Supplier<StateSnapshot> headSnapshot;
  private final PrunedRoots prunedRoots = new PrunedRoots(PRUNED_ROOTS_REMEMBERED);
  private final PastTries pastTries =
      new PastTries(PAST_TRIES_CACHED, PAST_TRIES_MAX_CHANGED_NODES);

  /** Retained revisions by height, oldest first; replaced whole by {@link #advance}. */
  private volatile NavigableMap<Long, Hash> revisions;

  /**
   * @param head the store's head, retained whatever the stored index says
   * @param length how many revisions stay provable, the head included
   * @param headSnapshot a new snapshot of the head: a past trie reads through its own
   */
  History(KvStore store, Revision head, int length, Supplier<StateSnapshot> headSnapshot) {
    this.length = length;
    this.headSnapshot = headSnapshot;
    NavigableMap<Long, Hash> stored = new TreeMap<>();
    try (StoreIterator it = store.scan(Column.META, REV_PREFIX, revKey(Long.MAX_VALUE))) {
      while (it.next()) {
        stored.put(ByteBuffer.wrap(it.key(), REV_PREFIX.length, 8).getLong(), Hash.of(it.value()));
      }
    }
    stored.put(head.height(), head.root());
    this.revisions = Collections.unmodifiableNavigableMap(stored);
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
  Next retain(WriteBatch batch, long height, Hash root) {
    NavigableMap<Long, Hash> revs = new TreeMap<>(revisions);
    revs.put(height, root);
    batch.put(Column.META, revKey(height), root.toBytes());
    long oldestKept = height - length + 1;
    if (oldestKept <= 0 || revs.firstKey() >= oldestKept) {
      return new Next(revs, List.of());
    }
    // Changes of heights <= oldestKept are not needed to rebuild any kept revision.
    batch.deleteRange(
        Column.HISTORY, HistoryRecord.heightPrefix(0), HistoryRecord.heightPrefix(oldestKept + 1));
    batch.deleteRange(Column.META, revKey(0), revKey(oldestKept));
    NavigableMap<Long, Hash> dropped = revs.headMap(oldestKept, false);
    List<Hash> roots = new ArrayList<>(dropped.values());
    dropped.clear();
    return new Next(revs, roots);
  }

  /**
   * Stages in {@code batch} a history that starts over at {@code height} with {@code root} (a bulk
   * load into an empty store): the only retained revision.
   */
  Next restart(WriteBatch batch, long height, Hash root) {
    batch.put(Column.META, revKey(height), root.toBytes());
    batch.deleteRange(Column.META, revKey(0), revKey(height));
    NavigableMap<Long, Hash> revs = new TreeMap<>();
    revs.put(height, root);
    return new Next(revs, List.of());
  }

  /** Makes a written {@link #retain} or {@link #restart} the retained index. */
  void advance(Next next) {
    prunedRoots.addAll(next.pruned());
    NavigableMap<Long, Hash> revs = next.revisions();
    revisions = Collections.unmodifiableNavigableMap(revs);
    if (!next.pruned().isEmpty()) {
      pastTries.retainOnly(revs::containsValue);
    }
  }

  // ---------------------------------------------------------------- reads

  /** The retained revisions, oldest first; the last is the head. */
  List<Revision> revisions() {
    List<Revision> out = new ArrayList<>();
    revisions.forEach((h, r) -> out.add(new Revision(h, r)));
    return out;
  }

  /** True if {@code root} is one of the retained revisions. */
  boolean hasRoot(Hash root) {
    return revisions.containsValue(root);
  }

  /** See {@link MerkleDB#wasPruned}. */
  boolean wasPruned(Hash root) {
    return prunedRoots.contains(root) && !hasRoot(root);
  }

  /** Past tries cached now (for tests). */
  int pastTriesCached() {
    return pastTries.size();
  }

  /**
   * The trie at {@code root}: the head snapshot itself, or a cached or new past trie. Closing the
   * lease leaves {@code headSnap} open.
   *
   * @throws FerryException {@link ErrorCode#INSUFFICIENT_HISTORY} if {@code root} is not retained
   */
  PastTries.Lease trieAt(StateSnapshot headSnap, Hash root) {
    long h = heightOf(root, headSnap.revision());
    if (h == headSnap.revision().height()) {
      return PastTries.Lease.of(headSnap);
    }
    return pastTries.acquire(root, () -> buildPast(root));
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
    List<KeyChange> changes =
        changesBetween(
            ((RevisionReader) headSnap).snapshot(),
            startHeight,
            endHeight,
            range,
            keyLimit,
            historyRead);
    try (PastTries.Lease endTrie = trieAt(headSnap, endRoot)) {
      return ProofGenerator.changeProof(endTrie.trie(), changes, range, keyLimit, byteLimit);
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
    for (Map.Entry<Long, Hash> e : revisions.headMap(maxHeight, true).descendingMap().entrySet()) {
      if (e.getValue().equals(root)) {
        return e.getKey();
      }
    }
    return -1;
  }

  /** The head with the changes after {@code root}'s latest height undone, on its own snapshot. */
  private PastTries.Built buildPast(Hash root) {
    StateSnapshot headSnap = headSnapshot.get();
    try {
      long h = heightOf(root, headSnap.revision());
      Batch undo = new Batch();
      Set<Bytes> seen = new HashSet<>();
      StoreSnapshot snap = ((RevisionReader) headSnap).snapshot();
      try (StoreIterator it = snap.scan(Column.HISTORY, HistoryRecord.heightPrefix(h + 1), null)) {
        while (it.next()) {
          Bytes key = HistoryRecord.keyOf(it.key());
          if (seen.add(key)) {
            undo.set(key, HistoryRecord.decode(it.value()).before());
          }
        }
      }
      View past = View.of(headSnap, undo);
      if (!past.root().equals(root)) {
        if (!hasRoot(root)) { // pruned while we read: the records we needed went with it
          throw new FerryException(
              ErrorCode.INSUFFICIENT_HISTORY, "root " + root + " left the history window");
        }
        throw new FerryException(
            ErrorCode.CORRUPT_DATA,
            "history does not rebuild root "
                + root
                + " at height "
                + h
                + " (got "
                + past.root()
                + ")");
      }
      return new PastTries.Built(headSnap, past);
    } catch (RuntimeException e) {
      headSnap.close();
      throw e;
    }
  }

  /**
   * The first {@code limit} keys of {@code range} whose values differ between the two heights, with
   * their new values, in key order; tells {@code historyRead} how many history records it read.
   *
   * <p>History is keyed by height, then key, so each height between the two is read as its own
   * cursor over the range, and the cursors are merged in key order (ties by height). A key's
   * records therefore meet in one place, oldest first, and the merge stops at the {@code limit}-th
   * changed key: a request reads the records of its range up to its last change, plus one per
   * height, never the whole history.
   */
  private static List<KeyChange> changesBetween(
      StoreSnapshot snap,
      long fromHeight,
      long toHeight,
      KeyRange range,
      int limit,
      LongConsumer historyRead) {
    PriorityQueue<HistoryCursor> heads = new PriorityQueue<>();
    List<KeyChange> out = new ArrayList<>();
    long[] read = {0};
    try {
      for (long h = fromHeight + 1; h <= toHeight; h++) {
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
      historyRead.accept(read[0]);
    }
  }

  /** Releases the past tries' snapshots. */
  @Override
  public void close() {
    pastTries.close();
  }
}
