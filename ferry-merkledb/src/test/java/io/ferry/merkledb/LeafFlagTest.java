package io.ferry.merkledb;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import io.ferry.core.Bytes;
import io.ferry.core.ErrorCode;
import io.ferry.core.FerryException;
import io.ferry.core.KeyRange;
import io.ferry.merkledb.proof.ProofVerifier;
import io.ferry.merkledb.store.Column;
import io.ferry.merkledb.store.MemoryStore;
import io.ferry.merkledb.store.NodeCodec;
import io.ferry.merkledb.store.StoreIterator;
import io.ferry.merkledb.store.WriteBatch;
import io.ferry.merkledb.trie.Child;
import io.ferry.merkledb.trie.Node;
import io.ferry.merkledb.trie.Path;
import java.nio.ByteBuffer;
import java.nio.charset.StandardCharsets;
import java.util.ArrayList;
import java.util.List;
import java.util.Random;
import org.junit.jupiter.api.Test;

/**
 * Store format 2's leaf flag: a commit replaces or deletes a leaf its parent marks as childless
 * without reading it, and a format-1 store (no flags) is read as it is and marked 2 on open.
 */
class LeafFlagTest {
  private static final byte[] CONFIG_KEY = "config".getBytes(StandardCharsets.US_ASCII);
  private static final MerkleDBConfig CONFIG = MerkleDBConfig.defaults();

  @Test
  void aCommitReplacesAndDeletesKnownLeavesWithoutReadingThem() {
    Random r = new Random(11);
    List<Bytes> keys = randomKeys(r, 3000);
    MemoryStore store = new MemoryStore();
    MerkleDB model = loadBoth(store, keys, r);
    // Every 32-byte key's node is a leaf: take their records out of the store. A commit that
    // read one would fail with CORRUPT_DATA (a node missing from the store).
    int removed = 0;
    WriteBatch drop = new WriteBatch();
    for (Bytes k : keys) {
      byte[] sk = Path.ofKey(k, CONFIG.branchFactor()).storageKey();
      if (store.get(Column.NODES, sk) != null) {
        drop.delete(Column.NODES, sk);
        removed++;
      }
    }
    store.write(drop);
    assertThat(removed).isEqualTo(keys.size());

    Batch change = new Batch();
    for (int i = 0; i < keys.size(); i++) {
      if (i % 4 == 0) {
        change.delete(keys.get(i));
      } else if (i % 4 == 1) {
        change.put(keys.get(i), value(r));
      }
    }
    try (MerkleDB db = MerkleDB.open(store, CONFIG)) {
      assertThat(db.commit(change).root()).isEqualTo(model.commit(change).root());
      for (int i = 1; i < keys.size(); i += 4) {
        assertThat(db.proof(keys.get(i)).key()).isEqualTo(keys.get(i)); // rewritten, readable
      }
    }
    model.close();
  }

  @Test
  void aFormat1StoreIsReadAsItIsAndMarkedFormat2() {
    Random r = new Random(12);
    List<Bytes> keys = randomKeys(r, 2000);
    MemoryStore store = new MemoryStore();
    MerkleDB model = loadBoth(store, keys, r);
    int flagged = writeAsFormat1(store);
    assertThat(flagged).as("child entries that had the leaf flag").isPositive();
    assertThat(ByteBuffer.wrap(store.get(Column.META, CONFIG_KEY)).getInt()).isEqualTo(1);

    Batch change = new Batch();
    for (int i = 0; i < keys.size(); i += 3) {
      change.put(keys.get(i), value(r));
    }
    for (int i = 1; i < keys.size(); i += 7) {
      change.delete(keys.get(i));
    }
    try (MerkleDB db = MerkleDB.open(store, CONFIG)) {
      assertThat(db.root()).isEqualTo(model.root());
      assertThat(ByteBuffer.wrap(store.get(Column.META, CONFIG_KEY)).getInt())
          .isEqualTo(MerkleDB.FORMAT_VERSION);
      // Without flags, leaves are read as before: the same root as the model's.
      assertThat(db.commit(change).root()).isEqualTo(model.commit(change).root());
      assertThat(db.get(keys.get(3))).isEqualTo(model.get(keys.get(3)));
      // More commits over entries of both formats, then proofs at every retained root: a leaf
      // under a format-1 entry was not recorded in the node history, and is rebuilt.
      for (int c = 0; c < 5; c++) {
        Batch more = new Batch();
        for (int i = 0; i < 300; i++) {
          Bytes k = keys.get(r.nextInt(keys.size()));
          if (i % 5 == 0) {
            more.delete(k);
          } else {
            more.put(k, value(r));
          }
        }
        assertThat(db.commit(more).root()).isEqualTo(model.commit(more).root());
      }
      for (Revision rev : db.revisions()) {
        for (int i = 0; i < 20; i++) {
          Bytes k = keys.get(r.nextInt(keys.size()));
          KeyRange one = KeyRange.of(k, k);
          ProofVerifier.verifyRangeProof(
              db.rangeProof(rev.root(), one, 1, 1 << 20),
              one,
              1,
              rev.root(),
              CONFIG.branchFactor());
        }
      }
    }
    model.close();
  }

  @Test
  void aStoreOfAFormatNotYetKnownIsRefusedByName() {
    MemoryStore store = new MemoryStore();
    MerkleDB.open(store, CONFIG).close();
    byte[] config = store.get(Column.META, CONFIG_KEY);
    ByteBuffer.wrap(config).putInt(0, MerkleDB.FORMAT_VERSION + 1);
    store.write(new WriteBatch().put(Column.META, CONFIG_KEY, config));
    assertThatThrownBy(() -> MerkleDB.open(store, CONFIG))
        .isInstanceOf(FerryException.class)
        .hasMessageContaining("store format " + (MerkleDB.FORMAT_VERSION + 1))
        .hasMessageContaining("newer Ferry")
        .extracting(e -> ((FerryException) e).code())
        .isEqualTo(ErrorCode.CORRUPT_DATA);
  }

  /** Commits {@code keys} with random values into {@code store} and into a model it returns. */
  private static MerkleDB loadBoth(MemoryStore store, List<Bytes> keys, Random r) {
    MerkleDB model = MerkleDB.inMemory(CONFIG);
    try (MerkleDB db = MerkleDB.open(store, CONFIG)) {
      Batch load = new Batch();
      keys.forEach(k -> load.put(k, value(r)));
      db.commit(load);
      model.commit(load);
    }
    return model;
  }

  /** Rewrites every node record without leaf flags and the format as 1; the flags it cleared. */
  private static int writeAsFormat1(MemoryStore store) {
    WriteBatch batch = new WriteBatch();
    int flagged = 0;
    List<byte[][]> records = new ArrayList<>();
    try (StoreIterator it = store.scan(Column.NODES, null, null)) {
      while (it.next()) {
        records.add(new byte[][] {it.key(), it.value()});
      }
    }
    for (byte[][] rec : records) {
      Node n = NodeCodec.decode(pathOf(rec[0]), rec[1], CONFIG.branchFactor());
      Node old = new Node(n.key(), n.width());
      old.setValueDigest(n.valueDigest());
      for (int i = 0; i < n.width() && n.childCount() > 0; i++) {
        Child c = n.child(i);
        if (c != null) {
          flagged += c.leaf() ? 1 : 0;
          old.setChild(i, new Child(c.compressedKey(), c.id(), c.hasValue()));
        }
      }
      old.setId(n.id());
      batch.put(Column.NODES, rec[0], NodeCodec.encode(old));
    }
    byte[] config = store.get(Column.META, CONFIG_KEY);
    ByteBuffer.wrap(config).putInt(0, 1);
    batch.put(Column.META, CONFIG_KEY, config);
    store.write(batch);
    return flagged;
  }

  /** The path of a branch-factor-16 storage key: each token plus one, then 0xff. */
  private static Path pathOf(byte[] storageKey) {
    int[] tokens = new int[storageKey.length - 1];
    for (int i = 0; i < tokens.length; i++) {
      tokens[i] = (storageKey[i] & 0xff) - 1;
    }
    return Path.ofTokens(CONFIG.branchFactor(), tokens);
  }

  private static List<Bytes> randomKeys(Random r, int n) {
    List<Bytes> keys = new ArrayList<>();
    for (int i = 0; i < n; i++) {
      byte[] k = new byte[32];
      r.nextBytes(k);
      keys.add(Bytes.wrap(k));
    }
    return keys;
  }

  private static Bytes value(Random r) {
    byte[] v = new byte[1 + r.nextInt(100)];
    r.nextBytes(v);
    return Bytes.wrap(v);
  }
}
