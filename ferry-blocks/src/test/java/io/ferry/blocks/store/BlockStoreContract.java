package io.ferry.blocks.store;

import static io.ferry.blocks.store.Fixtures.checkConsistent;
import static io.ferry.blocks.store.Fixtures.cut;
import static io.ferry.blocks.store.Fixtures.dataset;
import static io.ferry.blocks.store.Fixtures.random;
import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import io.ferry.blocks.cid.Cid;
import io.ferry.blocks.cid.Multicodec;
import io.ferry.blocks.dataset.Manifest;
import io.ferry.blocks.store.Fixtures.Dataset;
import io.ferry.core.ErrorCode;
import io.ferry.core.FerryException;
import io.ferry.core.Hash;
import io.ferry.merkledb.store.Column;
import io.ferry.merkledb.store.KvStore;
import io.ferry.merkledb.store.MemoryStore;
import io.ferry.merkledb.store.SortedWriter;
import io.ferry.merkledb.store.StoreIterator;
import io.ferry.merkledb.store.StoreSnapshot;
import io.ferry.merkledb.store.WriteBatch;
import java.io.ByteArrayInputStream;
import java.io.IOException;
import java.io.InputStream;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.BitSet;
import java.util.Collections;
import java.util.List;
import java.util.Optional;
import java.util.Random;
import java.util.concurrent.CopyOnWriteArrayList;
import java.util.concurrent.CountDownLatch;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.Future;
import java.util.concurrent.TimeUnit;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;

/**
 * What the block store does on any key-value store: each store's test extends it with how to open
 * and reopen that store. Every test ends by checking the store's columns against each other.
 */
@Timeout(120)
abstract class BlockStoreContract {
  static final int BLOCK = 1024;

  /** A fresh key-value store with {@link BlockStore#COLUMNS}. */
  protected abstract KvStore openKv();

  /** Closes {@code kv} and opens what it kept: what a restart of the node reads. */
  protected abstract KvStore reopenKv(KvStore kv);

  private KvStore kv;
  private BlockStore store;
  final List<Cid> removed = new CopyOnWriteArrayList<>();
  final Random random = new Random(42);

  BlockStore open(long quota) {
    return open(quota, io.ferry.core.Limits.MAX_DATASET_BLOCKS);
  }

  BlockStore open(long quota, int maxDatasetBlocks) {
    kv = openKv();
    store = new BlockStore(kv, quota, removed::add, maxDatasetBlocks);
    return store;
  }

  BlockStore restart(long quota) {
    kv = reopenKv(kv);
    store = new BlockStore(kv, quota, removed::add);
    return store;
  }

  KvStore kv() {
    return kv;
  }

  @AfterEach
  void checkAndClose() {
    try {
      if (store != null) {
        checkConsistent(kv, store);
      }
    } finally {
      if (kv != null) {
        kv.close();
      }
    }
  }

  Dataset randomDataset(int blocks, String name) {
    return dataset(cut(random(random, blocks * BLOCK - 100), BLOCK), BLOCK, name);
  }

  /** Bytes {@code d} takes in a store of its own: its blocks, leaves and manifest. */
  static long usage(Dataset d, boolean withManifest) {
    BlockStore scratch = new BlockStore(new MemoryStore(), Long.MAX_VALUE);
    d.putAll(scratch);
    if (withManifest) {
      scratch.putManifest(d.manifest());
    }
    return scratch.usedBytes();
  }

  @Test
  void anImportIsReadBackLeafByLeafAndEveryProofVerifiesAgainstTheTree() {
    BlockStore s = open(Long.MAX_VALUE);
    byte[] content = random(random, 20 * BLOCK + 123);
    Manifest m = s.importStream(new ByteArrayInputStream(content), BLOCK, "a.bin", "x/y");

    assertThat(m.size()).isEqualTo(content.length);
    assertThat(m.blocks()).isEqualTo(21);
    assertThat(m.filename()).isEqualTo("a.bin");
    Cid cid = m.cid();
    assertThat(s.manifest(cid)).contains(m);
    assertThat(s.manifests()).containsExactly(cid);
    assertThat(s.isPinned(cid)).isTrue();
    assertThat(s.block(cid)).hasValueSatisfying(b -> assertThat(b).isEqualTo(m.encode()));
    assertThat(s.heldCount(m.tree())).isEqualTo(21);
    assertThat(s.held(m.tree()).cardinality()).isEqualTo(21);
    Hash root = m.tree().digest();
    for (int i = 0; i < m.blocks(); i++) {
      byte[] expected =
          Arrays.copyOfRange(content, i * BLOCK, Math.min(content.length, (i + 1) * BLOCK));
      BlockStore.Leaf leaf = s.leaf(m.tree(), i).orElseThrow();
      assertThat(leaf.data()).isEqualTo(expected);
      assertThat(leaf.proof().index()).isEqualTo(i);
      assertThat(leaf.proof().verifies(Cid.hash(Multicodec.RAW, expected).digest(), root))
          .as("proof of leaf %d", i)
          .isTrue();
      assertThat(s.block(Cid.hash(Multicodec.RAW, expected))).isPresent();
    }
    assertThat(s.leaf(m.tree(), 21)).isEmpty();
    assertThat(s.hasLeaf(m.tree(), 21)).isFalse();
    assertThat(s.datasets())
        .singleElement()
        .satisfies(
            d -> {
              assertThat(d.manifestCid()).contains(cid);
              assertThat(d.heldLeaves()).isEqualTo(21);
              assertThat(d.pinned()).isTrue();
              assertThat(d.bytes()).isEqualTo(content.length);
              assertThat(d.complete()).isTrue();
            });
    // The same tree as a download would build it from the same blocks.
    assertThat(dataset(cut(content, BLOCK), BLOCK, "a.bin").manifest()).isEqualTo(m);
  }

  @Test
  void anImportOfWhatADownloadHoldsInPartAddsOnlyWhatIsMissingAndPinsIt() {
    BlockStore s = open(Long.MAX_VALUE);
    Dataset d = randomDataset(6, "d");
    for (int i = 0; i < 6; i += 2) {
      s.putLeaf(d.treeCid(), i, d.blocks().get(i), d.proof(i));
    }
    Manifest m = s.importStream(new ByteArrayInputStream(concat(d.blocks())), BLOCK, "d", "x/y");
    assertThat(m).isEqualTo(d.manifest());
    assertThat(s.heldCount(d.treeCid())).isEqualTo(6);
    assertThat(s.isPinned(m.cid())).isTrue();
    long used = s.usedBytes();
    assertThat(used).isEqualTo(usage(d, true));
    // Importing it again changes nothing.
    assertThat(s.importStream(new ByteArrayInputStream(concat(d.blocks())), BLOCK, "d", "x/y"))
        .isEqualTo(m);
    assertThat(s.usedBytes()).isEqualTo(used);
    assertThat(columnKeys(BlockStore.STAGED)).isZero();
  }

  @Test
  void anImportRefusesEmptyInputAndTooManyBlocksAndKeepsNothing() {
    BlockStore s = open(Long.MAX_VALUE, 4);
    assertThatThrownBy(
            () -> s.importStream(new ByteArrayInputStream(new byte[0]), BLOCK, "e", "x/y"))
        .isInstanceOfSatisfying(
            FerryException.class, e -> assertThat(e.code()).isEqualTo(ErrorCode.INVALID_ARGUMENT));
    assertThatThrownBy(
            () ->
                s.importStream(
                    new ByteArrayInputStream(random(random, 4 * BLOCK + 1)), BLOCK, "f", "x/y"))
        .isInstanceOfSatisfying(
            FerryException.class, e -> assertThat(e.code()).isEqualTo(ErrorCode.LIMIT_EXCEEDED));
    assertThat(s.usedBytes()).isZero();
    assertThat(s.datasets()).isEmpty();
    assertThat(columnKeys(BlockStore.BLOCKS)).isZero();
    assertThat(columnKeys(BlockStore.STAGED)).isZero();
    // Four blocks exactly fit.
    Manifest m =
        s.importStream(new ByteArrayInputStream(random(random, 4 * BLOCK)), BLOCK, "g", "x/y");
    assertThat(m.blocks()).isEqualTo(4);
    assertThatThrownBy(() -> s.newDataset(0)).isInstanceOf(FerryException.class);
  }

  @Test
  void aFailingStreamKeepsNothing() {
    BlockStore s = open(Long.MAX_VALUE);
    InputStream failing =
        new InputStream() {
          int left = 5 * BLOCK;

          @Override
          public int read() throws IOException {
            if (left-- == 0) {
              throw new IOException("disk gone");
            }
            return 7;
          }
        };
    assertThatThrownBy(() -> s.importStream(failing, BLOCK, "f", "x/y"))
        .isInstanceOfSatisfying(
            FerryException.class, e -> assertThat(e.code()).isEqualTo(ErrorCode.IO_ERROR));
    assertThat(s.usedBytes()).isZero();
    assertThat(columnKeys(BlockStore.BLOCKS)).isZero();
  }

  @Test
  void aWriterLeftUnfinishedIsDroppedByTheNextOpen() {
    BlockStore s = open(Long.MAX_VALUE);
    DatasetWriter w = s.newDataset(BLOCK);
    w.add(random(random, BLOCK));
    w.add(random(random, BLOCK));
    assertThat(s.usedBytes()).isEqualTo(2 * BLOCK);
    assertThat(w.digest(1)).isNotNull();
    // never closed: the process dies
    BlockStore after = restart(Long.MAX_VALUE);
    assertThat(after.usedBytes()).isZero();
    assertThat(columnKeys(BlockStore.BLOCKS)).isZero();
    assertThat(columnKeys(BlockStore.STAGED)).isZero();
  }

  @Test
  void aLeafPutIsIdempotentAndChecksItsArguments() {
    BlockStore s = open(Long.MAX_VALUE);
    Dataset d = randomDataset(5, "d");
    Cid tree = d.treeCid();
    s.putLeaf(tree, 2, d.blocks().get(2), d.proof(2));
    long used = s.usedBytes();
    s.putLeaf(tree, 2, d.blocks().get(2), d.proof(2));
    assertThat(s.usedBytes()).isEqualTo(used);
    assertThat(s.heldCount(tree)).isEqualTo(1);
    assertThat(s.held(tree)).isEqualTo(BitSet.valueOf(new long[] {1 << 2}));
    assertThat(s.hasLeaf(tree, 2)).isTrue();
    assertThat(s.hasLeaf(tree, 1)).isFalse();
    assertThat(s.hasLeaf(tree, -1)).isFalse();
    assertThat(s.leaf(tree, 2).orElseThrow().data()).isEqualTo(d.blocks().get(2));

    assertInvalid(() -> s.putLeaf(tree, 3, d.blocks().get(3), d.proof(2)));
    assertInvalid(() -> s.putLeaf(d.manifestCid(), 3, d.blocks().get(3), d.proof(3)));
    assertInvalid(
        () ->
            s.putLeaf(
                tree, 3, Cid.hash(Multicodec.FERRY_TREE, new byte[1]), new byte[1], d.proof(3)));
    assertInvalid(() -> s.putLeaf(tree, 3, new byte[0], d.proof(3)));
    assertInvalid(() -> s.delete(Cid.hash(Multicodec.RAW, d.blocks().get(2))));
    assertThat(s.heldCount(tree)).isEqualTo(1);
    // The tree CID names no block; a block CID is served whatever tree holds it.
    assertThat(s.block(tree)).isEmpty();
    assertThat(s.block(Cid.hash(Multicodec.RAW, d.blocks().get(2)))).isPresent();
    assertThat(s.block(Cid.hash(Multicodec.RAW, d.blocks().get(3)))).isEmpty();
    // A download lists as a tree without its manifest until the manifest arrives.
    assertThat(s.datasets())
        .singleElement()
        .satisfies(x -> assertThat(x.manifest()).isEmpty())
        .satisfies(x -> assertThat(x.complete()).isFalse());
    assertThat(s.putManifest(d.manifest())).isEqualTo(d.manifestCid());
    assertThat(s.putManifest(d.manifest())).isEqualTo(d.manifestCid());
    assertThat(s.datasets()).singleElement().satisfies(x -> assertThat(x.pinned()).isFalse());
  }

  private static void assertInvalid(Runnable r) {
    assertThatThrownBy(r::run)
        .isInstanceOfSatisfying(
            FerryException.class, e -> assertThat(e.code()).isEqualTo(ErrorCode.INVALID_ARGUMENT));
  }

  @Test
  void blocksAreStoredOnceAndADeleteKeepsWhatAnotherDatasetHolds() {
    BlockStore s = open(Long.MAX_VALUE);
    byte[] x = random(random, BLOCK);
    byte[] y = random(random, BLOCK);
    byte[] z = random(random, BLOCK);
    byte[] w = random(random, BLOCK);
    Dataset a = dataset(List.of(x, y, z, y), BLOCK, "a"); // y twice in one tree
    Dataset b = dataset(List.of(y, z, w), BLOCK, "b");
    Manifest ma = s.importStream(new ByteArrayInputStream(concat(a.blocks())), BLOCK, "a", "x/y");
    assertThat(ma).isEqualTo(a.manifest());
    b.putAll(s);
    s.putManifest(b.manifest());
    assertThat(columnKeys(BlockStore.BLOCKS)).isEqualTo(4);
    long leafEntries = s.usedBytes() - 4L * BLOCK - manifests(s);

    assertThat(s.delete(ma.cid())).isTrue();
    assertThat(removed).containsExactly(ma.cid());
    assertThat(s.manifest(ma.cid())).isEmpty();
    assertThat(s.heldCount(a.treeCid())).isZero();
    assertThat(s.block(Cid.hash(Multicodec.RAW, x))).isEmpty();
    for (int i = 0; i < b.size(); i++) {
      assertThat(s.leaf(b.treeCid(), i).orElseThrow().data()).isEqualTo(b.blocks().get(i));
    }
    assertThat(s.usedBytes()).isEqualTo(usage(b, true));
    assertThat(leafEntries).isPositive();
    checkConsistent(kv(), s);

    assertThat(s.delete(b.treeCid())).isTrue();
    assertThat(s.delete(b.treeCid())).isFalse();
    assertThat(s.usedBytes()).isZero();
    for (Column c : BlockStore.COLUMNS) {
      assertThat(columnKeys(c)).as("keys in %s", c).isZero();
    }
  }

  private static long manifests(BlockStore s) {
    long bytes = 0;
    for (Cid m : s.manifests()) {
      bytes += m.toBytes().length + s.block(m).orElseThrow().length;
    }
    return bytes;
  }

  @Test
  void deletingOneOfTwoManifestsOfATreeKeepsTheTree() {
    BlockStore s = open(Long.MAX_VALUE);
    Dataset d = randomDataset(3, "one");
    d.putAll(s);
    Manifest other =
        new Manifest(d.treeCid(), d.manifest().size(), BLOCK, "two", "x/y", Optional.empty());
    s.putManifest(d.manifest());
    s.putManifest(other);
    assertThat(s.datasets()).hasSize(2);
    assertThat(s.delete(other.cid())).isTrue();
    assertThat(removed).containsExactly(other.cid());
    assertThat(s.heldCount(d.treeCid())).isEqualTo(3);
    assertThat(s.manifests()).containsExactly(d.manifestCid());
    assertThat(s.delete(other.cid())).isFalse();
  }

  @Test
  void aPutOverTheQuotaEvictsTheLeastRecentlyUsedDatasetAndTellsTheListener() {
    Dataset a = randomDataset(8, "a");
    Dataset b = randomDataset(8, "b");
    Dataset c = randomDataset(8, "c");
    long each = usage(a, true);
    BlockStore s = open(2 * each + each / 2);
    for (Dataset d : List.of(a, b)) {
      d.putAll(s);
      s.putManifest(d.manifest());
    }
    assertThat(s.leaf(a.treeCid(), 0)).isPresent(); // a is now the more recent
    c.putAll(s);
    s.putManifest(c.manifest());

    assertThat(removed).containsExactly(b.manifestCid());
    assertThat(s.manifests()).containsExactlyInAnyOrder(a.manifestCid(), c.manifestCid());
    assertThat(s.heldCount(b.treeCid())).isZero();
    assertThat(s.heldCount(a.treeCid())).isEqualTo(8);
    assertThat(s.heldCount(c.treeCid())).isEqualTo(8);
    assertThat(s.usedBytes()).isLessThanOrEqualTo(s.quotaBytes());
    // A manifest read counts as use: reading c's makes a the one to go next.
    assertThat(s.manifest(c.manifestCid())).isPresent();
    b.putAll(s);
    assertThat(removed).containsExactly(b.manifestCid(), a.manifestCid());
  }

  @Test
  void pinnedAndHeldDatasetsAreNeverEvictedAndAPutThatCannotFitStoresNothing() {
    Dataset a = randomDataset(8, "a");
    Dataset b = randomDataset(8, "b");
    Dataset c = randomDataset(8, "c");
    long each = usage(a, true);
    BlockStore s = open(2 * each + each / 2);
    a.putAll(s);
    s.putManifest(a.manifest());
    s.pin(a.manifestCid());
    b.putAll(s);
    try (BlockStore.Hold hold = s.hold(b.treeCid())) {
      long used = s.usedBytes();
      assertThatThrownBy(() -> c.putAll(s))
          .isInstanceOfSatisfying(
              FerryException.class, e -> assertThat(e.code()).isEqualTo(ErrorCode.LIMIT_EXCEEDED));
      // c's first leaves fitted; the one that did not was not stored, and nothing was evicted.
      int fitted = s.heldCount(c.treeCid());
      assertThat(fitted).isBetween(1, 7);
      assertThat(s.hasLeaf(c.treeCid(), fitted)).isFalse();
      assertThat(s.block(Cid.hash(Multicodec.RAW, c.blocks().get(fitted)))).isEmpty();
      assertThat(s.usedBytes()).isGreaterThan(used).isLessThanOrEqualTo(s.quotaBytes());
      assertThat(removed).isEmpty();
      assertThat(s.heldCount(a.treeCid())).isEqualTo(8);
      assertThat(s.heldCount(b.treeCid())).isEqualTo(8);
      hold.close();
      hold.close(); // closing twice ends one hold only
      c.putAll(s); // b is no longer held: it goes, the partial c stays
      assertThat(s.heldCount(b.treeCid())).isZero();
      assertThat(s.heldCount(c.treeCid())).isEqualTo(8);
    }
    // Two holds of one tree: it stays held until both end.
    BlockStore.Hold h1 = s.hold(c.treeCid());
    BlockStore.Hold h2 = s.hold(c.treeCid());
    h1.close();
    assertThatThrownBy(() -> b.putAll(s)).isInstanceOf(FerryException.class);
    h2.close();
    s.unpin(a.manifestCid());
    s.unpin(a.manifestCid());
    assertThat(s.isPinned(a.manifestCid())).isFalse();
    b.putAll(s);
    assertThat(s.heldCount(b.treeCid())).isEqualTo(8);
    assertThatThrownBy(() -> s.pin(b.manifestCid()))
        .isInstanceOfSatisfying(
            FerryException.class, e -> assertThat(e.code()).isEqualTo(ErrorCode.NOT_FOUND));
    // An import larger than the quota evicts what it can as it goes, then fails and keeps nothing.
    byte[] big = random(random, (int) s.quotaBytes() + 1);
    assertThatThrownBy(() -> s.importStream(new ByteArrayInputStream(big), BLOCK, "big", "x/y"))
        .isInstanceOfSatisfying(
            FerryException.class, e -> assertThat(e.code()).isEqualTo(ErrorCode.LIMIT_EXCEEDED));
    assertThat(s.datasets()).isEmpty();
    assertThat(s.usedBytes()).isZero();
    assertThat(columnKeys(BlockStore.STAGED)).isZero();
  }

  @Test
  void aRestartKeepsDatasetsPinsUsageHeldLeavesAndTheLeastRecentlyUsedOrder() {
    Dataset b = randomDataset(8, "b");
    Dataset c = randomDataset(8, "c");
    Dataset d = randomDataset(8, "d");
    long each = usage(b, true);
    BlockStore s = open(3 * each);
    Manifest a =
        s.importStream(
            new ByteArrayInputStream(random(random, 8 * BLOCK - 100)), BLOCK, "a", "x/y");
    for (int i = 0; i < 8; i += 2) {
      s.putLeaf(c.treeCid(), i, c.blocks().get(i), c.proof(i)); // no manifest yet
    }
    b.putAll(s);
    s.putManifest(b.manifest());
    List<StoredDataset> listed = s.datasets();
    long used = s.usedBytes();
    BitSet heldC = s.held(c.treeCid());

    BlockStore after = restart(3 * each);
    assertThat(after.datasets()).isEqualTo(listed);
    assertThat(after.usedBytes()).isEqualTo(used);
    assertThat(after.held(c.treeCid())).isEqualTo(heldC);
    assertThat(after.isPinned(a.cid())).isTrue();
    assertThat(after.isPinned(b.manifestCid())).isFalse();
    assertThat(after.leaf(b.treeCid(), 7).orElseThrow().data()).isEqualTo(b.blocks().get(7));
    checkConsistent(kv(), after);
    // c was used before b, and reading b's leaf made b newer still: d's room comes from c.
    d.putAll(after);
    assertThat(after.heldCount(c.treeCid())).isZero();
    assertThat(after.heldCount(b.treeCid())).isEqualTo(8);
    assertThat(removed).isEmpty(); // c had no manifest to tell of
    // The rest of c arrives after a restart and completes it.
    BlockStore again = restart(Long.MAX_VALUE);
    c.putAll(again);
    assertThat(again.heldCount(c.treeCid())).isEqualTo(8);
  }

  @Test
  void concurrentPutsLoseNoLeafAndCountBytesExactly() throws Exception {
    BlockStore s = open(Long.MAX_VALUE);
    List<byte[]> shared = new ArrayList<>();
    for (int i = 0; i < 32; i++) {
      shared.add(random(random, BLOCK));
    }
    List<byte[]> second = new ArrayList<>(shared.subList(0, 16));
    for (int i = 0; i < 48; i++) {
      second.add(random(random, BLOCK));
    }
    List<byte[]> firstBlocks = new ArrayList<>(shared);
    for (int i = 0; i < 32; i++) {
      firstBlocks.add(random(random, BLOCK));
    }
    Dataset one = dataset(firstBlocks, BLOCK, "one");
    Dataset two = dataset(second, BLOCK, "two");
    int threads = 6;
    ExecutorService pool = Executors.newFixedThreadPool(threads);
    CountDownLatch start = new CountDownLatch(1);
    List<Future<?>> done = new ArrayList<>();
    try {
      for (int t = 0; t < threads; t++) {
        Dataset d = t % 2 == 0 ? one : two;
        List<Integer> order = new ArrayList<>();
        for (int i = 0; i < d.size(); i++) {
          order.add(i);
        }
        Collections.shuffle(order, new Random(t));
        done.add(
            pool.submit(
                () -> {
                  start.await();
                  for (int i : order) {
                    s.putLeaf(d.treeCid(), i, d.blocks().get(i), d.proof(i));
                    assertThat(s.hasLeaf(d.treeCid(), i)).isTrue();
                  }
                  return null;
                }));
      }
      start.countDown();
      for (Future<?> f : done) {
        f.get(60, TimeUnit.SECONDS);
      }
    } finally {
      pool.shutdownNow();
    }
    assertThat(s.heldCount(one.treeCid())).isEqualTo(64);
    assertThat(s.held(two.treeCid()).cardinality()).isEqualTo(64);
    assertThat(columnKeys(BlockStore.BLOCKS)).isEqualTo(32 + 32 + 48);
    assertThat(s.usedBytes()).isEqualTo(usage(one, false) + usage(two, false) - 16L * BLOCK);
  }

  @Test
  void aKillBetweenAnyTwoWritesLeavesAConsistentStoreThatWorksOn() {
    Dataset a = randomDataset(6, "a");
    List<byte[]> bBlocks = new ArrayList<>(a.blocks().subList(0, 3));
    bBlocks.add(random(random, BLOCK));
    Dataset b = dataset(bBlocks, BLOCK, "b");
    Dataset c = randomDataset(3, "c");
    // Room for a and b (which share three blocks) and one block more: c must evict.
    long quota = usage(a, true) + usage(b, true) - 2L * BLOCK;

    int writes = Integer.MAX_VALUE;
    for (int kill = 0; kill <= writes; kill++) {
      KvStore base = openKv();
      Counting counting = new Counting(base, kill);
      try {
        scenario(new BlockStore(counting, quota), a, b, c);
        writes = counting.writes; // a whole run: the number of instants to kill at
      } catch (FerryException e) {
        assertThat(e.getMessage()).contains("killed");
      }
      KvStore reopened = reopenKv(base);
      try {
        BlockStore s = new BlockStore(reopened, quota);
        checkConsistent(reopened, s);
        for (Cid m : s.manifests()) {
          s.delete(m);
        }
        for (StoredDataset d : s.datasets()) {
          s.delete(d.tree());
        }
        scenario(s, a, b, c);
        checkConsistent(reopened, s);
      } finally {
        reopened.close();
      }
    }
    assertThat(writes).isBetween(20, 1000);
  }

  /** Imports a, downloads b (sharing blocks with a), deletes a, downloads c with eviction. */
  private void scenario(BlockStore s, Dataset a, Dataset b, Dataset c) {
    Manifest ma = s.importStream(new ByteArrayInputStream(concat(a.blocks())), BLOCK, "a", "x/y");
    s.putManifest(b.manifest());
    try (BlockStore.Hold hold = s.hold(b.treeCid())) {
      b.putAll(s);
    }
    s.delete(ma.cid());
    s.putManifest(a.manifest());
    a.putAll(s);
    c.putAll(s); // evicts b, the least recently used
    assertThat(s.heldCount(b.treeCid())).isZero();
  }

  /** A store whose writes fail from the {@code kill}-th on, as if the process died there. */
  private static final class Counting implements KvStore {
    final KvStore inner;
    final int kill;
    int writes;

    Counting(KvStore inner, int kill) {
      this.inner = inner;
      this.kill = kill;
    }

    @Override
    public void write(WriteBatch batch) {
      if (writes++ >= kill) {
        throw new FerryException(ErrorCode.IO_ERROR, "killed at write " + kill);
      }
      inner.write(batch);
    }

    @Override
    public byte[] get(Column column, byte[] key) {
      return inner.get(column, key);
    }

    @Override
    public StoreIterator scan(Column column, byte[] from, byte[] to) {
      return inner.scan(column, from, to);
    }

    @Override
    public StoreSnapshot snapshot() {
      return inner.snapshot();
    }

    @Override
    public boolean syncWrites() {
      return inner.syncWrites();
    }

    @Override
    public long estimateKeys(Column column) {
      return inner.estimateKeys(column);
    }

    @Override
    public void truncate(Column column) {
      inner.truncate(column);
    }

    @Override
    public SortedWriter sortedWriter(Column column) {
      return inner.sortedWriter(column);
    }

    @Override
    public void close() {}
  }

  long columnKeys(Column c) {
    long n = 0;
    try (StoreIterator it = kv.scan(c, null, null)) {
      while (it.next()) {
        n++;
      }
    }
    return n;
  }

  static byte[] concat(List<byte[]> blocks) {
    int length = 0;
    for (byte[] b : blocks) {
      length += b.length;
    }
    byte[] out = new byte[length];
    int at = 0;
    for (byte[] b : blocks) {
      System.arraycopy(b, 0, out, at, b.length);
      at += b.length;
    }
    return out;
  }
}
