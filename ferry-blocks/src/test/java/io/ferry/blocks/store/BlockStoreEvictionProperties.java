package io.ferry.blocks.store;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import io.ferry.blocks.cid.Cid;
import io.ferry.blocks.cid.Multicodec;
import io.ferry.blocks.store.Fixtures.Dataset;
import io.ferry.core.ErrorCode;
import io.ferry.core.FerryException;
import io.ferry.merkledb.store.MemoryStore;
import java.util.ArrayDeque;
import java.util.ArrayList;
import java.util.BitSet;
import java.util.Comparator;
import java.util.Deque;
import java.util.List;
import java.util.Random;
import java.util.Set;
import java.util.TreeSet;
import net.jqwik.api.Arbitraries;
import net.jqwik.api.Arbitrary;
import net.jqwik.api.Combinators;
import net.jqwik.api.ForAll;
import net.jqwik.api.Property;
import net.jqwik.api.Provide;
import net.jqwik.api.Tuple;
import net.jqwik.api.constraints.IntRange;

/**
 * Eviction against a model: random puts, reads, pins, holds and deletes over a few datasets that
 * share blocks, under a quota that fits two or three of them. After every step the store's usage,
 * held leaves and removed manifests are the model's, and a put fails exactly when the model says it
 * cannot fit.
 */
class BlockStoreEvictionProperties {
  private static final int TREES = 5;
  private static final int LEAVES = 4;
  private static final int BLOCK = 64;
  private static final List<Dataset> DATASETS = datasets();

  private static List<Dataset> datasets() {
    Random random = new Random(7);
    List<byte[]> pool = new ArrayList<>();
    for (int i = 0; i < 8; i++) {
      pool.add(Fixtures.random(random, i == 7 ? BLOCK / 2 : BLOCK));
    }
    List<Dataset> out = new ArrayList<>();
    for (int t = 0; t < TREES; t++) {
      List<byte[]> blocks = new ArrayList<>();
      for (int j = 0; j < LEAVES; j++) {
        blocks.add(pool.get((3 * t + j) % pool.size()));
      }
      out.add(Fixtures.dataset(blocks, BLOCK, "t" + t));
    }
    return out;
  }

  sealed interface Op {}

  record PutLeaf(int tree, int leaf) implements Op {}

  record ReadLeaf(int tree, int leaf) implements Op {}

  record PutManifest(int tree) implements Op {}

  record ReadManifest(int tree) implements Op {}

  record Pin(int tree) implements Op {}

  record Unpin(int tree) implements Op {}

  record Hold(int tree) implements Op {}

  record Release(int tree) implements Op {}

  record Delete(int tree) implements Op {}

  @Provide
  Arbitrary<List<Op>> ops() {
    Arbitrary<Integer> tree = Arbitraries.integers().between(0, TREES - 1);
    Arbitrary<Integer> leaf = Arbitraries.integers().between(0, LEAVES - 1);
    Arbitrary<Op> op =
        Arbitraries.<Op>frequencyOf(
            Tuple.of(10, Combinators.combine(tree, leaf).as(PutLeaf::new)),
            Tuple.of(4, Combinators.combine(tree, leaf).as(ReadLeaf::new)),
            Tuple.of(3, tree.map(PutManifest::new)),
            Tuple.of(2, tree.map(ReadManifest::new)),
            Tuple.of(2, tree.map(Pin::new)),
            Tuple.of(1, tree.map(Unpin::new)),
            Tuple.of(1, tree.map(Hold::new)),
            Tuple.of(1, tree.map(Release::new)),
            Tuple.of(1, tree.map(Delete::new)));
    return op.list().ofMinSize(1).ofMaxSize(80);
  }

  @Property(tries = 300)
  void evictionFollowsTheModel(
      @ForAll("ops") List<Op> ops, @ForAll @IntRange(min = 300, max = 2500) int quota) {
    MemoryStore kv = new MemoryStore();
    List<Cid> removed = new ArrayList<>();
    BlockStore store = new BlockStore(kv, quota, removed::add);
    Model model = new Model(quota);
    List<Deque<BlockStore.Hold>> holds = new ArrayList<>();
    for (int t = 0; t < TREES; t++) {
      holds.add(new ArrayDeque<>());
    }
    for (Op op : ops) {
      switch (op) {
        case PutLeaf(int t, int i) -> {
          Dataset d = DATASETS.get(t);
          if (model.putLeaf(t, i)) {
            store.putLeaf(d.treeCid(), i, d.blocks().get(i), d.proof(i));
          } else {
            assertThatThrownBy(() -> store.putLeaf(d.treeCid(), i, d.blocks().get(i), d.proof(i)))
                .as("%s", op)
                .isInstanceOfSatisfying(
                    FerryException.class,
                    e -> assertThat(e.code()).isEqualTo(ErrorCode.LIMIT_EXCEEDED));
          }
        }
        case ReadLeaf(int t, int i) ->
            assertThat(store.leaf(DATASETS.get(t).treeCid(), i).isPresent())
                .as("%s", op)
                .isEqualTo(model.readLeaf(t, i));
        case PutManifest(int t) -> {
          if (model.putManifest(t)) {
            store.putManifest(DATASETS.get(t).manifest());
          } else {
            assertThatThrownBy(() -> store.putManifest(DATASETS.get(t).manifest()))
                .as("%s", op)
                .isInstanceOf(FerryException.class);
          }
        }
        case ReadManifest(int t) ->
            assertThat(store.manifest(DATASETS.get(t).manifestCid()).isPresent())
                .isEqualTo(model.readManifest(t));
        case Pin(int t) -> {
          if (model.pin(t)) {
            store.pin(DATASETS.get(t).manifestCid());
          } else {
            assertThatThrownBy(() -> store.pin(DATASETS.get(t).manifestCid()))
                .isInstanceOf(FerryException.class);
          }
        }
        case Unpin(int t) -> {
          model.pinned[t] = false;
          store.unpin(DATASETS.get(t).manifestCid());
        }
        case Hold(int t) -> {
          model.holds[t]++;
          holds.get(t).push(store.hold(DATASETS.get(t).treeCid()));
        }
        case Release(int t) -> {
          if (!holds.get(t).isEmpty()) {
            model.holds[t]--;
            holds.get(t).pop().close();
          }
        }
        case Delete(int t) ->
            assertThat(store.delete(DATASETS.get(t).treeCid())).isEqualTo(model.delete(t));
      }
      assertThat(removed).as("removed after %s", op).isEqualTo(model.removed);
      assertThat(store.usedBytes()).as("used after %s", op).isEqualTo(model.used());
      assertThat(store.usedBytes()).isLessThanOrEqualTo(quota);
      for (int t = 0; t < TREES; t++) {
        assertThat(store.held(DATASETS.get(t).treeCid()))
            .as("tree %d after %s", t, op)
            .isEqualTo(model.held[t]);
        assertThat(store.isPinned(DATASETS.get(t).manifestCid())).isEqualTo(model.pinned[t]);
      }
    }
    Fixtures.checkConsistent(kv, store);
  }

  /** What the store should do, from the definitions in its Javadoc. */
  private static final class Model {
    final long quota;
    final BitSet[] held = new BitSet[TREES];
    final boolean[] manifest = new boolean[TREES];
    final boolean[] pinned = new boolean[TREES];
    final int[] holds = new int[TREES];
    final long[] access = new long[TREES];
    final List<Cid> removed = new ArrayList<>();
    long tick;

    Model(long quota) {
      this.quota = quota;
      for (int t = 0; t < TREES; t++) {
        held[t] = new BitSet();
      }
    }

    static long entry(int t, int i) {
      Dataset d = DATASETS.get(t);
      return Keys.leaf(d.treeCid().toBytes(), i).length
          + Keys.leafValue(Cid.hash(Multicodec.RAW, d.blocks().get(i)), d.proof(i)).length;
    }

    static long manifestEntry(int t) {
      Dataset d = DATASETS.get(t);
      return d.manifestCid().toBytes().length + d.manifest().encode().length;
    }

    static int length(int t, int i) {
      return DATASETS.get(t).blocks().get(i).length;
    }

    boolean exists(int t) {
      return !held[t].isEmpty() || manifest[t];
    }

    long used() {
      Set<Cid> blocks = new TreeSet<>();
      long used = 0;
      for (int t = 0; t < TREES; t++) {
        for (int i = held[t].nextSetBit(0); i >= 0; i = held[t].nextSetBit(i + 1)) {
          if (blocks.add(Cid.hash(Multicodec.RAW, DATASETS.get(t).blocks().get(i)))) {
            used += length(t, i);
          }
          used += entry(t, i);
        }
        used += manifest[t] ? manifestEntry(t) : 0;
      }
      return used;
    }

    /** The most evicting {@code t} can free: each leaf's block counted, shared or not. */
    long charge(int t) {
      long c = manifest[t] ? manifestEntry(t) : 0;
      for (int i = held[t].nextSetBit(0); i >= 0; i = held[t].nextSetBit(i + 1)) {
        c += length(t, i) + entry(t, i);
      }
      return c;
    }

    /** Makes room for {@code bytes} for a put into {@code target}; false if it cannot. */
    boolean reserve(long bytes, int target) {
      if (used() + bytes <= quota) {
        return true;
      }
      List<Integer> order = new ArrayList<>();
      for (int t = 0; t < TREES; t++) {
        if (t != target && exists(t) && !pinned[t] && holds[t] == 0) {
          order.add(t);
        }
      }
      order.sort(
          Comparator.comparingLong((Integer t) -> access[t])
              .thenComparing(t -> DATASETS.get(t).treeCid()));
      long most = 0;
      for (int t : order) {
        most += charge(t);
      }
      if (bytes > quota || quota - used() + most < bytes) {
        return false;
      }
      for (int t : order) {
        if (used() + bytes <= quota) {
          return true;
        }
        delete(t);
      }
      return used() + bytes <= quota;
    }

    boolean putLeaf(int t, int i) {
      if (held[t].get(i)) {
        access[t] = ++tick;
        return true;
      }
      if (!reserve(length(t, i) + entry(t, i), t)) {
        return false;
      }
      held[t].set(i);
      access[t] = ++tick;
      return true;
    }

    boolean readLeaf(int t, int i) {
      if (held[t].get(i)) {
        access[t] = ++tick;
        return true;
      }
      return false;
    }

    boolean putManifest(int t) {
      if (manifest[t]) {
        access[t] = ++tick;
        return true;
      }
      if (!reserve(manifestEntry(t), t)) {
        return false;
      }
      manifest[t] = true;
      access[t] = ++tick;
      return true;
    }

    boolean readManifest(int t) {
      if (manifest[t]) {
        access[t] = ++tick;
      }
      return manifest[t];
    }

    boolean pin(int t) {
      if (manifest[t]) {
        pinned[t] = true;
      }
      return manifest[t];
    }

    boolean delete(int t) {
      if (!exists(t)) {
        return false;
      }
      if (manifest[t]) {
        removed.add(DATASETS.get(t).manifestCid());
      }
      held[t].clear();
      manifest[t] = false;
      pinned[t] = false;
      return true;
    }
  }
}
