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
import java.util.AbstractMap;
import java.util.ArrayList;
import java.util.Collections;
import java.util.HashMap;
import java.util.Iterator;
import java.util.List;
import java.util.Map;
import java.util.NavigableMap;
import java.util.Optional;
import java.util.OptionalLong;
import java.util.TreeMap;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.CompletionException;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.function.Function;
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

  /**
   * The on-disk format. 2 added each child entry's subtree height class; a format-1 store is read
   * as is (its entries just lack the hint) and marked 2 on open, since format 2 reads every
   * format-1 record the same way.
   */
  static final int FORMAT_VERSION = 2;

  private static final int FORMAT_HEIGHT_CLASSES = 2;

  private final KvStore store;
  private final MerkleDBConfig config;
  private final BranchFactor bf;
  private final NodeCache cache;
  private final Object commitLock = new Object();
  private final History history;

  /** Reads the values a commit replaces while its view is built; see {@link #commit(Batch)}. */
  private final ExecutorService prefetch =
      Executors.newSingleThreadExecutor(
          Thread.ofPlatform().name("ferry-commit-prefetch").daemon().factory());

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
    this.history = new History(store, head, config.historyLength(), bf, cache);
  }

  /**
   * Removes what a bulk load cut off before its head left (values and nodes no revision reaches),
   * so that a store without a head is empty, as a new one.
   */
  private void discardUnreachable() {
    WriteBatch batch = new WriteBatch();
    for (Column c : List.of(Column.VALUES, Column.NODES, Column.HISTORY, Column.NODE_HISTORY)) {
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
              .put(Column.META, History.revKey(0), Hash.ZERO.toBytes()));
      return;
    }
    ByteBuffer b = ByteBuffer.wrap(stored);
    int version = b.getInt();
    int width = b.getInt();
    if (version > FORMAT_VERSION || version < 1) {
      throw new FerryException(
          ErrorCode.CORRUPT_DATA,
          "store format "
              + version
              + " is not one this version of Ferry reads (1 to "
              + FORMAT_VERSION
              + "); a newer Ferry wrote it");
    }
    if (width != bf.width()) {
      throw new FerryException(
          ErrorCode.INVALID_ARGUMENT,
          "the store was created with branch factor " + width + ", not " + bf.width());
    }
    if (version < FORMAT_HEIGHT_CLASSES) {
      log.info("store format {} migrated to {}: nothing to rewrite", version, FORMAT_VERSION);
      store.write(new WriteBatch().put(Column.META, CONFIG_KEY, mine));
    }
  }

  /** Reads the branch factor a store on disk was created with, or empty if it is new. */
  public static Optional<BranchFactor> storedBranchFactor(KvStore store) {
    byte[] stored = store.get(Column.META, CONFIG_KEY);
    return stored == null
        ? Optional.empty()
        : Optional.of(BranchFactor.of(ByteBuffer.wrap(stored).getInt(4)));
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
    return history.revisions();
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
    return commit(batch, OptionalLong.empty());
  }

  /**
   * Applies {@code batch} as one new revision at {@code height}, which must be above the head's: a
   * store that follows another one keeps its heights, so both name the same state alike.
   */
  public Revision commit(Batch batch, long height) {
    return commit(batch, OptionalLong.of(height));
  }

  /**
   * Builds the batch's view while another thread reads the values it replaces (for the history
   * records): the two are independent, and on a store larger than memory both wait on reads.
   */
  private Revision commit(Batch batch, OptionalLong height) {
    try (StateSnapshot base = snapshot()) {
      StoreSnapshot snap = ((RevisionReader) base).snapshot();
      List<Bytes> keys = new ArrayList<>(batch.operations().keySet());
      CompletableFuture<byte[][]> olds =
          CompletableFuture.supplyAsync(() -> readValues(snap, keys), prefetch);
      View view;
      try {
        view = View.of(base, batch);
      } catch (RuntimeException e) {
        olds.join(); // the snapshot closes when this returns: let the reads finish first
        throw e;
      }
      return commit(view, height, olds);
    }
  }

  private static <T> T joined(CompletableFuture<T> future) {
    try {
      return future.join();
    } catch (CompletionException e) {
      if (e.getCause() instanceof RuntimeException cause) {
        throw cause;
      }
      throw e;
    }
  }

  private static byte[][] readValues(StoreSnapshot snap, List<Bytes> keys) {
    byte[][] out = new byte[keys.size()][];
    for (int i = 0; i < out.length; i++) {
      out[i] = snap.get(Column.VALUES, keys.get(i).unsafeArray());
    }
    return out;
  }

  /**
   * Commits a view as the revision at {@code height}, which must be above the head's; see {@link
   * #commit(View)}.
   *
   * @throws FerryException {@link ErrorCode#INVALID_ARGUMENT} if the height is not above the head's
   */
  public Revision commit(View view, long height) {
    return commit(view, OptionalLong.of(height), null);
  }

  /**
   * Commits a view built on this store's head (directly, or through other views, which are
   * committed with it).
   *
   * @throws FerryException {@link ErrorCode#ILLEGAL_STATE} if the head moved since the view was
   *     built (the view is stale), or the view belongs to another store
   */
  public Revision commit(View view) {
    return commit(view, OptionalLong.empty(), null);
  }

  /**
   * @param prefetched the old values of the view's keys in key order, read from the view's base, or
   *     null to read them here
   */
  private Revision commit(View view, OptionalLong at, CompletableFuture<byte[][]> prefetched) {
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
      List<Map.Entry<Path, Node>> nodeList;
      NavigableMap<Bytes, Optional<Bytes>> values;
      if (chain.size() == 1) {
        // One view changes each path once: its changes go to the batch as they are.
        List<Map.Entry<Path, Node>> own = new ArrayList<>(view.changedNodeCount());
        view.forEachChangedNode((p, n) -> own.add(new AbstractMap.SimpleImmutableEntry<>(p, n)));
        nodeList = own;
        values = view.changes();
      } else {
        Map<Path, Node> nodes = new HashMap<>();
        values = new TreeMap<>();
        for (View v : chain) {
          v.forEachChangedNode(nodes::put);
          values.putAll(v.changes());
        }
        nodeList = new ArrayList<>(nodes.entrySet());
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
      // One view knows what it replaced: the nodes it copied; a path it did not copy held no
      // node, or a leaf it replaced unread, and needs no record. A chain's first view is the only
      // one on the store, so there the store is read.
      Path oldRoot = current.rootPath();
      Function<Path, byte[]> known =
          chain.size() == 1
              ? p -> {
                Node was = view.replacedNode(p);
                return was == null
                    ? NodeHistory.NONE
                    : NodeHistory.imageOf(was, bf, p.equals(oldRoot));
              }
              : p -> null;
      NodeHistory.record(
          batch, height, snap, nodeList.stream().map(Map.Entry::getKey).toList(), known);
      List<Map.Entry<Bytes, Optional<Bytes>>> valueList = new ArrayList<>(values.entrySet());
      byte[][] olds;
      if (prefetched != null && chain.size() == 1) {
        olds = joined(prefetched); // the same keys in the same order: the view's own batch
      } else {
        byte[][] read = new byte[valueList.size()][];
        IntStream.range(0, valueList.size())
            .parallel()
            .forEach(
                i -> read[i] = snap.get(Column.VALUES, valueList.get(i).getKey().unsafeArray()));
        olds = read;
      }
      if (olds.length != valueList.size()) {
        throw new FerryException(ErrorCode.INTERNAL, "old values do not match the view's keys");
      }
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
        History.record(batch, height, e.getKey(), before, e.getValue());
      }
      History.Next retained = history.retain(batch, next);
      batch.put(Column.META, HEAD_KEY, next.encode());
      store.write(batch);
      for (Map.Entry<Path, Node> e : nodeList) {
        Node n = e.getValue();
        if (n != null && n.childCount() > 0) {
          cache.put(n); // branches only: a leaf is read about once per update, branches often
        }
      }
      head = next;
      history.advance(retained);
      log.debug("committed height {} root {} ({} keys changed)", height, view.root(), changed);
      return next.revision();
    }
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
    return bulkLoad(height, loader -> loader.load(sorted, height));
  }

  /**
   * Like {@link #bulkLoad(Iterator, long)}, with each value's digest given rather than hashed
   * again: for a state whose proofs were verified key by key, which hashed every value already (a
   * proof sync). The digests are taken as given, so the root returned is the root of the digests:
   * the caller must check it against a root it trusts.
   */
  public Revision bulkLoadDigested(Iterator<DigestedKeyValue> sorted, long height) {
    return bulkLoad(height, loader -> loader.loadDigested(sorted, height));
  }

  private Revision bulkLoad(long height, java.util.function.Function<BulkLoader, Head> load) {
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
      Head next = load.apply(loader);
      WriteBatch batch = new WriteBatch();
      History.Next retained = history.restart(batch, next);
      batch.put(Column.META, HEAD_KEY, next.encode());
      store.write(batch);
      head = next;
      history.advance(retained);
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
   * A range proof of the revision with root {@code root}. A root behind the head is read from the
   * node and key history, lazily: the proof costs the nodes and values it touches.
   *
   * @throws FerryException {@link ErrorCode#INSUFFICIENT_HISTORY} if that root is not among the
   *     retained revisions; {@link ErrorCode#INVALID_ARGUMENT} for non-positive limits
   */
  public RangeProof rangeProof(Hash root, KeyRange range, int keyLimit, int byteLimit) {
    try (StateSnapshot headSnap = snapshot()) {
      return ProofGenerator.rangeProof(history.trieAt(headSnap, root), range, keyLimit, byteLimit);
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
      return history.changeProof(
          headSnap, startRoot, endRoot, range, keyLimit, byteLimit, historyRead);
    }
  }

  /** The trie at the retained {@code root}, read through {@code headSnap} (for tests). */
  TrieReader trieAt(StateSnapshot headSnap, Hash root) {
    return history.trieAt(headSnap, root);
  }

  /** True if {@code root} is one of the retained revisions. */
  public boolean hasRoot(Hash root) {
    return history.hasRoot(root);
  }

  /**
   * True if {@code root} is not retained but was, before it left the history window: among the last
   * 1,024 roots pruned since this store was opened (not remembered across a reopen). A proof server
   * uses it to tell a peer that a root is too old rather than unknown.
   */
  public boolean wasPruned(Hash root) {
    return history.wasPruned(root);
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
        prefetch.shutdown();
        store.close();
      }
    }
  }
}
