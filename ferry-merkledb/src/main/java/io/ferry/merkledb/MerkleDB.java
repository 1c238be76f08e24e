package io.ferry.merkledb;

import io.ferry.core.Bytes;
import io.ferry.core.ErrorCode;
import io.ferry.core.FerryException;
import io.ferry.core.Hash;
import io.ferry.core.KeyRange;
import io.ferry.merkledb.proof.ChangeProof;
import io.ferry.merkledb.proof.Proof;
import io.ferry.merkledb.proof.ProofGenerator;
import io.ferry.merkledb.proof.RangeProof;
import io.ferry.merkledb.store.Column;
import io.ferry.merkledb.store.KvStore;
import io.ferry.merkledb.store.MemoryStore;
import io.ferry.merkledb.store.NodeCache;
import io.ferry.merkledb.store.NodeCodec;
import io.ferry.merkledb.store.RocksStore;
import io.ferry.merkledb.store.StoreIterator;
import io.ferry.merkledb.store.StoreSnapshot;
import io.ferry.merkledb.store.WriteBatch;
import io.ferry.merkledb.trie.Node;
import io.ferry.merkledb.trie.Path;
import java.nio.ByteBuffer;
import java.nio.charset.StandardCharsets;
import java.util.ArrayList;
import java.util.Collections;
import java.util.HashMap;
import java.util.HashSet;
import java.util.Iterator;
import java.util.List;
import java.util.Map;
import java.util.NavigableMap;
import java.util.Optional;
import java.util.OptionalLong;
import java.util.PriorityQueue;
import java.util.Set;
import java.util.TreeMap;
import java.util.function.LongConsumer;
import java.util.function.Predicate;
import java.util.stream.IntStream;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * A Merkleized key-value store: a radix trie whose root hash commits to every key-value, stored in
 * RocksDB, with roots bit-compatible with AvalancheGo's merkledb. The state advances by commits;
 * the last {@link MerkleDBConfig#historyLength()} revisions stay provable, so peers can ask for
 * range proofs at any of them and for change proofs between two of them.
 *
 * <p><b>Writes</b>: build a {@link View} ({@link #newView}), read its root, then {@link
 * #commit(View)}; or {@link #commit(Batch)} in one step. A commit is one atomic store write: after
 * a crash at any instant the store reopens at the previous or the new revision, never a mix.
 *
 * <p><b>Thread-safety</b>: every method is thread-safe. Commits are serialized; readers never wait
 * for them: reads, scans and proof generation run on a snapshot of the revision that was the head
 * when they began.
 */
public final class MerkleDB implements AutoCloseable {
  private static final Logger log = LoggerFactory.getLogger(MerkleDB.class);

  private static final byte[] HEAD_KEY = "head".getBytes(StandardCharsets.US_ASCII);
  private static final byte[] CONFIG_KEY = "config".getBytes(StandardCharsets.US_ASCII);
  private static final byte[] REV_PREFIX = "rev/".getBytes(StandardCharsets.US_ASCII);
  private static final int FORMAT_VERSION = 1;

  /** Pruned roots remembered for {@link #wasPruned}. */
  static final int PRUNED_ROOTS_REMEMBERED = 1024;

  /** Past tries kept for proofs at roots behind the head, and the changed nodes they may hold. */
  static final int PAST_TRIES_CACHED = 4;

  static final long PAST_TRIES_MAX_CHANGED_NODES = 1L << 18;

  private final KvStore store;
  private final MerkleDBConfig config;
  private final BranchFactor bf;
  private final NodeCache cache;
  private final Object commitLock = new Object();
  private final PrunedRoots prunedRoots = new PrunedRoots(PRUNED_ROOTS_REMEMBERED);
  private final PastTries pastTries =
      new PastTries(PAST_TRIES_CACHED, PAST_TRIES_MAX_CHANGED_NODES);

  /** Retained revisions by height, oldest first; guarded by commitLock for writes. */
  private volatile NavigableMap<Long, Hash> revisions;

  private volatile Head head;
  private volatile boolean closed;

  private MerkleDB(KvStore store, MerkleDBConfig config) {
    this.store = store;
    this.config = config;
    this.bf = config.branchFactor();
    this.cache = new NodeCache(Math.max(16, config.nodeCacheEntries()));
    checkFormat();
    byte[] h = store.get(Column.META, HEAD_KEY);
    if (h == null) {
      discardUnreachable();
    }
    this.head = h == null ? Head.empty() : Head.decode(h, bf);
    this.revisions = loadRevisions();
  }

  /**
   * Removes what a bulk load cut off before its head left (values and nodes no revision reaches),
   * so that a store without a head is empty, as a new one.
   */
  private void discardUnreachable() {
    WriteBatch batch = new WriteBatch();
    for (Column c : List.of(Column.VALUES, Column.NODES, Column.HISTORY)) {
      byte[] first = null;
      byte[] last = null;
      try (StoreIterator it = store.scan(c, null, null)) {
        while (it.next()) {
          if (first == null) {
            first = it.key();
          }
          last = it.key();
        }
      }
      if (first != null) {
        batch.deleteRange(c, first, RevisionReader.exclusiveEnd(last));
      }
    }
    if (batch.size() > 0) {
      log.warn("discarding the remains of an interrupted bulk load");
      store.write(batch);
    }
  }

  /** Opens (creating if needed) a store on disk with the default configuration. */
  public static MerkleDB open(java.nio.file.Path dir) {
    return open(dir, MerkleDBConfig.defaults());
  }

  /** Opens (creating if needed) a store on disk. */
  public static MerkleDB open(java.nio.file.Path dir, MerkleDBConfig config) {
    KvStore store = new RocksStore(dir, config.blockCacheBytes(), config.syncWrites());
    try {
      return new MerkleDB(store, config);
    } catch (RuntimeException e) {
      store.close();
      throw e;
    }
  }

  /** A store in memory, for tests and simulations only. */
  public static MerkleDB inMemory(MerkleDBConfig config) {
    return new MerkleDB(new MemoryStore(), config);
  }

  /** A MerkleDB over a given store (the MerkleDB closes it). */
  public static MerkleDB open(KvStore store, MerkleDBConfig config) {
    return new MerkleDB(store, config);
  }

  private void checkFormat() {
    byte[] stored = store.get(Column.META, CONFIG_KEY);
    byte[] mine = ByteBuffer.allocate(8).putInt(FORMAT_VERSION).putInt(bf.width()).array();
    if (stored == null) {
      // A new store: its empty revision 0 is retained like any other until the window passes it,
      // so it must be stored like any other to be retained across a reopen.
      store.write(
          new WriteBatch()
              .put(Column.META, CONFIG_KEY, mine)
              .put(Column.META, revKey(0), Hash.ZERO.toBytes()));
      return;
    }
    ByteBuffer b = ByteBuffer.wrap(stored);
    int version = b.getInt();
    int width = b.getInt();
    if (version != FORMAT_VERSION) {
      throw new FerryException(
          ErrorCode.CORRUPT_DATA, "store format " + version + " is not " + FORMAT_VERSION);
    }
    if (width != bf.width()) {
      throw new FerryException(
          ErrorCode.INVALID_ARGUMENT,
          "the store was created with branch factor " + width + ", not " + bf.width());
    }
  }

  /** Reads the branch factor a store on disk was created with, or empty if it is new. */
  public static Optional<BranchFactor> storedBranchFactor(KvStore store) {
    byte[] stored = store.get(Column.META, CONFIG_KEY);
    return stored == null
        ? Optional.empty()
        : Optional.of(BranchFactor.of(ByteBuffer.wrap(stored).getInt(4)));
  }

  private NavigableMap<Long, Hash> loadRevisions() {
    NavigableMap<Long, Hash> out = new TreeMap<>();
    try (StoreIterator it = store.scan(Column.META, REV_PREFIX, revKey(Long.MAX_VALUE))) {
      while (it.next()) {
        out.put(ByteBuffer.wrap(it.key(), REV_PREFIX.length, 8).getLong(), Hash.of(it.value()));
      }
    }
    out.put(head.revision().height(), head.revision().root());
    return Collections.unmodifiableNavigableMap(out);
  }

  private static byte[] revKey(long height) {
    return ByteBuffer.allocate(REV_PREFIX.length + 8).put(REV_PREFIX).putLong(height).array();
  }

  // ---------------------------------------------------------------- reads

  public BranchFactor branchFactor() {
    return bf;
  }

  public MerkleDBConfig config() {
    return config;
  }

  /** The head revision's root; {@link Hash#ZERO} when empty. */
  public Hash root() {
    return head.revision().root();
  }

  /** Commits so far. */
  public long height() {
    return head.revision().height();
  }

  public Revision revision() {
    return head.revision();
  }

  /** The revisions that can be proven, oldest first; the last is the head. */
  public List<Revision> revisions() {
    List<Revision> out = new ArrayList<>();
    revisions.forEach((h, r) -> out.add(new Revision(h, r)));
    return out;
  }

  /** The head's value at {@code key}. */
  public Optional<Bytes> get(Bytes key) {
    checkOpen();
    byte[] v = store.get(Column.VALUES, key.unsafeArray());
    return v == null ? Optional.empty() : Optional.of(Bytes.wrap(v));
  }

  /** Visits the head's key-values in {@code range} in key order until the visitor returns false. */
  public void scan(KeyRange range, Predicate<KeyValue> visitor) {
    try (StateSnapshot s = snapshot()) {
      s.scan(range, visitor);
    }
  }

  /** The head revision, held still for reading until closed. */
  public StateSnapshot snapshot() {
    checkOpen();
    // The head record is written in the same atomic batch as the revision it names, so reading it
    // from the snapshot itself pairs them without waiting for a commit in progress.
    StoreSnapshot snap = store.snapshot();
    try {
      byte[] h = snap.get(Column.META, HEAD_KEY);
      return new RevisionReader(
          this, h == null ? Head.empty() : Head.decode(h, bf), snap, cache, bf);
    } catch (RuntimeException e) {
      snap.close();
      throw e;
    }
  }

  // ---------------------------------------------------------------- writes

  /** A view of {@code batch} on the head; commit it with {@link #commit(View)}. */
  public View newView(Batch batch) {
    return View.of(snapshot(), batch);
  }

  /** Applies {@code batch} as one new revision. */
  public Revision commit(Batch batch) {
    try (StateSnapshot base = snapshot()) {
      return commit(View.of(base, batch));
    }
  }

  /**
   * Applies {@code batch} as one new revision at {@code height}, which must be above the head's: a
   * store that follows another one keeps its heights, so both name the same state alike.
   */
  public Revision commit(Batch batch, long height) {
    try (StateSnapshot base = snapshot()) {
      return commit(View.of(base, batch), height);
    }
  }

  /**
   * Commits a view as the revision at {@code height}, which must be above the head's; see {@link
   * #commit(View)}.
   *
   * @throws FerryException {@link ErrorCode#INVALID_ARGUMENT} if the height is not above the head's
   */
  public Revision commit(View view, long height) {
    return commit(view, OptionalLong.of(height));
  }

  /**
   * Commits a view built on this store's head (directly, or through other views, which are
   * committed with it).
   *
   * @throws FerryException {@link ErrorCode#ILLEGAL_STATE} if the head moved since the view was
   *     built (the view is stale), or the view belongs to another store
   */
  public Revision commit(View view) {
    return commit(view, OptionalLong.empty());
  }

  private Revision commit(View view, OptionalLong at) {
    checkOpen();
    List<View> chain = new ArrayList<>();
    TrieReader t = view;
    while (t instanceof View v) {
      chain.add(v);
      t = v.base();
    }
    Collections.reverse(chain);
    if (!(t instanceof RevisionReader base) || base.db() != this) {
      throw new FerryException(ErrorCode.ILLEGAL_STATE, "the view was not built on this store");
    }
    synchronized (commitLock) {
      Head current = head;
      if (!base.head().equals(current)) {
        throw new FerryException(
            ErrorCode.ILLEGAL_STATE,
            "stale view: built on height "
                + base.head().revision().height()
                + " but the head is now "
                + current.revision().height());
      }
      // Later views in the chain override earlier ones at the same path or key.
      Map<Path, Node> nodes;
      NavigableMap<Bytes, Optional<Bytes>> values;
      if (chain.size() == 1) {
        nodes = new HashMap<>(view.changedNodeCount() * 2);
        view.forEachChangedNode(nodes::put);
        values = view.changes();
      } else {
        nodes = new HashMap<>();
        values = new TreeMap<>();
        for (View v : chain) {
          v.forEachChangedNode(nodes::put);
          values.putAll(v.changes());
        }
      }
      long height = at.orElse(current.revision().height() + 1);
      if (height <= current.revision().height()) {
        throw new FerryException(
            ErrorCode.INVALID_ARGUMENT,
            "height " + height + " is not above the head's " + current.revision().height());
      }
      Head next = new Head(new Revision(height, view.root()), view.nodes().rootPath());
      WriteBatch batch = new WriteBatch();
      // Encoding nodes and reading old values are independent per entry: spread them over cores.
      List<Map.Entry<Path, Node>> nodeList = new ArrayList<>(nodes.entrySet());
      byte[][][] encoded = new byte[nodeList.size()][][];
      IntStream.range(0, nodeList.size())
          .parallel()
          .forEach(
              i -> {
                Map.Entry<Path, Node> e = nodeList.get(i);
                encoded[i] =
                    new byte[][] {
                      e.getKey().storageKey(),
                      e.getValue() == null ? null : NodeCodec.encode(e.getValue())
                    };
              });
      for (byte[][] kv : encoded) {
        if (kv[1] == null) {
          batch.delete(Column.NODES, kv[0]);
        } else {
          batch.put(Column.NODES, kv[0], kv[1]);
        }
      }
      StoreSnapshot snap = base.snapshot();
      List<Map.Entry<Bytes, Optional<Bytes>>> valueList = new ArrayList<>(values.entrySet());
      byte[][] olds = new byte[valueList.size()][];
      IntStream.range(0, valueList.size())
          .parallel()
          .forEach(i -> olds[i] = snap.get(Column.VALUES, valueList.get(i).getKey().unsafeArray()));
      int changed = 0;
      for (int i = 0; i < valueList.size(); i++) {
        Map.Entry<Bytes, Optional<Bytes>> e = valueList.get(i);
        byte[] old = olds[i];
        Optional<Bytes> before = old == null ? Optional.empty() : Optional.of(Bytes.wrap(old));
        if (before.equals(e.getValue())) {
          continue;
        }
        changed++;
        byte[] k = e.getKey().unsafeArray();
        if (e.getValue().isPresent()) {
          batch.put(Column.VALUES, k, e.getValue().get().unsafeArray());
        } else {
          batch.delete(Column.VALUES, k);
        }
        batch.put(
            Column.HISTORY,
            HistoryRecord.storageKey(height, e.getKey()),
            new HistoryRecord(before, e.getValue()).encode());
      }
      NavigableMap<Long, Hash> revs = new TreeMap<>(revisions);
      revs.put(height, next.revision().root());
      batch.put(Column.META, revKey(height), next.revision().root().toBytes());
      List<Hash> pruned = prune(batch, revs, height);
      batch.put(Column.META, HEAD_KEY, next.encode());
      store.write(batch);
      prunedRoots.addAll(pruned);
      for (Node n : nodes.values()) {
        if (n != null && n.childCount() > 0) {
          cache.put(n); // branches only: a leaf is read about once per update, branches often
        }
      }
      head = next;
      revisions = Collections.unmodifiableNavigableMap(revs);
      if (!pruned.isEmpty()) {
        pastTries.retainOnly(revs::containsValue);
      }
      log.debug("committed height {} root {} ({} keys changed)", height, view.root(), changed);
      return next.revision();
    }
  }

  /**
   * Drops history older than the retained window from {@code revs} and the store; returns the roots
   * dropped, oldest first.
   */
  private List<Hash> prune(WriteBatch batch, NavigableMap<Long, Hash> revs, long height) {
    long oldestKept = height - config.historyLength() + 1;
    if (oldestKept <= 0 || revs.firstKey() >= oldestKept) {
      return List.of();
    }
    // Changes of heights <= oldestKept are not needed to rebuild any kept revision.
    batch.deleteRange(
        Column.HISTORY, HistoryRecord.heightPrefix(0), HistoryRecord.heightPrefix(oldestKept + 1));
    batch.deleteRange(Column.META, revKey(0), revKey(oldestKept));
    NavigableMap<Long, Hash> dropped = revs.headMap(oldestKept, false);
    List<Hash> roots = new ArrayList<>(dropped.values());
    dropped.clear();
    return roots;
  }

  /**
   * Loads sorted, unique key-values into an empty store as its first revision, building the trie
   * bottom-up without reading anything back: values and nodes go in as RocksDB SST files, and the
   * head last, so a crash before the end leaves the store empty.
   *
   * @throws FerryException {@link ErrorCode#ILLEGAL_STATE} if the store is not empty, {@link
   *     ErrorCode#INVALID_ARGUMENT} if the keys are not strictly increasing
   */
  public Revision bulkLoad(Iterator<KeyValue> sorted) {
    return bulkLoad(sorted, 1);
  }

  /**
   * Like {@link #bulkLoad(Iterator)}, with the first revision at {@code height} (at least 1): a
   * store restored or synced from another keeps the height its state had there.
   */
  public Revision bulkLoad(Iterator<KeyValue> sorted, long height) {
    if (height < 1) {
      throw new FerryException(
          ErrorCode.INVALID_ARGUMENT, "a bulk load starts at height 1 or more");
    }
    checkOpen();
    synchronized (commitLock) {
      if (head.revision().height() != 0 || !head.revision().root().isZero()) {
        throw new FerryException(
            ErrorCode.ILLEGAL_STATE,
            "bulk load needs an empty store; this one is at height " + height());
      }
      BulkLoader loader = new BulkLoader(store, bf);
      Head next = loader.load(sorted, height);
      WriteBatch batch = new WriteBatch();
      batch.put(Column.META, revKey(height), next.revision().root().toBytes());
      batch.deleteRange(Column.META, revKey(0), revKey(height));
      batch.put(Column.META, HEAD_KEY, next.encode());
      store.write(batch);
      head = next;
      NavigableMap<Long, Hash> revs = new TreeMap<>();
      revs.put(height, next.revision().root());
      revisions = Collections.unmodifiableNavigableMap(revs);
      log.info("bulk loaded {} keys, root {}", loader.keysLoaded(), next.revision().root());
      return next.revision();
    }
  }

  // ---------------------------------------------------------------- proofs

  /** An inclusion or exclusion proof of {@code key} in the head revision. */
  public Proof proof(Bytes key) {
    try (StateSnapshot s = snapshot()) {
      return ProofGenerator.proof(s, key);
    }
  }

  /**
   * A range proof of the revision with root {@code root}. A root behind the head is proved from the
   * head with the later changes undone; the last few such tries are kept, so that the many requests
   * of a sync at one target root build it once.
   *
   * @throws FerryException {@link ErrorCode#INSUFFICIENT_HISTORY} if that root is not among the
   *     retained revisions; {@link ErrorCode#INVALID_ARGUMENT} for non-positive limits
   */
  public RangeProof rangeProof(Hash root, KeyRange range, int keyLimit, int byteLimit) {
    try (StateSnapshot headSnap = snapshot();
        PastTries.Lease trie = trieAt(headSnap, root)) {
      return ProofGenerator.rangeProof(trie.trie(), range, keyLimit, byteLimit);
    }
  }

  /**
   * A change proof from {@code startRoot} to {@code endRoot} over {@code range}.
   *
   * @throws FerryException {@link ErrorCode#INSUFFICIENT_HISTORY} if either root is not retained;
   *     {@link ErrorCode#INVALID_ARGUMENT} if the start root is the end root or does not occur
   *     before it (a root that repeats counts from its latest occurrence before the end root)
   */
  public ChangeProof changeProof(
      Hash startRoot, Hash endRoot, KeyRange range, int keyLimit, int byteLimit) {
    return changeProof(startRoot, endRoot, range, keyLimit, byteLimit, read -> {});
  }

  /**
   * {@link #changeProof(Hash, Hash, KeyRange, int, int)}, telling {@code historyRead} how many
   * history records it read: the cost a server charges the peer that asked.
   */
  public ChangeProof changeProof(
      Hash startRoot,
      Hash endRoot,
      KeyRange range,
      int keyLimit,
      int byteLimit,
      LongConsumer historyRead) {
    try (StateSnapshot headSnap = snapshot()) {
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
  }

  /** Past tries cached now (for tests). */
  int pastTriesCached() {
    return pastTries.size();
  }

  /** True if {@code root} is one of the retained revisions. */
  public boolean hasRoot(Hash root) {
    return revisions.containsValue(root);
  }

  /**
   * True if {@code root} is not retained but was, before it left the history window: among the last
   * 1,024 roots pruned since this store was opened (not remembered across a reopen). A proof server
   * uses it to tell a peer that a root is too old rather than unknown.
   */
  public boolean wasPruned(Hash root) {
    return prunedRoots.contains(root) && !hasRoot(root);
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
        "root " + root + " is not among the last " + config.historyLength() + " revisions");
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

  /**
   * The trie at {@code root}: the head snapshot itself, or a cached or new past trie. Closing the
   * lease leaves {@code headSnap} open.
   */
  private PastTries.Lease trieAt(StateSnapshot headSnap, Hash root) {
    long h = heightOf(root, headSnap.revision());
    if (h == headSnap.revision().height()) {
      return PastTries.Lease.of(headSnap);
    }
    return pastTries.acquire(root, () -> buildPast(root));
  }

  /** The head with the changes after {@code root}'s latest height undone, on its own snapshot. */
  private PastTries.Built buildPast(Hash root) {
    StateSnapshot headSnap = snapshot();
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

  // ---------------------------------------------------------------- lifecycle

  private void checkOpen() {
    if (closed) {
      throw new FerryException(ErrorCode.ILLEGAL_STATE, "the MerkleDB is closed");
    }
  }

  @Override
  public void close() {
    synchronized (commitLock) {
      if (!closed) {
        closed = true;
        pastTries.close();
        store.close();
      }
    }
  }
}
