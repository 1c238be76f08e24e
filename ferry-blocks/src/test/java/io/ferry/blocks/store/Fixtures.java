package io.ferry.blocks.store;

import static org.assertj.core.api.Assertions.assertThat;

import io.ferry.blocks.cid.Cid;
import io.ferry.blocks.cid.Multicodec;
import io.ferry.blocks.dataset.BlockProof;
import io.ferry.blocks.dataset.BlockTree;
import io.ferry.blocks.dataset.Manifest;
import io.ferry.core.Hash;
import io.ferry.merkledb.store.KvStore;
import io.ferry.merkledb.store.StoreIterator;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.BitSet;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.Random;
import java.util.TreeMap;

/**
 * Datasets made of given or random blocks, and a check of the store's columns against each other.
 */
final class Fixtures {
  private Fixtures() {}

  /** A dataset's blocks with their tree and a manifest of it. */
  record Dataset(List<byte[]> blocks, BlockTree tree, Manifest manifest) {
    Cid treeCid() {
      return tree.cid();
    }

    Cid manifestCid() {
      return manifest.cid();
    }

    BlockProof proof(int i) {
      return tree.proof(i);
    }

    int size() {
      return blocks.size();
    }

    /** Puts every leaf into {@code store}. */
    void putAll(BlockStore store) {
      for (int i = 0; i < blocks.size(); i++) {
        store.putLeaf(treeCid(), i, blocks.get(i), proof(i));
      }
    }
  }

  static Dataset dataset(List<byte[]> blocks, int blockSize, String name) {
    List<Hash> digests = new ArrayList<>();
    long size = 0;
    for (byte[] b : blocks) {
      digests.add(Cid.hash(Multicodec.RAW, b).digest());
      size += b.length;
    }
    BlockTree tree = BlockTree.of(digests);
    Manifest manifest = new Manifest(tree.cid(), size, blockSize, name, "x/y", Optional.empty());
    return new Dataset(List.copyOf(blocks), tree, manifest);
  }

  static byte[] random(Random random, int length) {
    byte[] b = new byte[length];
    random.nextBytes(b);
    return b;
  }

  /** {@code bytes} cut into blocks of {@code blockSize}, the last one shorter. */
  static List<byte[]> cut(byte[] bytes, int blockSize) {
    List<byte[]> out = new ArrayList<>();
    for (int at = 0; at < bytes.length; at += blockSize) {
      out.add(Arrays.copyOfRange(bytes, at, Math.min(bytes.length, at + blockSize)));
    }
    return out;
  }

  /**
   * Checks that what {@code kv} holds agrees with itself and with {@code store}: each block's count
   * is the leaves and staged entries that name it, each stored block matches its CID, each tree's
   * record its leaves, each manifest's tree has a record, each pin a manifest, and the store's
   * usage and held leaves are what the columns say.
   */
  static void checkConsistent(KvStore kv, BlockStore store) {
    Map<Cid, Integer> named = new TreeMap<>();
    Map<Cid, long[]> trees = new TreeMap<>(); // leaves, leafBytes, dataBytes
    Map<Cid, BitSet> held = new TreeMap<>();
    Map<Cid, Integer> lengths = new TreeMap<>();
    try (StoreIterator it = kv.scan(BlockStore.BLOCKS, null, null)) {
      while (it.next()) {
        Cid cid = Cid.fromBytes(it.key());
        assertThat(cid.matches(it.value())).as("block %s matches its CID", cid).isTrue();
        lengths.put(cid, it.value().length);
      }
    }
    try (StoreIterator it = kv.scan(BlockStore.LEAVES, null, null)) {
      while (it.next()) {
        byte[] key = it.key();
        Cid tree = Cid.fromBytes(Arrays.copyOf(key, key.length - 4));
        Cid block = Cid.fromBytes(Keys.leafBlock(it.value()));
        named.merge(block, 1, Integer::sum);
        long[] t = trees.computeIfAbsent(tree, k -> new long[3]);
        t[0]++;
        t[1] += key.length + it.value().length;
        t[2] += lengths.getOrDefault(block, 0);
        held.computeIfAbsent(tree, k -> new BitSet()).set(Keys.leafIndex(key));
      }
    }
    try (StoreIterator it = kv.scan(BlockStore.STAGED, null, null)) {
      while (it.next()) {
        named.merge(Cid.fromBytes(it.value()), 1, Integer::sum);
      }
    }
    Map<Cid, Integer> counts = new TreeMap<>();
    long used = 0;
    try (StoreIterator it = kv.scan(BlockStore.BLOCK_REFS, null, null)) {
      while (it.next()) {
        Cid cid = Cid.fromBytes(it.key());
        counts.put(cid, Keys.getInt(it.value(), 0));
        assertThat(BlockRefs.length(it.value())).isEqualTo(lengths.get(cid));
        used += BlockRefs.length(it.value());
      }
    }
    assertThat(counts).as("reference counts").isEqualTo(named);
    assertThat(lengths.keySet()).as("blocks stored").isEqualTo(counts.keySet());
    Map<Cid, long[]> records = new TreeMap<>();
    try (StoreIterator it = kv.scan(BlockStore.DATASETS, null, null)) {
      while (it.next()) {
        DatasetRecord r = DatasetRecord.decode(it.value());
        assertThat(r.deleting()).isFalse();
        records.put(Cid.fromBytes(it.key()), new long[] {r.leaves(), r.leafBytes(), r.dataBytes()});
        used += r.leafBytes();
      }
    }
    assertThat(records.keySet()).as("trees with records").containsAll(trees.keySet());
    for (Map.Entry<Cid, long[]> e : records.entrySet()) {
      assertThat(e.getValue())
          .as("record of %s", e.getKey())
          .isEqualTo(trees.getOrDefault(e.getKey(), new long[3]));
    }
    try (StoreIterator it = kv.scan(BlockStore.MANIFESTS, null, null)) {
      while (it.next()) {
        Manifest m = Manifest.decode(it.value());
        assertThat(m.cid()).isEqualTo(Cid.fromBytes(it.key()));
        assertThat(records).containsKey(m.tree());
        used += it.key().length + it.value().length;
      }
    }
    try (StoreIterator it = kv.scan(BlockStore.PINS, null, null)) {
      while (it.next()) {
        assertThat(kv.get(BlockStore.MANIFESTS, it.key())).isNotNull();
        assertThat(store.isPinned(Cid.fromBytes(it.key()))).isTrue();
      }
    }
    assertThat(store.usedBytes()).as("used bytes").isEqualTo(used);
    for (Cid tree : records.keySet()) {
      BitSet expected = held.getOrDefault(tree, new BitSet());
      assertThat(store.held(tree)).as("held leaves of %s", tree).isEqualTo(expected);
      assertThat(store.heldCount(tree)).isEqualTo(expected.cardinality());
    }
  }
}
