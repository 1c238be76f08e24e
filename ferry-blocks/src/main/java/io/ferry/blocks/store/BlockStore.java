package io.ferry.blocks.store;

import com.google.protobuf.InvalidProtocolBufferException;
import io.ferry.blocks.cid.Cid;
import io.ferry.blocks.cid.Multicodec;
import io.ferry.blocks.dataset.BlockProof;
import io.ferry.blocks.dataset.BlockTree;
import io.ferry.blocks.dataset.Manifest;
import io.ferry.core.ErrorCode;
import io.ferry.core.FerryException;
import io.ferry.core.Limits;
import io.ferry.merkledb.store.Column;
import io.ferry.merkledb.store.KvStore;
import io.ferry.merkledb.store.StoreIterator;
import io.ferry.merkledb.store.WriteBatch;
import java.io.IOException;
import java.io.InputStream;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.BitSet;
import java.util.Comparator;
import java.util.List;
import java.util.Map;
import java.util.NavigableSet;
import java.util.Optional;
import java.util.SortedMap;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.ConcurrentSkipListMap;
import java.util.concurrent.ConcurrentSkipListSet;
import java.util.concurrent.atomic.AtomicBoolean;
import java.util.concurrent.atomic.AtomicLong;
import java.util.function.Consumer;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * A node's blocks: datasets' leaves (a block with its proof at its place in a tree), the blocks
 * themselves, stored once by CID however many trees hold them, and manifests, on a {@link KvStore}
 * with the columns {@link #COLUMNS} (the node's RocksDB in its {@code blocks/} directory).
 *
 * <p><b>Quota and eviction.</b> {@link #usedBytes()} counts each stored block once, each leaf's
 * index entry (its key, block CID and proof) and each manifest; a put that would take it over
 * {@link #quotaBytes()} first evicts the least recently used datasets that are neither pinned nor
 * held, and fails with {@link ErrorCode#LIMIT_EXCEEDED}, storing nothing, if evicting all of them
 * could not make room. Leaves of a tree whose manifest is not here yet count and are evicted too.
 * The unit of eviction is the dataset (a tree with its leaves and the manifests that name it), not
 * the block: a dataset missing some blocks is of no use to a reader and a poor provider, what the
 * node advertises and withdraws is a dataset, and dataset recency costs one in-memory number per
 * tree where per-block recency would cost a store write per read. Recency is a logical clock,
 * raised by leaf puts and reads and by manifest puts and reads (not by presence checks), kept on
 * disk with every put and at most every 1024 ticks of reads, so the order survives a restart
 * approximately.
 *
 * <p><b>Atomicity.</b> Every change is one atomic batch that carries the blocks' reference counts
 * and the tree's record along with it, so a crash between two batches leaves counts and usage
 * consistent; the next open recomputes usage, finishes a delete that was under way and drops blocks
 * staged by an import that did not finish. An import ({@link #importStream}, {@link #newDataset})
 * is durable when it returns.
 *
 * <p><b>Thread-safety.</b> Thread-safe: puts of one tree are ordered by a lock of that tree (held
 * across its store write), puts of different trees run in parallel, and presence checks ({@link
 * #hasLeaf}, {@link #held}) read memory only and never wait for a write. Evictions run on the
 * thread of the put that needs the room, one at a time; the removal listener runs on the thread
 * that removed the dataset, after the removal, with no lock held.
 */
public final class BlockStore {
  /** Block CID to the block's bytes. */
  public static final Column BLOCKS = Column.blob("blocks");

  /** Block CID to its reference count and length (see {@link BlockRefs}). */
  public static final Column BLOCK_REFS = new Column("block-refs", false);

  /** Tree CID ‖ index (4 bytes big-endian) to the block's CID ‖ its encoded {@link BlockProof}. */
  public static final Column LEAVES = new Column("leaves", false);

  /** Manifest CID to the manifest's encoding. */
  public static final Column MANIFESTS = new Column("manifests", false);

  /** Tree CID to its {@link DatasetRecord}. */
  public static final Column DATASETS = new Column("datasets", true);

  /** Pinned manifest CIDs (empty values). */
  public static final Column PINS = new Column("pins", true);

  /** Import id ‖ index to the CID of a block stored by an import that has not finished. */
  public static final Column STAGED = new Column("staged-blocks", false);

  /** Every column of the store, in their order on disk. */
  public static final List<Column> COLUMNS =
      List.of(BLOCKS, BLOCK_REFS, LEAVES, MANIFESTS, DATASETS, PINS, STAGED);

  /** Leaves per batch when an import writes its leaves or a delete removes them. */
  static final int BATCH_LEAVES = 1024;

  /** Ticks of the logical clock after which a read writes a tree's recency down. */
  static final long PERSIST_ACCESS_EVERY = 1024;

  private static final Logger log = LoggerFactory.getLogger(BlockStore.class);

  /**
   * One block of a tree as the store serves it: its bytes and its proof against the tree's root.
   * {@code data} is the caller's to keep (not shared with the store); equality is by reference.
   */
  public record Leaf(byte[] data, BlockProof proof) {}

  /** A protection of a tree against eviction; closing it (once or more) ends it. */
  public interface Hold extends AutoCloseable {
    @Override
    void close();
  }

  private final KvStore kv;
  private final Quota quota;
  private final Consumer<Cid> onRemoved;
  private final int maxDatasetBlocks;
  private final BlockRefs refs;
  private final ConcurrentSkipListMap<Cid, TreeState> trees = new ConcurrentSkipListMap<>();
  private final ConcurrentSkipListMap<Cid, Cid> manifestTrees = new ConcurrentSkipListMap<>();
  private final NavigableSet<Cid> pins = new ConcurrentSkipListSet<>();
  private final Map<Cid, Integer> holds = new ConcurrentHashMap<>();
  private final AtomicLong clock = new AtomicLong();
  private final AtomicLong importIds = new AtomicLong();
  private final Object evicting = new Object();

  /** Opens the store that {@code kv} holds, with a quota of {@code quotaBytes}. */
  public BlockStore(KvStore kv, long quotaBytes) {
    this(kv, quotaBytes, cid -> {});
  }

  /**
   * Opens the store that {@code kv} holds, with a quota of {@code quotaBytes}, telling {@code
   * onRemoved} the CID of each manifest it evicts or deletes (a node withdraws its provider
   * record). If the store holds more than the quota (a quota lowered since), it evicts what it can.
   */
  public BlockStore(KvStore kv, long quotaBytes, Consumer<Cid> onRemoved) {
    this(kv, quotaBytes, onRemoved, Limits.MAX_DATASET_BLOCKS);
  }

  BlockStore(KvStore kv, long quotaBytes, Consumer<Cid> onRemoved, int maxDatasetBlocks) {
    if (quotaBytes < 0) {
      throw new IllegalArgumentException("a quota of " + quotaBytes + " bytes");
    }
    this.kv = kv;
    this.quota = new Quota(quotaBytes);
    this.onRemoved = onRemoved;
    this.maxDatasetBlocks = maxDatasetBlocks;
    this.refs = new BlockRefs(kv, BLOCKS, BLOCK_REFS);
    load();
    if (quota.free() < 0) {
      try {
        reserve(0, null);
      } catch (FerryException e) {
        log.warn("the block store holds more than its quota: {}", e.getMessage());
      }
    }
  }

  // ---- Opening ----------------------------------------------------------------------------

  private void load() {
    long newest = 0;
    List<TreeState> unfinished = new ArrayList<>();
    try (StoreIterator it = kv.scan(DATASETS, null, null)) {
      while (it.next()) {
        DatasetRecord r = DatasetRecord.decode(it.value());
        TreeState t = new TreeState(storedCid(it.key()), r, this::loadHeld);
        newest = Math.max(newest, r.lastAccess());
        quota.add(r.leafBytes());
        if (r.deleting()) {
          unfinished.add(t);
        } else {
          trees.put(t.tree, t);
        }
      }
    }
    try (StoreIterator it = kv.scan(MANIFESTS, null, null)) {
      while (it.next()) {
        Cid cid = storedCid(it.key());
        Manifest m = decodeStored(it.value());
        TreeState t = trees.computeIfAbsent(m.tree(), TreeState::new);
        t.manifests.put(cid, m);
        long entry = it.key().length + it.value().length;
        t.manifestBytes += entry;
        quota.add(entry);
        manifestTrees.put(cid, m.tree());
      }
    }
    try (StoreIterator it = kv.scan(PINS, null, null)) {
      while (it.next()) {
        pins.add(storedCid(it.key()));
      }
    }
    try (StoreIterator it = kv.scan(BLOCK_REFS, null, null)) {
      while (it.next()) {
        quota.add(BlockRefs.length(it.value()));
      }
    }
    clock.set(newest);
    releaseStaged(null, null);
    for (TreeState t : unfinished) {
      log.info("finishing the delete of dataset tree {} that a restart interrupted", t.tree);
      t.lock.lock();
      try {
        purge(t);
        kv.write(new WriteBatch().delete(DATASETS, t.key));
      } finally {
        t.lock.unlock();
      }
    }
  }

  private BitSet loadHeld(TreeState t) {
    BitSet held = new BitSet();
    try (StoreIterator it = kv.scan(LEAVES, t.key, Keys.after(t.key))) {
      while (it.next()) {
        held.set(Keys.leafIndex(it.key()));
      }
    }
    return held;
  }

  private static Cid storedCid(byte[] bytes) {
    try {
      return Cid.fromBytes(bytes);
    } catch (FerryException e) {
      throw new FerryException(ErrorCode.CORRUPT_DATA, "a stored CID: " + e.getMessage(), e);
    }
  }

  private static Manifest decodeStored(byte[] bytes) {
    try {
      return Manifest.decode(bytes);
    } catch (FerryException e) {
      throw new FerryException(ErrorCode.CORRUPT_DATA, "a stored manifest: " + e.getMessage(), e);
    }
  }

  // ---- Manifests and blocks ---------------------------------------------------------------

  /** The manifest with CID {@code cid}, if here; a read refreshes its dataset's recency. */
  public Optional<Manifest> manifest(Cid cid) {
    Cid tree = manifestTrees.get(cid);
    TreeState t = tree == null ? null : trees.get(tree);
    Manifest m = t == null ? null : t.manifests.get(cid);
    if (m == null) {
      return Optional.empty();
    }
    touchRead(t);
    return Optional.of(m);
  }

  /**
   * Stores {@code manifest} (idempotent), which names a dataset whose leaves may follow.
   *
   * @return its CID
   * @throws FerryException {@link ErrorCode#LIMIT_EXCEEDED} if it does not fit the quota
   */
  public Cid putManifest(Manifest manifest) {
    byte[] bytes = manifest.encode();
    Cid cid = Cid.hash(Multicodec.FERRY_MANIFEST, bytes);
    if (manifest(cid).isPresent()) {
      return cid;
    }
    byte[] key = cid.toBytes();
    long entry = key.length + bytes.length;
    reserve(entry, manifest.tree());
    long stored = 0;
    try {
      TreeState t = lockLive(manifest.tree());
      try {
        if (!t.manifests.containsKey(cid)) {
          t.touch(clock.incrementAndGet());
          kv.write(
              new WriteBatch()
                  .put(MANIFESTS, key, bytes)
                  .put(DATASETS, t.key, t.record(false).encode()));
          t.persistedAccess = t.lastAccess.get();
          t.manifests.put(cid, manifest);
          t.manifestBytes += entry;
          manifestTrees.put(cid, manifest.tree());
          stored = entry;
        }
      } finally {
        t.lock.unlock();
      }
    } finally {
      quota.settle(entry, stored);
    }
    return cid;
  }

  /** The CIDs of every manifest here, in CID order. */
  public List<Cid> manifests() {
    return List.copyOf(manifestTrees.keySet());
  }

  /**
   * Any block here by its CID: a dataset's block ({@link Multicodec#RAW}) or a manifest's encoding
   * ({@link Multicodec#FERRY_MANIFEST}). A tree CID names no stored block.
   */
  public Optional<byte[]> block(Cid cid) {
    return switch (cid.codec()) {
      case RAW -> Optional.ofNullable(kv.get(BLOCKS, cid.toBytes()));
      case FERRY_MANIFEST -> Optional.ofNullable(kv.get(MANIFESTS, cid.toBytes()));
      case FERRY_TREE -> Optional.empty();
    };
  }

  // ---- Leaves -----------------------------------------------------------------------------

  /** Whether leaf {@code index} of {@code tree} is here. From memory; does not touch recency. */
  public boolean hasLeaf(Cid tree, int index) {
    TreeState t = trees.get(tree);
    return t != null && index >= 0 && t.has(index);
  }

  /** The leaves of {@code tree} held here (a copy; empty for a tree the store does not know). */
  public BitSet held(Cid tree) {
    TreeState t = trees.get(tree);
    return t == null ? new BitSet() : t.copy();
  }

  /** How many leaves of {@code tree} are here. */
  public int heldCount(Cid tree) {
    TreeState t = trees.get(tree);
    return t == null ? 0 : t.leaves;
  }

  /**
   * Leaf {@code index} of {@code tree} with its proof, if here; a read refreshes the dataset's
   * recency.
   *
   * @throws FerryException {@link ErrorCode#CORRUPT_DATA} if the store lost a block that a leaf
   *     names
   */
  public Optional<Leaf> leaf(Cid tree, int index) {
    TreeState t = trees.get(tree);
    if (t == null || index < 0 || !t.has(index)) {
      return Optional.empty();
    }
    touchRead(t);
    byte[] value = kv.get(LEAVES, Keys.leaf(t.key, index));
    byte[] data = value == null ? null : kv.get(BLOCKS, Keys.leafBlock(value));
    if (data == null) {
      if (t.deleted || value == null) {
        return Optional.empty(); // deleted or evicted while we read
      }
      throw new FerryException(
          ErrorCode.CORRUPT_DATA, "the block of leaf " + index + " of " + tree + " is missing");
    }
    BlockProof proof;
    try {
      proof =
          BlockProof.fromProto(
              io.ferry.wire.v1.BlockProof.parseFrom(
                  Arrays.copyOfRange(value, Keys.RAW_CID_BYTES, value.length)));
    } catch (InvalidProtocolBufferException | FerryException e) {
      throw new FerryException(
          ErrorCode.CORRUPT_DATA, "the proof of leaf " + index + " of " + tree + " is corrupt", e);
    }
    return Optional.of(new Leaf(data, proof));
  }

  /**
   * Stores leaf {@code index} of {@code tree}, which the caller has verified against the tree's
   * root; hashes {@code data} for its CID. Idempotent.
   *
   * @see #putLeaf(Cid, int, Cid, byte[], BlockProof)
   */
  public void putLeaf(Cid tree, int index, byte[] data, BlockProof proof) {
    putLeaf(tree, index, Cid.hash(Multicodec.RAW, data), data, proof);
  }

  /**
   * Stores leaf {@code index} of {@code tree}: {@code data}, whose CID the caller computed as it
   * verified {@code proof} against the tree's root (the store checks neither again). Idempotent: a
   * leaf already here is left as it is. A put refreshes the dataset's recency.
   *
   * @throws FerryException {@link ErrorCode#INVALID_ARGUMENT} for a CID of the wrong kind, a proof
   *     of another index, or a block of no bytes or more than {@link Limits#MAX_BLOCK_BYTES};
   *     {@link ErrorCode#LIMIT_EXCEEDED} if it does not fit the quota even after evicting every
   *     other dataset that is neither pinned nor held (nothing is stored then)
   */
  public void putLeaf(Cid tree, int index, Cid block, byte[] data, BlockProof proof) {
    checkLeaf(tree, index, block, data, proof);
    TreeState known = trees.get(tree);
    if (known != null && known.has(index)) {
      known.touch(clock.incrementAndGet());
      return;
    }
    byte[] key = Keys.leaf(tree.toBytes(), index);
    byte[] value = Keys.leafValue(block, proof);
    long entry = key.length + value.length;
    long reservation = data.length + entry;
    reserve(reservation, tree);
    long stored = 0;
    try {
      TreeState t = lockLive(tree);
      try {
        if (t.has(index)) {
          t.touch(clock.incrementAndGet());
          return;
        }
        DatasetRecord r =
            new DatasetRecord(
                false,
                t.leaves + 1,
                t.dataBytes + data.length,
                t.leafBytes + entry,
                Math.max(t.lastAccess.get(), clock.incrementAndGet()));
        WriteBatch batch =
            new WriteBatch().put(LEAVES, key, value).put(DATASETS, t.key, r.encode());
        boolean fresh = refs.addAndWrite(block, data, batch);
        stored = (fresh ? data.length : 0) + entry;
        t.apply(r);
        t.persistedAccess = r.lastAccess();
        t.set(index);
      } finally {
        t.lock.unlock();
      }
    } finally {
      quota.settle(reservation, stored);
    }
  }

  private static void checkLeaf(Cid tree, int index, Cid block, byte[] data, BlockProof proof) {
    if (tree.codec() != Multicodec.FERRY_TREE || block.codec() != Multicodec.RAW) {
      throw new FerryException(
          ErrorCode.INVALID_ARGUMENT,
          "a leaf is a " + Multicodec.RAW + " block under a " + Multicodec.FERRY_TREE);
    }
    if (index < 0 || index >= proof.leaves() || proof.index() != index) {
      throw new FerryException(
          ErrorCode.INVALID_ARGUMENT,
          "leaf " + index + " with the proof of leaf " + proof.index() + " of " + proof.leaves());
    }
    if (data.length < 1 || data.length > Limits.MAX_BLOCK_BYTES) {
      throw new FerryException(
          ErrorCode.INVALID_ARGUMENT,
          "a block of " + data.length + " bytes is not 1 to " + Limits.MAX_BLOCK_BYTES);
    }
  }

  // ---- Imports ----------------------------------------------------------------------------

  /**
   * Imports a dataset from {@code in}: blocks of {@code blockSize} (the last one shorter), each
   * stored as it is read, then the tree's leaves with their proofs and the manifest, pinned (the
   * node's own data). Memory stays at one block and 32 bytes per block. Durable when it returns; on
   * a failure nothing of it stays.
   *
   * @throws FerryException {@link ErrorCode#INVALID_ARGUMENT} for empty input or a bad block size
   *     or name; {@link ErrorCode#LIMIT_EXCEEDED} for more than {@link Limits#MAX_DATASET_BLOCKS}
   *     blocks or more than the quota; {@link ErrorCode#IO_ERROR} if {@code in} fails
   */
  public Manifest importStream(InputStream in, int blockSize, String filename, String mimetype) {
    try (DatasetWriter writer = newDataset(blockSize)) {
      while (true) {
        byte[] block = in.readNBytes(blockSize);
        if (block.length > 0) {
          writer.add(block);
        }
        if (block.length < blockSize) {
          return writer.finish(filename, mimetype);
        }
      }
    } catch (IOException e) {
      throw new FerryException(
          ErrorCode.IO_ERROR, "reading a dataset failed: " + e.getMessage(), e);
    }
  }

  /**
   * A writer of a new dataset of {@code blockSize} blocks, pinned when it finishes; closing it
   * unfinished drops what it stored.
   *
   * @throws FerryException {@link ErrorCode#INVALID_ARGUMENT} for a block size out of 1 to {@link
   *     Limits#MAX_BLOCK_BYTES}
   */
  public DatasetWriter newDataset(int blockSize) {
    if (blockSize < 1 || blockSize > Limits.MAX_BLOCK_BYTES) {
      throw new FerryException(
          ErrorCode.INVALID_ARGUMENT,
          "a block size of " + blockSize + " is not 1 to " + Limits.MAX_BLOCK_BYTES);
    }
    return new DatasetWriter(this, importIds.incrementAndGet(), blockSize, maxDatasetBlocks);
  }

  /** Stores block {@code index} of import {@code id}, referenced by its staged entry. */
  Cid stage(long id, int index, byte[] block) {
    Cid cid = Cid.hash(Multicodec.RAW, block);
    reserve(block.length, null);
    long stored = 0;
    try {
      WriteBatch batch = new WriteBatch().put(STAGED, Keys.staged(id, index), cid.toBytes());
      stored = refs.addAndWrite(cid, block, batch) ? block.length : 0;
    } finally {
      quota.settle(block.length, stored);
    }
    return cid;
  }

  /**
   * Turns import {@code id}'s staged blocks into the leaves of {@code tree}, in batches that each
   * move the blocks' references from the staged entries to the leaves, then stores and pins {@code
   * manifest} and syncs the store.
   */
  Manifest commit(long id, BlockTree tree, Manifest manifest) {
    Cid treeCid = tree.cid();
    byte[] treeKey = treeCid.toBytes();
    byte[] manifestBytes = manifest.encode();
    Cid manifestCid = Cid.hash(Multicodec.FERRY_MANIFEST, manifestBytes);
    byte[] manifestKey = manifestCid.toBytes();
    int n = tree.leaves();
    long reservation = manifestKey.length + manifestBytes.length;
    for (int i = 0; i < n; i++) {
      reservation += treeKey.length + 4 + Keys.leafValue(leafCid(tree, i), tree.proof(i)).length;
    }
    reserve(reservation, treeCid);
    long stored = 0;
    try {
      TreeState t = lockLive(treeCid);
      try {
        for (int from = 0; from < n; from += BATCH_LEAVES) {
          stored += commitBatch(t, id, tree, manifest, from, Math.min(n, from + BATCH_LEAVES));
        }
        boolean named = t.manifests.containsKey(manifestCid);
        if (!named || !pins.contains(manifestCid)) {
          t.touch(clock.incrementAndGet());
          WriteBatch batch =
              new WriteBatch()
                  .put(PINS, manifestKey, new byte[0])
                  .put(DATASETS, t.key, t.record(false).encode());
          if (!named) {
            batch.put(MANIFESTS, manifestKey, manifestBytes);
          }
          kv.write(batch);
          t.persistedAccess = t.lastAccess.get();
          if (!named) {
            t.manifests.put(manifestCid, manifest);
            t.manifestBytes += manifestKey.length + manifestBytes.length;
            manifestTrees.put(manifestCid, treeCid);
            stored += manifestKey.length + manifestBytes.length;
          }
          pins.add(manifestCid);
        }
      } finally {
        t.lock.unlock();
      }
      kv.sync();
    } finally {
      quota.settle(reservation, stored);
    }
    return manifest;
  }

  /** Leaves {@code from} to {@code to} of an import; returns the bytes of the entries added. */
  private long commitBatch(
      TreeState t, long id, BlockTree tree, Manifest manifest, int from, int to) {
    WriteBatch batch = new WriteBatch();
    SortedMap<byte[], Integer> duplicates = BlockRefs.newCounts();
    BitSet added = new BitSet();
    int leaves = t.leaves;
    long dataBytes = t.dataBytes;
    long leafBytes = t.leafBytes;
    for (int i = from; i < to; i++) {
      Cid block = leafCid(tree, i);
      batch.delete(STAGED, Keys.staged(id, i));
      if (t.has(i)) {
        duplicates.merge(block.toBytes(), 1, Integer::sum); // the tree holds it: drop the stage
        continue;
      }
      byte[] key = Keys.leaf(t.key, i);
      byte[] value = Keys.leafValue(block, tree.proof(i));
      batch.put(LEAVES, key, value);
      leaves++;
      dataBytes += manifest.blockLength(i);
      leafBytes += key.length + value.length;
      added.set(i);
    }
    DatasetRecord r =
        new DatasetRecord(
            false,
            leaves,
            dataBytes,
            leafBytes,
            Math.max(t.lastAccess.get(), clock.incrementAndGet()));
    batch.put(DATASETS, t.key, r.encode());
    if (duplicates.isEmpty()) {
      kv.write(batch);
    } else {
      quota.free(refs.releaseAndWrite(duplicates, batch));
    }
    long addedBytes = leafBytes - t.leafBytes;
    t.apply(r);
    t.persistedAccess = r.lastAccess();
    added.stream().forEach(t::set);
    return addedBytes;
  }

  private static Cid leafCid(BlockTree tree, int index) {
    return Cid.of(Multicodec.RAW, tree.leaf(index));
  }

  /** Drops what import {@code id} staged: it was closed before it finished. */
  void abort(long id) {
    releaseStaged(Keys.staged(id, 0), Keys.staged(id + 1, 0));
  }

  /** Releases the staged blocks with keys in {@code [from, to)} (null: unbounded), in batches. */
  private void releaseStaged(byte[] from, byte[] to) {
    while (true) {
      WriteBatch batch = new WriteBatch();
      SortedMap<byte[], Integer> counts = BlockRefs.newCounts();
      try (StoreIterator it = kv.scan(STAGED, from, to)) {
        for (int n = 0; n < BATCH_LEAVES && it.next(); n++) {
          batch.delete(STAGED, it.key());
          counts.merge(it.value(), 1, Integer::sum);
        }
      }
      if (counts.isEmpty()) {
        return;
      }
      quota.free(refs.releaseAndWrite(counts, batch));
    }
  }

  // ---- Pins, holds, deletes ---------------------------------------------------------------

  /**
   * Pins the manifest {@code manifest}: its dataset is never evicted.
   *
   * @throws FerryException {@link ErrorCode#NOT_FOUND} if the manifest is not here
   */
  public void pin(Cid manifest) {
    setPin(manifest, true);
  }

  /** Unpins {@code manifest}, which makes its dataset evictable unless another pin keeps it. */
  public void unpin(Cid manifest) {
    setPin(manifest, false);
  }

  public boolean isPinned(Cid manifest) {
    return pins.contains(manifest);
  }

  private void setPin(Cid manifest, boolean pin) {
    Cid tree = manifestTrees.get(manifest);
    TreeState t = tree == null ? null : lockExisting(tree);
    if (t == null) {
      if (pin) {
        throw new FerryException(ErrorCode.NOT_FOUND, "no manifest " + manifest + " to pin");
      }
      return;
    }
    try {
      if (!t.manifests.containsKey(manifest)) {
        if (pin) {
          throw new FerryException(ErrorCode.NOT_FOUND, "no manifest " + manifest + " to pin");
        }
        return;
      }
      if (pin != pins.contains(manifest)) {
        WriteBatch batch = new WriteBatch();
        kv.write(
            pin
                ? batch.put(PINS, manifest.toBytes(), new byte[0])
                : batch.delete(PINS, manifest.toBytes()));
        if (pin) {
          pins.add(manifest);
        } else {
          pins.remove(manifest);
        }
      }
    } finally {
      t.lock.unlock();
    }
  }

  /**
   * Protects {@code tree} from eviction until the hold is closed (a download in progress): in
   * memory, counted, for a tree the store may not know yet. An eviction already under way finishes.
   */
  public Hold hold(Cid tree) {
    holds.merge(tree, 1, Integer::sum);
    AtomicBoolean closed = new AtomicBoolean();
    return () -> {
      if (closed.compareAndSet(false, true)) {
        holds.computeIfPresent(tree, (k, v) -> v == 1 ? null : v - 1);
      }
    };
  }

  /**
   * Deletes a manifest, with its tree's leaves when no other manifest names the tree, or (given a
   * tree CID) a tree with every manifest that names it, pinned or not. The removal listener hears
   * of each manifest removed.
   *
   * @return whether there was anything to delete
   * @throws FerryException {@link ErrorCode#INVALID_ARGUMENT} for a block's CID (blocks go with
   *     their datasets)
   */
  public boolean delete(Cid cid) {
    List<Cid> removed =
        switch (cid.codec()) {
          case FERRY_TREE -> {
            TreeState t = trees.get(cid);
            yield t == null ? null : deleteTree(t, false);
          }
          case FERRY_MANIFEST -> deleteManifest(cid);
          case RAW ->
              throw new FerryException(
                  ErrorCode.INVALID_ARGUMENT, "a block is deleted with the datasets that hold it");
        };
    if (removed == null) {
      return false;
    }
    notifyRemoved(removed);
    return true;
  }

  private List<Cid> deleteManifest(Cid manifest) {
    Cid tree = manifestTrees.get(manifest);
    TreeState t = tree == null ? null : lockExisting(tree);
    if (t == null) {
      return null;
    }
    try {
      Manifest m = t.manifests.get(manifest);
      if (m == null) {
        return null;
      }
      if (t.manifests.size() == 1) {
        return deleteTree(t, false);
      }
      byte[] key = manifest.toBytes();
      kv.write(new WriteBatch().delete(MANIFESTS, key).delete(PINS, key));
      long entry = key.length + m.encode().length;
      t.manifests.remove(manifest);
      t.manifestBytes -= entry;
      manifestTrees.remove(manifest);
      pins.remove(manifest);
      quota.free(entry);
      return List.of(manifest);
    } finally {
      t.lock.unlock();
    }
  }

  /**
   * Deletes tree {@code t} with its manifests and leaves, unless {@code unlessProtected} and it is
   * pinned or held; returns the manifests removed, or null if it deleted nothing. The first batch
   * marks the tree as being deleted and removes its manifests, so no crash leaves a manifest naming
   * a half-deleted tree; the leaves go in batches; the last batch removes the tree's record.
   */
  private List<Cid> deleteTree(TreeState t, boolean unlessProtected) {
    t.lock.lock();
    try {
      if (t.deleted || (unlessProtected && isProtected(t))) {
        return null;
      }
      t.deleted = true;
      try {
        List<Cid> names = List.copyOf(t.manifests.keySet());
        WriteBatch first = new WriteBatch().put(DATASETS, t.key, t.record(true).encode());
        for (Cid m : names) {
          first.delete(MANIFESTS, m.toBytes()).delete(PINS, m.toBytes());
        }
        kv.write(first);
        for (Cid m : names) {
          manifestTrees.remove(m);
          pins.remove(m);
        }
        quota.free(t.manifestBytes);
        t.manifests.clear();
        t.manifestBytes = 0;
        purge(t);
        kv.write(new WriteBatch().delete(DATASETS, t.key));
        return names;
      } finally {
        trees.remove(t.tree, t);
      }
    } finally {
      t.lock.unlock();
    }
  }

  /** Deletes the leaves of {@code t} (locked, marked deleting) in batches, releasing blocks. */
  private void purge(TreeState t) {
    byte[] end = Keys.after(t.key);
    while (true) {
      WriteBatch batch = new WriteBatch();
      SortedMap<byte[], Integer> counts = BlockRefs.newCounts();
      int n = 0;
      long entries = 0;
      try (StoreIterator it = kv.scan(LEAVES, t.key, end)) {
        while (n < BATCH_LEAVES && it.next()) {
          byte[] key = it.key();
          byte[] value = it.value();
          batch.delete(LEAVES, key);
          counts.merge(Keys.leafBlock(value), 1, Integer::sum);
          entries += key.length + value.length;
          n++;
        }
      }
      if (n == 0) {
        return;
      }
      t.leaves -= n;
      t.leafBytes -= entries;
      batch.put(DATASETS, t.key, t.record(true).encode());
      long freed = refs.releaseAndWrite(counts, batch);
      quota.free(freed + entries);
    }
  }

  private boolean isProtected(TreeState t) {
    if (holds.containsKey(t.tree)) {
      return true;
    }
    for (Cid m : t.manifests.keySet()) {
      if (pins.contains(m)) {
        return true;
      }
    }
    return false;
  }

  // ---- Quota and eviction -----------------------------------------------------------------

  /** Bytes stored: each block once, leaves' index entries and manifests. */
  public long usedBytes() {
    return quota.used();
  }

  public long quotaBytes() {
    return quota.limit();
  }

  /**
   * Reserves {@code bytes} for a put into {@code target} (null for none), evicting the least
   * recently used unprotected datasets other than the target until they fit.
   *
   * @throws FerryException {@link ErrorCode#LIMIT_EXCEEDED} if evicting them all could not make
   *     room (checked before evicting anything, from the most each would free)
   */
  private void reserve(long bytes, Cid target) {
    if (quota.tryReserve(bytes)) {
      return;
    }
    List<Cid> removed = new ArrayList<>();
    try {
      synchronized (evicting) {
        boolean checked = false;
        while (!quota.tryReserve(bytes)) {
          List<TreeState> order = evictionOrder(target);
          if (!checked) {
            long most = 0;
            for (TreeState t : order) {
              most += t.charge();
            }
            if (bytes > quota.limit() || quota.free() + most < bytes) {
              throw overQuota(bytes);
            }
            checked = true;
          }
          if (order.isEmpty()) {
            throw overQuota(bytes);
          }
          TreeState victim = order.get(0);
          long before = quota.used();
          List<Cid> names = deleteTree(victim, true);
          if (names != null) {
            log.info(
                "evicted dataset tree {} (manifests {}), {} bytes freed, to fit the quota of {}",
                victim.tree,
                names,
                before - quota.used(),
                quota.limit());
            removed.addAll(names);
          }
        }
      }
    } finally {
      notifyRemoved(removed);
    }
  }

  /** Trees that may be evicted for a put into {@code target}, least recently used first. */
  private List<TreeState> evictionOrder(Cid target) {
    List<TreeState> order = new ArrayList<>();
    for (TreeState t : trees.values()) {
      if (!t.deleted && !t.tree.equals(target) && !isProtected(t)) {
        order.add(t);
      }
    }
    order.sort(
        Comparator.comparingLong((TreeState t) -> t.lastAccess.get()).thenComparing(t -> t.tree));
    return order;
  }

  private FerryException overQuota(long bytes) {
    return new FerryException(
        ErrorCode.LIMIT_EXCEEDED,
        "storing "
            + bytes
            + " more bytes would take the block store over its quota of "
            + quota.limit()
            + " bytes: "
            + quota.used()
            + " are stored and too few of them can be evicted (pinned, held or being written)");
  }

  private void notifyRemoved(List<Cid> manifests) {
    for (Cid m : manifests) {
      try {
        onRemoved.accept(m);
      } catch (RuntimeException e) {
        log.warn("the block store's removal listener failed for {}", m, e);
      }
    }
  }

  // ---- Listing ----------------------------------------------------------------------------

  /** Every dataset here, by tree CID then manifest CID. */
  public List<StoredDataset> datasets() {
    List<StoredDataset> out = new ArrayList<>();
    for (TreeState t : trees.values()) {
      if (t.deleted) {
        continue;
      }
      if (t.manifests.isEmpty()) {
        out.add(
            new StoredDataset(
                t.tree, Optional.empty(), Optional.empty(), t.leaves, false, t.dataBytes));
      }
      for (Map.Entry<Cid, Manifest> e : t.manifests.entrySet()) {
        out.add(
            new StoredDataset(
                t.tree,
                Optional.of(e.getKey()),
                Optional.of(e.getValue()),
                t.leaves,
                pins.contains(e.getKey()),
                t.dataBytes));
      }
    }
    return out;
  }

  // ---- Trees in memory --------------------------------------------------------------------

  /** The live state of {@code tree}, created if needed, locked. */
  private TreeState lockLive(Cid tree) {
    while (true) {
      TreeState t = trees.computeIfAbsent(tree, TreeState::new);
      t.lock.lock();
      if (!t.deleted) {
        return t;
      }
      t.lock.unlock();
      trees.remove(tree, t);
    }
  }

  /** The live state of {@code tree}, locked, or null if the store has none. */
  private TreeState lockExisting(Cid tree) {
    while (true) {
      TreeState t = trees.get(tree);
      if (t == null) {
        return null;
      }
      t.lock.lock();
      if (!t.deleted) {
        return t;
      }
      t.lock.unlock();
      trees.remove(tree, t);
    }
  }

  /** Refreshes {@code t}'s recency for a read, writing it down every so often. */
  private void touchRead(TreeState t) {
    long now = clock.incrementAndGet();
    t.touch(now);
    if (now - t.persistedAccess >= PERSIST_ACCESS_EVERY && t.lock.tryLock()) {
      try {
        if (!t.deleted) {
          kv.write(new WriteBatch().put(DATASETS, t.key, t.record(false).encode()));
          t.persistedAccess = t.lastAccess.get();
        }
      } finally {
        t.lock.unlock();
      }
    }
  }
}
