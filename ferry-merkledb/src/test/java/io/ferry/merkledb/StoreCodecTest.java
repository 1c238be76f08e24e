package io.ferry.merkledb;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import io.ferry.core.Bytes;
import io.ferry.core.ErrorCode;
import io.ferry.core.FerryException;
import io.ferry.core.Hash;
import io.ferry.core.KeyRange;
import io.ferry.core.Limits;
import io.ferry.merkledb.proof.Proof;
import io.ferry.merkledb.proof.ProofGenerator;
import io.ferry.merkledb.proof.ProofVerifier;
import io.ferry.merkledb.store.Column;
import io.ferry.merkledb.store.KvStore;
import io.ferry.merkledb.store.MemoryStore;
import io.ferry.merkledb.store.NodeCodec;
import io.ferry.merkledb.store.RocksStore;
import io.ferry.merkledb.store.StoreIterator;
import io.ferry.merkledb.store.WriteBatch;
import io.ferry.merkledb.trie.Node;
import io.ferry.merkledb.trie.NodeHasher;
import io.ferry.merkledb.trie.Path;
import java.nio.charset.StandardCharsets;
import java.util.AbstractMap;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.List;
import java.util.Map;
import java.util.Random;
import java.util.function.UnaryOperator;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.EnumSource;

/**
 * The stored forms: node records round-trip and reject damage as {@link ErrorCode#CORRUPT_DATA}, a
 * store keeps its branch factor, and the in-memory and RocksDB stores hold the same bytes.
 */
class StoreCodecTest {
  @TempDir java.nio.file.Path tmp;

  static Bytes b(String s) {
    return Bytes.wrap(s.getBytes(StandardCharsets.US_ASCII));
  }

  /** A batch of random keys (with prefixes of one another and the empty key) and values. */
  static Batch randomBatch(Random r, int size) {
    Batch batch = new Batch();
    for (int i = 0; i < size; i++) {
      byte[] k = new byte[r.nextInt(5)];
      for (int j = 0; j < k.length; j++) {
        k[j] = (byte) r.nextInt(r.nextBoolean() ? 4 : 256);
      }
      if (r.nextInt(5) == 0) {
        batch.delete(Bytes.wrap(k));
      } else {
        byte[] v = new byte[r.nextInt(10) == 0 ? 100_000 : r.nextInt(70)];
        r.nextBytes(v);
        batch.put(Bytes.wrap(k), Bytes.wrap(v));
      }
    }
    return batch;
  }

  /** The hashed nodes of a random trie: leaves, branches, nodes with and without values. */
  static List<Node> randomNodes(BranchFactor bf, long seed) {
    View v = View.of(TrieReader.empty(bf), randomBatch(new Random(seed), 300));
    List<Node> out = new ArrayList<>();
    v.changedNodes().values().forEach(n -> out.add(n));
    out.sort((x, y) -> x.key().compareTo(y.key()));
    return out;
  }

  static void assertCorrupt(Runnable r) {
    assertThatThrownBy(r::run)
        .isInstanceOf(FerryException.class)
        .extracting(e -> ((FerryException) e).code())
        .isEqualTo(ErrorCode.CORRUPT_DATA);
  }

  @ParameterizedTest
  @EnumSource(BranchFactor.class)
  void nodeRecordsRoundTrip(BranchFactor bf) {
    List<Node> nodes = randomNodes(bf, 1);
    assertThat(nodes).hasSizeGreaterThan(100);
    assertThat(nodes).anyMatch(n -> n.childCount() > 1 && n.hasValue());
    assertThat(nodes).anyMatch(n -> n.childCount() == 0);
    assertThat(nodes).anyMatch(n -> n.childCount() > 1 && !n.hasValue());
    assertThat(nodes).anyMatch(n -> n.key().length() == 0 || !n.key().isWholeBytes());
    for (Node n : nodes) {
      byte[] record = NodeCodec.encode(n);
      Node back = NodeCodec.decode(n.key(), record, bf);
      assertThat(back).as("%s", n).isEqualTo(n);
      assertThat(back.id()).isEqualTo(n.id());
      assertThat(back.childCount()).isEqualTo(n.childCount());
      assertThat(NodeCodec.encode(back)).isEqualTo(record);
    }
  }

  @ParameterizedTest
  @EnumSource(BranchFactor.class)
  void truncatedNodeRecordsAreCorruptData(BranchFactor bf) {
    for (Node n : randomNodes(bf, 2)) {
      byte[] record = NodeCodec.encode(n);
      for (int len = 0; len < record.length; len++) {
        byte[] cut = Arrays.copyOf(record, len);
        assertCorrupt(() -> NodeCodec.decode(n.key(), cut, bf));
      }
      byte[] longer = Arrays.copyOf(record, record.length + 1);
      assertCorrupt(() -> NodeCodec.decode(n.key(), longer, bf));
    }
  }

  /**
   * Any change to a record is rejected as corrupt, except one that cannot matter: the child's value
   * flag, which no hash covers. Either way, nothing but {@link FerryException} with {@link
   * ErrorCode#CORRUPT_DATA} comes out.
   */
  @ParameterizedTest
  @EnumSource(BranchFactor.class)
  void garbledNodeRecordsAreCorruptData(BranchFactor bf) {
    int rejected = 0;
    for (Node n : randomNodes(bf, 3)) {
      byte[] record = NodeCodec.encode(n);
      for (int pos = 0; pos < record.length; pos++) {
        for (int flip : new int[] {0x01, 0x02, 0x10, 0x80, 0xff}) {
          byte[] bad = record.clone();
          bad[pos] ^= (byte) flip;
          Node back;
          try {
            back = NodeCodec.decode(n.key(), bad, bf);
          } catch (FerryException e) {
            assertThat(e.code())
                .as("%s byte %d ^ %x: %s", n, pos, flip, e)
                .isEqualTo(ErrorCode.CORRUPT_DATA);
            rejected++;
            continue;
          } catch (RuntimeException e) {
            throw new AssertionError(n + " byte " + pos + " ^ " + flip + " threw " + e, e);
          }
          // accepted: then it must be the same node for every purpose that is hashed
          assertThat(back.id()).isEqualTo(n.id());
          assertThat(NodeHasher.hash(back)).as("%s byte %d ^ %x", n, pos, flip).isEqualTo(n.id());
          assertThat(ProofGenerator.toProofNode(back)).isEqualTo(ProofGenerator.toProofNode(n));
        }
      }
    }
    assertThat(rejected).isPositive();
  }

  @ParameterizedTest
  @EnumSource(BranchFactor.class)
  void randomBytesAreCorruptData(BranchFactor bf) {
    Random r = new Random(4);
    Path key = Path.ofKey(b("key"), bf);
    for (int i = 0; i < 3000; i++) {
      byte[] junk = new byte[r.nextInt(200)];
      r.nextBytes(junk);
      if (junk.length > 33 && r.nextBoolean()) {
        junk[32] = (byte) r.nextInt(2); // a valid value flag, to get further in
        junk[33] = (byte) r.nextInt(3);
      }
      assertCorrupt(() -> NodeCodec.decode(key, junk, bf));
    }
  }

  /** Replacements of a stored node's record, each a kind of damage. */
  private static final Map<String, UnaryOperator<byte[]>> DAMAGE =
      Map.of(
          "truncated", rec -> Arrays.copyOf(rec, rec.length / 2),
          "empty", rec -> new byte[0],
          "garbled id", rec -> flip(rec, 3),
          "garbled content", rec -> flip(rec, rec.length - 5),
          "missing", rec -> null);

  private static byte[] flip(byte[] rec, int pos) {
    byte[] out = rec.clone();
    out[pos] ^= 0x40;
    return out;
  }

  /**
   * A damaged node in the store fails every read that reaches it with {@link
   * ErrorCode#CORRUPT_DATA}: proofs (never a proof that does not verify) and commits.
   */
  @Test
  void damagedNodesInTheStoreAreCorruptData() {
    MemoryStore store = new MemoryStore();
    MerkleDBConfig config = MerkleDBConfig.defaults().withNodeCacheEntries(16);
    List<Bytes> keys = new ArrayList<>();
    Hash root;
    try (MerkleDB db = MerkleDB.open(store, config)) {
      Random r = new Random(5);
      Batch batch = new Batch();
      for (int i = 0; i < 200; i++) {
        Bytes k = Bytes.wrap(new byte[] {(byte) r.nextInt(256), (byte) r.nextInt(256)});
        byte[] v = new byte[1 + r.nextInt(60)];
        r.nextBytes(v);
        batch.put(k, Bytes.wrap(v));
      }
      db.commit(batch);
      db.scan(KeyRange.ALL, kv -> keys.add(kv.key()));
      root = db.root();
    }
    List<Map.Entry<byte[], byte[]>> records = new ArrayList<>();
    try (StoreIterator it = store.scan(Column.NODES, null, null)) {
      while (it.next()) {
        records.add(new AbstractMap.SimpleImmutableEntry<>(it.key(), it.value()));
      }
    }
    Random pick = new Random(6);
    // the root, and a few others
    List<Map.Entry<byte[], byte[]>> targets = new ArrayList<>();
    records.stream().filter(e -> e.getKey().length == 4).forEach(targets::add);
    for (int i = 0; i < 6; i++) {
      targets.add(records.get(pick.nextInt(records.size())));
    }
    for (Map.Entry<byte[], byte[]> target : targets) {
      for (Map.Entry<String, UnaryOperator<byte[]>> damage : DAMAGE.entrySet()) {
        String what = damage.getKey() + " node record " + Bytes.of(target.getKey());
        byte[] bad = damage.getValue().apply(target.getValue());
        store.write(
            bad == null
                ? new WriteBatch().delete(Column.NODES, target.getKey())
                : new WriteBatch().put(Column.NODES, target.getKey(), bad));
        try (MerkleDB db = MerkleDB.open(store, config)) {
          int corrupt = 0;
          for (Bytes k : keys) {
            try {
              Proof p = db.proof(k);
              ProofVerifier.verifyProof(p, root, BranchFactor.BF16);
            } catch (FerryException e) {
              assertThat(e.code())
                  .as("%s: proof of %s: %s", what, k, e)
                  .isEqualTo(ErrorCode.CORRUPT_DATA);
              corrupt++;
            }
          }
          assertThat(corrupt).as("%s: proofs that reached it", what).isPositive();
          // A commit over every key reaches a damaged branch too, and changes nothing. A leaf its
          // parent marks as one is deleted unread, so a commit does not reach it.
          if (!isLeafRecord(target.getValue())) {
            Batch all = new Batch();
            keys.forEach(k -> all.delete(k));
            assertCorrupt(() -> db.commit(all));
            assertThat(db.revision().root()).isEqualTo(root);
            assertThat(db.height()).isEqualTo(1);
          }
        }
        store.write(new WriteBatch().put(Column.NODES, target.getKey(), target.getValue()));
      }
    }
    try (MerkleDB db = MerkleDB.open(store, config)) {
      for (Bytes k : keys) {
        ProofVerifier.verifyProof(db.proof(k), root, BranchFactor.BF16);
      }
    }
  }

  @Test
  void aDamagedHeadOrFormatRecordIsCorruptData() {
    MemoryStore store = new MemoryStore();
    try (MerkleDB db = MerkleDB.open(store, MerkleDBConfig.defaults())) {
      db.commit(new Batch().put(b("a"), b("1")));
    }
    byte[] head = store.get(Column.META, "head".getBytes(StandardCharsets.US_ASCII));
    byte[] config = store.get(Column.META, "config".getBytes(StandardCharsets.US_ASCII));
    assertThat(head).isNotNull();
    assertThat(config).isNotNull();

    store.write(
        new WriteBatch()
            .put(Column.META, "head".getBytes(StandardCharsets.US_ASCII), Arrays.copyOf(head, 20)));
    assertCorrupt(() -> MerkleDB.open(store, MerkleDBConfig.defaults()));
    store.write(
        new WriteBatch().put(Column.META, "head".getBytes(StandardCharsets.US_ASCII), head));

    byte[] future = config.clone();
    future[3] = 99; // format version 99
    store.write(
        new WriteBatch().put(Column.META, "config".getBytes(StandardCharsets.US_ASCII), future));
    assertCorrupt(() -> MerkleDB.open(store, MerkleDBConfig.defaults()));
    store.write(
        new WriteBatch().put(Column.META, "config".getBytes(StandardCharsets.US_ASCII), config));
    try (MerkleDB db = MerkleDB.open(store, MerkleDBConfig.defaults())) {
      assertThat(db.get(b("a"))).contains(b("1"));
    }
  }

  @Test
  void aStoreKeepsTheBranchFactorItWasCreatedWith() {
    java.nio.file.Path dir = tmp.resolve("db");
    MerkleDBConfig bf16 = MerkleDBConfig.defaults();
    Hash root;
    try (MerkleDB db = MerkleDB.open(dir, bf16)) {
      root = db.commit(new Batch().put(b("a"), b("1"))).root();
    }
    for (BranchFactor other : List.of(BranchFactor.BF256, BranchFactor.BF2)) {
      assertThatThrownBy(() -> MerkleDB.open(dir, bf16.withBranchFactor(other)))
          .isInstanceOf(FerryException.class)
          .hasMessageContaining("branch factor 16")
          .hasMessageContaining(String.valueOf(other.width()))
          .extracting(e -> ((FerryException) e).code())
          .isEqualTo(ErrorCode.INVALID_ARGUMENT);
    }
    // the failed opens released the store
    try (RocksStore store = new RocksStore(dir, 1 << 20, false)) {
      assertThat(MerkleDB.storedBranchFactor(store)).contains(BranchFactor.BF16);
    }
    try (MerkleDB db = MerkleDB.open(dir, bf16)) {
      assertThat(db.root()).isEqualTo(root);
      assertThat(db.get(b("a"))).contains(b("1"));
    }
    MemoryStore fresh = new MemoryStore();
    assertThat(MerkleDB.storedBranchFactor(fresh)).isEmpty();
    MerkleDB.open(fresh, bf16.withBranchFactor(BranchFactor.BF256)).close();
    assertThat(MerkleDB.storedBranchFactor(fresh)).contains(BranchFactor.BF256);
    assertThatThrownBy(() -> MerkleDB.open(fresh, bf16))
        .isInstanceOf(FerryException.class)
        .hasMessageContaining("branch factor 256");
  }

  /** Every entry of every column, for comparing stores byte for byte. */
  static List<String> dump(KvStore store) {
    List<String> out = new ArrayList<>();
    for (Column c : Column.MERKLEDB) {
      try (StoreIterator it = store.scan(c, null, null)) {
        while (it.next()) {
          out.add(c + " " + Bytes.of(it.key()).toHex() + " " + Hash.of(sha(it.value())).toHex());
        }
      }
    }
    return out;
  }

  /** True if a node record has no children: after its value, a child count of zero. */
  private static boolean isLeafRecord(byte[] rec) {
    int p = Hash.LENGTH;
    if (rec[p++] == 1) {
      p += 1 + rec[p]; // the digest's one-byte length (digests are at most 32 bytes), then it
    }
    return rec[p] == 0;
  }

  private static byte[] sha(byte[] v) {
    return io.ferry.core.Hasher.sha256().hash(v).toBytes();
  }

  @ParameterizedTest
  @EnumSource(
      value = BranchFactor.class,
      names = {"BF16", "BF256"})
  void memoryAndRocksStoresGiveTheSameRootsAndBytes(BranchFactor bf) {
    MerkleDBConfig config = MerkleDBConfig.defaults().withHistoryLength(8).withBranchFactor(bf);
    java.nio.file.Path dir = tmp.resolve("db");
    MemoryStore memory = new MemoryStore();
    RocksStore rocks = new RocksStore(dir, 8 << 20, false);
    List<Revision> revisions;
    try (MerkleDB m = MerkleDB.open(memory, config);
        MerkleDB d = MerkleDB.open(rocks, config)) {
      Random r = new Random(7);
      for (int i = 0; i < 30; i++) {
        Batch batch = randomBatch(r, 1 + r.nextInt(100));
        Revision a = m.commit(batch);
        Revision c = d.commit(batch);
        assertThat(c).as("commit %d", i).isEqualTo(a);
      }
      assertThat(d.revisions()).isEqualTo(m.revisions());
      assertThat(dump(rocks)).isEqualTo(dump(memory));
      Hash old = m.revisions().getFirst().root();
      assertThat(d.rangeProof(old, KeyRange.ALL, 5000, Limits.MAX_PROOF_BYTES))
          .isEqualTo(m.rangeProof(old, KeyRange.ALL, 5000, Limits.MAX_PROOF_BYTES));
      assertThat(d.changeProof(old, d.root(), KeyRange.ALL, 5000, Limits.MAX_PROOF_BYTES))
          .isEqualTo(m.changeProof(old, m.root(), KeyRange.ALL, 5000, Limits.MAX_PROOF_BYTES));
      revisions = m.revisions();
    }
    try (MerkleDB d = MerkleDB.open(dir, config)) {
      assertThat(d.revisions()).isEqualTo(revisions);
      assertThat(Stores.rootOf(Stores.scanAll(d), bf)).isEqualTo(d.root());
    }
  }
}
