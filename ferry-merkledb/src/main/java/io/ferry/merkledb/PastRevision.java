package io.ferry.merkledb;

import io.ferry.core.Bytes;
import io.ferry.core.ErrorCode;
import io.ferry.core.FerryException;
import io.ferry.core.Hash;
import io.ferry.core.KeyRange;
import io.ferry.merkledb.store.Column;
import io.ferry.merkledb.store.NodeCache;
import io.ferry.merkledb.store.StoreIterator;
import io.ferry.merkledb.store.StoreSnapshot;
import io.ferry.merkledb.trie.Child;
import io.ferry.merkledb.trie.Node;
import io.ferry.merkledb.trie.NodeHasher;
import io.ferry.merkledb.trie.NodeSource;
import io.ferry.merkledb.trie.Path;
import io.ferry.merkledb.trie.SortedBuilder;
import java.util.List;
import java.util.Optional;
import java.util.PriorityQueue;
import java.util.Set;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.atomic.AtomicLong;
import java.util.function.Predicate;

/**
 * A retained revision behind the head, read lazily from a snapshot of the head's store: nothing is
 * built up front, and a proof costs what it touches. A node comes from the node history ({@link
 * NodeHistory}: its before-image at the first later commit that changed it) or else from the head;
 * a key's value is its value before the first later commit that changed it (the key history, {@link
 * HistoryRecord}) or else the head's. Every node is checked against the id its parent lists, the
 * root against the revision's root, so a history that does not rebuild the revision is {@link
 * io.ferry.core.ErrorCode#CORRUPT_DATA}.
 *
 * <p>Thread-safe; it reads through the caller's snapshot and does not close it.
 */
final class PastRevision implements TrieReader, NodeSource {
  private final StoreSnapshot snap;
  private final NodeCache cache;
  private final BranchFactor bf;
  private final Head past;
  private final long headHeight;
  private final List<Long> laterHeights;
  private final AtomicLong historyRead = new AtomicLong();

  /** Ids of nodes read so far whose parents list them as leaves or branches over leaves. */
  private final Set<Hash> shortChildren = ConcurrentHashMap.newKeySet();

  /**
   * @param past the revision and its root path
   * @param headHeight the height of the revision {@code snap} holds
   * @param laterHeights every height in {@code (past, headHeight]} that has a commit, ascending
   */
  PastRevision(
      StoreSnapshot snap,
      NodeCache cache,
      BranchFactor bf,
      Head past,
      long headHeight,
      List<Long> laterHeights) {
    this.snap = snap;
    this.cache = cache;
    this.bf = bf;
    this.past = past;
    this.headHeight = headHeight;
    this.laterHeights = laterHeights;
  }

  long height() {
    return past.revision().height();
  }

  /** History records (key changes and node before-images) read so far. */
  long historyRead() {
    return historyRead.get();
  }

  @Override
  public Optional<Bytes> get(Bytes key) {
    for (long h : laterHeights) {
      byte[] r = snap.get(Column.HISTORY, HistoryRecord.storageKey(h, key));
      if (r != null) {
        historyRead.incrementAndGet();
        return HistoryRecord.decode(r).before();
      }
    }
    byte[] v = snap.get(Column.VALUES, key.unsafeArray());
    return v == null ? Optional.empty() : Optional.of(Bytes.wrap(v));
  }

  /**
   * Merges the head's values in {@code range} with one cursor per later height over the same range:
   * a key some later commit changed takes its value from before the first of them.
   */
  @Override
  public void scan(KeyRange range, Predicate<KeyValue> visitor) {
    byte[] from = range.start().map(Bytes::unsafeArray).orElse(null);
    byte[] to = range.end().map(e -> RevisionReader.exclusiveEnd(e.unsafeArray())).orElse(null);
    scan(from, to, (h, read) -> new HistoryCursor(snap, h, range, read), visitor);
  }

  /**
   * {@link #scan(KeyRange, Predicate)} from {@code from} (null: the first key) to below {@code to}
   * (exclusive; null: no end), with {@code cursor} opening a later height's cursor over the same.
   */
  private void scan(byte[] from, byte[] to, CursorOpener cursor, Predicate<KeyValue> visitor) {
    long[] read = {0};
    PriorityQueue<HistoryCursor> later = new PriorityQueue<>();
    try (StoreIterator head = snap.scan(Column.VALUES, from, to)) {
      for (long h : laterHeights) {
        HistoryCursor c = cursor.open(h, read);
        if (c.next()) {
          later.add(c);
        } else {
          c.close();
        }
      }
      boolean headHas = head.next();
      while (headHas || !later.isEmpty()) {
        Bytes headKey = headHas ? Bytes.wrap(head.key()) : null;
        Bytes key;
        Optional<Bytes> value;
        if (!later.isEmpty() && (headKey == null || later.peek().key().compareTo(headKey) <= 0)) {
          key = later.peek().key();
          value = later.peek().record().before(); // the earliest later change: ties go by height
          while (!later.isEmpty() && later.peek().key().equals(key)) {
            HistoryCursor c = later.poll();
            if (c.next()) {
              later.add(c);
            } else {
              c.close();
            }
          }
          if (key.equals(headKey)) {
            headHas = head.next();
          }
        } else {
          key = headKey;
          value = Optional.of(Bytes.wrap(head.value()));
          headHas = head.next();
        }
        if (value.isPresent() && !visitor.test(new KeyValue(key, value.get()))) {
          return;
        }
      }
    } finally {
      later.forEach(HistoryCursor::close);
      historyRead.addAndGet(read[0]);
    }
  }

  @Override
  public Hash root() {
    return past.revision().root();
  }

  @Override
  public NodeSource nodes() {
    return this;
  }

  @Override
  public BranchFactor branchFactor() {
    return bf;
  }

  @Override
  public Path rootPath() {
    return past.rootPath();
  }

  @Override
  public Node rootNode() {
    Path p = past.rootPath();
    return p == null ? null : node(p, past.revision().root());
  }

  @Override
  public Node node(Path path, Hash idHint) {
    Node n = lookup(path, idHint);
    if (n != null) {
      for (int i = 0, w = n.childCount() == 0 ? 0 : n.width(); i < w; i++) {
        Child c = n.child(i);
        if (c != null && (c.height() == 0 || c.height() == 1)) {
          shortChildren.add(c.id());
        }
      }
    }
    return n;
  }

  private Node lookup(Path path, Hash idHint) {
    if (idHint != null) {
      Node cached = cache.get(idHint);
      if (cached != null) {
        return cached;
      }
      if (shortChildren.contains(idHint)) {
        // Its parent lists it as a leaf or a branch over leaves: no before-image was recorded.
        return derived(path, idHint);
      }
    }
    byte[] storageKey = path.storageKey();
    long[] read = {0};
    byte[] data = NodeHistory.find(snap, storageKey, height(), headHeight, read);
    historyRead.addAndGet(read[0]);
    if (data == null) {
      data = snap.get(Column.NODES, storageKey);
    } else if (data.length == 0) {
      data = null; // no node there at that height
    } else if (NodeHistory.isDerived(data)) {
      return derived(path, idHint);
    }
    try {
      return RevisionReader.checkedNode(path, data, idHint, cache, bf);
    } catch (FerryException e) {
      if (e.code() != ErrorCode.CORRUPT_DATA || idHint == null) {
        throw e;
      }
      // A leaf or a branch over leaves goes unrecorded, known as one by its parent's entry: not
      // so a root (no parent) that sank below a new one and then changed, nor a child of an entry
      // written before the height classes (store format 1). The lookup then finds a later image
      // or the head's node, and the node is rebuilt instead (bounded, and checked by its id).
      return derived(path, idHint);
    }
  }

  /**
   * Keys a rebuilt subtree may have: a short one has at most width² (65,536 at branch factor 256,
   * whose short subtrees are a leaf or a branch over leaves: 256); more means the history lies.
   */
  private static final int DERIVED_MAX_KEYS = 1 << 16;

  /** Opens a later height's history cursor, counting the records it reads into {@code read}. */
  @FunctionalInterface
  private interface CursorOpener {
    HistoryCursor open(long height, long[] read);
  }

  /**
   * The least byte string above every key under {@code path}: its packed bytes with the bits past
   * the path set, plus one; null if there is none (the path is all ones).
   */
  private static byte[] keysBelow(Path path) {
    byte[] b = path.packed();
    int spare = b.length * 8 - path.bitLength();
    if (b.length > 0) {
      b[b.length - 1] |= (byte) ((1 << spare) - 1);
    }
    for (int i = b.length - 1; i >= 0; i--) {
      if (b[i] != (byte) 0xff) {
        b[i]++;
        return java.util.Arrays.copyOf(b, i + 1);
      }
    }
    return null;
  }

  /**
   * Rebuilds the node at {@code path} from this revision's key-values under it: one cursor per
   * later height over that range (a short subtree: see {@link NodeHistory#imageOf}).
   */
  private Node derived(Path path, Hash idHint) {
    // The whole subtree is rebuilt: its nodes go to the cache by id, where the lookups of the
    // nodes below this one (which name their ids) find them.
    SortedBuilder trie = new SortedBuilder(bf, cache::put);
    long[] keys = {0};
    byte[] start = path.packed(); // the least key under the path: its last bits are zero
    byte[] below = keysBelow(path);
    scan(
        start,
        below,
        (h, read) ->
            below == null
                ? new HistoryCursor(
                    snap, h, new KeyRange(Optional.of(Bytes.wrap(start)), Optional.empty()), read)
                : HistoryCursor.below(snap, h, Bytes.wrap(start), below, read),
        kv -> {
          if (++keys[0] > DERIVED_MAX_KEYS) {
            throw new FerryException(
                ErrorCode.CORRUPT_DATA,
                "the node at " + path + " as of height " + height() + " is not a short subtree");
          }
          trie.add(Path.ofKey(kv.key(), bf), NodeHasher.valueDigest(kv.value().unsafeArray()));
          return true;
        });
    Node n = trie.finish();
    if (n == null || !n.key().equals(path) || (idHint != null && !n.id().equals(idHint))) {
      throw new FerryException(
          ErrorCode.CORRUPT_DATA,
          "the key history does not rebuild the node at "
              + path
              + " as of height "
              + height()
              + (n == null ? " (no keys under it)" : " (got " + n.key() + " " + n.id() + ")"));
    }
    return n;
  }
}
