package io.ferry.merkledb;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import io.ferry.core.Bytes;
import io.ferry.core.ErrorCode;
import io.ferry.core.FerryException;
import io.ferry.core.Hash;
import io.ferry.core.KeyRange;
import io.ferry.core.Limits;
import io.ferry.merkledb.proof.ChangeProof;
import io.ferry.merkledb.proof.Proof;
import io.ferry.merkledb.proof.ProofCodec;
import io.ferry.merkledb.proof.ProofError;
import io.ferry.merkledb.proof.ProofException;
import io.ferry.merkledb.proof.ProofVerifier;
import io.ferry.merkledb.proof.RangeProof;
import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.Random;
import java.util.TreeMap;
import java.util.stream.Stream;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.EnumSource;

/** Values at the size limit and over it, the empty key, and keys that prefix one another. */
class LargeValuesTest {
  private static final int MANY = 1000;

  @TempDir Path tmp;

  static Bytes b(String s) {
    return Bytes.wrap(s.getBytes(StandardCharsets.US_ASCII));
  }

  static Bytes random(Random r, int length) {
    byte[] v = new byte[length];
    r.nextBytes(v);
    return Bytes.wrap(v);
  }

  static List<KeyValue> kvs(Map<Bytes, Bytes> m) {
    List<KeyValue> out = new ArrayList<>();
    m.forEach((k, v) -> out.add(new KeyValue(k, v)));
    return out;
  }

  static MerkleDBConfig config() {
    return MerkleDBConfig.defaults().withHistoryLength(10).withNodeCacheEntries(10_000);
  }

  static void assertCode(Runnable r, ErrorCode code) {
    assertThatThrownBy(r::run)
        .isInstanceOf(FerryException.class)
        .extracting(e -> ((FerryException) e).code())
        .isEqualTo(code);
  }

  /** A proof of {@code key} that verifies and says it has {@code expected}. */
  static void assertProves(MerkleDB db, Bytes key, Optional<Bytes> expected) {
    Proof p = db.proof(key);
    assertThat(p.value()).isEqualTo(expected);
    ProofVerifier.verifyProof(p, db.root(), db.branchFactor());
    // and the opposite claim does not verify
    Optional<Bytes> lie = expected.isPresent() ? Optional.empty() : Optional.of(b("lie"));
    assertThatThrownBy(
            () ->
                ProofVerifier.verifyProof(
                    new Proof(key, lie, p.path()), db.root(), db.branchFactor()))
        .isInstanceOf(ProofException.class);
  }

  static RangeProof assertRangeProves(MerkleDB db, Hash root, KeyRange range, int byteLimit) {
    RangeProof p = db.rangeProof(root, range, MANY, byteLimit);
    assertThat(ProofCodec.encode(p).getSerializedSize()).isLessThanOrEqualTo(byteLimit);
    ProofVerifier.verifyRangeProof(p, range, MANY, root, db.branchFactor());
    return p;
  }

  @Test
  void valuesOfTheMaximumSizeCommitReadBackAndProve() {
    Random r = new Random(11);
    TreeMap<Bytes, Bytes> model = new TreeMap<>();
    for (String k : List.of("big/1", "big/2", "big/3")) {
      model.put(b(k), random(r, Limits.MAX_VALUE_BYTES));
    }
    for (String k : List.of("a", "big", "big/10", "z")) {
      model.put(b(k), random(r, 40));
    }
    Path dir = tmp.resolve("db");
    try (MerkleDB db = MerkleDB.open(dir, config())) {
      Revision first = db.commit(Batch.of(kvs(model)));
      assertThat(first.root()).isEqualTo(Stores.rootOf(kvs(model)));
      for (Map.Entry<Bytes, Bytes> e : model.entrySet()) {
        assertThat(db.get(e.getKey())).contains(e.getValue());
        assertProves(db, e.getKey(), Optional.of(e.getValue()));
      }
      RangeProof all = assertRangeProves(db, db.root(), KeyRange.ALL, Limits.MAX_PROOF_BYTES);
      Stores.assertSameContents("whole range", all.keyValues(), kvs(model));

      // Under the default byte limit a response holds at most one of them; paging gets them all.
      List<KeyValue> paged = new ArrayList<>();
      Optional<Bytes> start = Optional.empty();
      int pages = 0;
      while (true) {
        KeyRange range = new KeyRange(start, Optional.empty());
        RangeProof p = assertRangeProves(db, db.root(), range, Limits.DEFAULT_PROOF_BYTE_LIMIT);
        assertThat(p.keyValues()).isNotEmpty();
        paged.addAll(p.keyValues());
        pages++;
        if (paged.size() == model.size()) {
          break;
        }
        byte[] last = p.keyValues().getLast().key().toByteArray();
        start = Optional.of(Bytes.wrap(Arrays.copyOf(last, last.length + 1)));
      }
      assertThat(pages).isGreaterThanOrEqualTo(3);
      Stores.assertSameContents("paged", paged, kvs(model));

      // A limit below one value cannot be met.
      assertThatThrownBy(
              () ->
                  db.rangeProof(
                      db.root(), KeyRange.from(b("big/1")), MANY, Limits.MAX_VALUE_BYTES / 2))
          .isInstanceOf(ProofException.class)
          .satisfies(
              e -> {
                assertThat(((ProofException) e).reason())
                    .isEqualTo(ProofError.MIN_PROOF_SIZE_TOO_LARGE);
                assertThat(((ProofException) e).code()).isEqualTo(ErrorCode.LIMIT_EXCEEDED);
              });

      // Replaced and deleted large values stay provable at the old root.
      TreeMap<Bytes, Bytes> before = new TreeMap<>(model);
      Bytes replacement = random(r, Limits.MAX_VALUE_BYTES);
      Revision second = db.commit(new Batch().put(b("big/1"), replacement).delete(b("big/2")));
      model.put(b("big/1"), replacement);
      model.remove(b("big/2"));
      assertThat(second.root()).isEqualTo(Stores.rootOf(kvs(model)));
      RangeProof old = assertRangeProves(db, first.root(), KeyRange.ALL, Limits.MAX_PROOF_BYTES);
      Stores.assertSameContents("old root", old.keyValues(), kvs(before));
      ChangeProof cp =
          db.changeProof(first.root(), second.root(), KeyRange.ALL, MANY, Limits.MAX_PROOF_BYTES);
      assertThat(cp.keyChanges())
          .containsExactly(KeyChange.put(b("big/1"), replacement), KeyChange.delete(b("big/2")));
      try (MerkleDB local = MerkleDB.inMemory(config())) {
        local.commit(Batch.of(kvs(before)));
        try (StateSnapshot base = local.snapshot()) {
          local.commit(
              ProofVerifier.verifyChangeProof(cp, KeyRange.ALL, MANY, second.root(), base));
        }
        assertThat(local.root()).isEqualTo(second.root());
      }
    }
    try (MerkleDB db = MerkleDB.open(dir, config())) {
      Stores.assertSameContents("reopened", Stores.scanAll(db), kvs(model));
      assertProves(db, b("big/1"), Optional.of(model.get(b("big/1"))));
    }
  }

  @Test
  void aValueOverTheLimitIsRejectedAndTheStoreIsUnchanged() {
    Bytes huge = Bytes.wrap(new byte[Limits.MAX_VALUE_BYTES + 1]);
    Bytes longKey = Bytes.wrap(new byte[Limits.MAX_KEY_BYTES + 1]);
    try (MerkleDB db = MerkleDB.open(tmp.resolve("db"), config())) {
      db.commit(new Batch().put(b("a"), b("1")).put(b("y"), b("old")));
      Revision before = db.revision();
      List<KeyValue> contents = Stores.scanAll(db);

      Batch batch = new Batch().put(b("x"), b("2"));
      assertCode(() -> batch.put(b("y"), huge), ErrorCode.LIMIT_EXCEEDED);
      assertCode(() -> batch.set(b("y"), Optional.of(huge)), ErrorCode.LIMIT_EXCEEDED);
      assertCode(() -> batch.put(longKey, b("v")), ErrorCode.LIMIT_EXCEEDED);
      assertCode(() -> batch.delete(longKey), ErrorCode.LIMIT_EXCEEDED);
      assertCode(
          () -> db.commit(Batch.of(List.of(new KeyValue(b("y"), huge)))), ErrorCode.LIMIT_EXCEEDED);
      assertCode(
          () -> db.newView(Batch.ofChanges(List.of(KeyChange.put(b("y"), huge)))),
          ErrorCode.LIMIT_EXCEEDED);
      assertThat(db.revision()).isEqualTo(before);
      assertThat(db.revisions()).extracting(Revision::height).containsExactly(0L, 1L);
      Stores.assertSameContents("after rejections", Stores.scanAll(db), contents);
      assertThat(db.get(b("y"))).contains(b("old"));

      // The batch lost only the rejected operations.
      assertThat(batch.operations()).containsOnlyKeys(b("x"));
      db.commit(batch);
      assertThat(db.get(b("x"))).contains(b("2"));
      assertThat(db.get(b("y"))).contains(b("old"));
    }
  }

  @Test
  void aBulkLoadWithAValueOverTheLimitLeavesTheStoreEmpty() throws IOException {
    Path dir = tmp.resolve("db");
    try (MerkleDB db = MerkleDB.open(dir, config())) {
      List<KeyValue> bad =
          List.of(
              new KeyValue(b("a"), b("1")),
              new KeyValue(b("b"), Bytes.wrap(new byte[Limits.MAX_VALUE_BYTES + 1])),
              new KeyValue(b("c"), b("3")));
      assertCode(() -> db.bulkLoad(bad.iterator()), ErrorCode.LIMIT_EXCEEDED);
      assertThat(db.revision()).isEqualTo(new Revision(0, Hash.ZERO));
      assertThat(Stores.scanAll(db)).isEmpty();
      assertThat(db.get(b("a"))).isEmpty();
      try (Stream<Path> files = Files.list(dir)) {
        assertThat(files.map(f -> f.getFileName().toString()))
            .noneMatch(f -> f.startsWith("ingest"));
      }

      List<KeyValue> good =
          List.of(
              new KeyValue(Bytes.EMPTY, b("0")),
              new KeyValue(b("a"), b("1")),
              new KeyValue(b("b"), Bytes.wrap(new byte[Limits.MAX_VALUE_BYTES])));
      db.bulkLoad(good.iterator());
      assertThat(db.root()).isEqualTo(Stores.rootOf(good));
      Stores.assertSameContents("bulk loaded", Stores.scanAll(db), good);
    }
  }

  @Test
  void aKeyOfTheMaximumSizeWorks() {
    Random r = new Random(12);
    Bytes key = random(r, Limits.MAX_KEY_BYTES);
    Bytes sibling = Bytes.wrap(Arrays.copyOf(key.toByteArray(), Limits.MAX_KEY_BYTES - 1));
    try (MerkleDB db = MerkleDB.open(tmp.resolve("db"), config())) {
      db.commit(new Batch().put(key, b("v")).put(sibling, b("w")));
      assertThat(db.get(key)).contains(b("v"));
      assertProves(db, key, Optional.of(b("v")));
      assertProves(db, sibling, Optional.of(b("w")));
      assertRangeProves(db, db.root(), KeyRange.ALL, Limits.DEFAULT_PROOF_BYTE_LIMIT);
      db.commit(new Batch().delete(key));
      assertProves(db, key, Optional.empty());
      assertThat(db.root()).isEqualTo(Stores.rootOf(List.of(new KeyValue(sibling, b("w")))));
    }
  }

  @Test
  void theEmptyKeyCanBePutGotProvenAndDeleted() {
    Path dir = tmp.resolve("db");
    TreeMap<Bytes, Bytes> model = new TreeMap<>();
    try (MerkleDB db = MerkleDB.open(dir, config())) {
      assertProves(db, Bytes.EMPTY, Optional.empty()); // in the empty trie

      // alone
      Revision alone = db.commit(new Batch().put(Bytes.EMPTY, b("root value")));
      model.put(Bytes.EMPTY, b("root value"));
      assertThat(db.get(Bytes.EMPTY)).contains(b("root value"));
      assertThat(db.root()).isEqualTo(Stores.rootOf(kvs(model)));
      assertProves(db, Bytes.EMPTY, Optional.of(b("root value")));
      assertProves(db, b("a"), Optional.empty());

      // with keys below it
      db.commit(new Batch().put(b("a"), b("1")).put(b("ab"), b("2")).put(b("\0"), b("3")));
      model.putAll(Map.of(b("a"), b("1"), b("ab"), b("2"), b("\0"), b("3")));
      assertThat(db.root()).isEqualTo(Stores.rootOf(kvs(model)));
      assertProves(db, Bytes.EMPTY, Optional.of(b("root value")));
      RangeProof justIt =
          assertRangeProves(
              db,
              db.root(),
              KeyRange.of(Bytes.EMPTY, Bytes.EMPTY),
              Limits.DEFAULT_PROOF_BYTE_LIMIT);
      assertThat(justIt.keyValues()).containsExactly(new KeyValue(Bytes.EMPTY, b("root value")));
      RangeProof fromIt =
          assertRangeProves(
              db, db.root(), KeyRange.from(Bytes.EMPTY), Limits.DEFAULT_PROOF_BYTE_LIMIT);
      assertThat(fromIt.keyValues()).isEqualTo(kvs(model));
      Revision withIt = db.revision();

      // an empty value is a value, not a delete
      db.commit(new Batch().put(Bytes.EMPTY, Bytes.EMPTY));
      model.put(Bytes.EMPTY, Bytes.EMPTY);
      assertThat(db.get(Bytes.EMPTY)).contains(Bytes.EMPTY);
      assertThat(db.root()).isEqualTo(Stores.rootOf(kvs(model)));
      assertProves(db, Bytes.EMPTY, Optional.of(Bytes.EMPTY));

      // deleted
      db.commit(new Batch().delete(Bytes.EMPTY));
      model.remove(Bytes.EMPTY);
      assertThat(db.get(Bytes.EMPTY)).isEmpty();
      assertThat(db.root()).isEqualTo(Stores.rootOf(kvs(model)));
      assertProves(db, Bytes.EMPTY, Optional.empty());
      assertProves(db, b("a"), Optional.of(b("1")));

      // its history: provable at the old roots, and its deletion is a change
      RangeProof old =
          assertRangeProves(db, alone.root(), KeyRange.ALL, Limits.DEFAULT_PROOF_BYTE_LIMIT);
      assertThat(old.keyValues()).containsExactly(new KeyValue(Bytes.EMPTY, b("root value")));
      ChangeProof cp =
          db.changeProof(
              withIt.root(), db.root(), KeyRange.ALL, MANY, Limits.DEFAULT_PROOF_BYTE_LIMIT);
      assertThat(cp.keyChanges()).containsExactly(KeyChange.delete(Bytes.EMPTY));
    }
    try (MerkleDB db = MerkleDB.open(dir, config())) {
      assertThat(db.get(Bytes.EMPTY)).isEmpty();
      db.commit(new Batch().put(Bytes.EMPTY, b("back")).delete(b("a")).delete(b("ab")));
      db.commit(new Batch().delete(b("\0")));
      assertThat(Stores.scanAll(db)).containsExactly(new KeyValue(Bytes.EMPTY, b("back")));
      assertProves(db, Bytes.EMPTY, Optional.of(b("back")));
      db.commit(new Batch().delete(Bytes.EMPTY));
      assertThat(db.root()).isEqualTo(Hash.ZERO);
      assertProves(db, Bytes.EMPTY, Optional.empty());
    }
  }

  /** Keys where each is a prefix of the next, at every depth, and their neighbours. */
  private static final List<Bytes> PREFIX_KEYS =
      Stream.of(
              "",
              "00",
              "0000",
              "000000",
              "0001",
              "01",
              "0100",
              "10",
              "1000",
              "100000",
              "1001",
              "7f",
              "7fff",
              "80",
              "8000",
              "ff",
              "ff00",
              "ffff",
              "ffffff",
              "61",
              "6162",
              "616263",
              "61626364")
          .map(Bytes::fromHex)
          .toList();

  private static final List<Bytes> ABSENT_KEYS =
      Stream.of("0002", "02", "11", "6163", "6162636465", "ffff00", "fe", "0100ff")
          .map(Bytes::fromHex)
          .toList();

  @ParameterizedTest
  @EnumSource(BranchFactor.class)
  void keysThatArePrefixesOfEachOther(BranchFactor bf) {
    Random r = new Random(13 + bf.ordinal());
    TreeMap<Bytes, Bytes> model = new TreeMap<>();
    try (MerkleDB db = MerkleDB.inMemory(config().withBranchFactor(bf))) {
      for (int step = 0; step < 200; step++) {
        Batch batch = new Batch();
        int ops = 1 + r.nextInt(4);
        for (int i = 0; i < ops; i++) {
          Bytes k = PREFIX_KEYS.get(r.nextInt(PREFIX_KEYS.size()));
          if (r.nextInt(3) == 0) {
            batch.delete(k);
            model.remove(k);
          } else {
            Bytes v = random(r, r.nextBoolean() ? r.nextInt(8) : 32 + r.nextInt(40));
            batch.put(k, v);
            model.put(k, v);
          }
        }
        db.commit(batch);
        assertThat(db.root()).as("step %d", step).isEqualTo(Stores.rootOf(kvs(model), bf));
        if (step % 20 == 19) {
          for (Bytes k : PREFIX_KEYS) {
            assertProves(db, k, Optional.ofNullable(model.get(k)));
          }
          for (Bytes k : ABSENT_KEYS) {
            assertProves(db, k, Optional.empty());
          }
          RangeProof p =
              assertRangeProves(
                  db, db.root(), KeyRange.of(b("\0"), b("a")), Limits.DEFAULT_PROOF_BYTE_LIMIT);
          assertThat(p.keyValues()).isEqualTo(kvs(model.subMap(b("\0"), true, b("a"), true)));
        }
      }
      // delete in an order that collapses branches from the middle of each chain
      for (Bytes k : List.of(Bytes.fromHex("0000"), Bytes.fromHex("6162"), Bytes.EMPTY)) {
        db.commit(new Batch().put(k, b("x")));
        model.put(k, b("x"));
      }
      for (Bytes k : List.of(Bytes.fromHex("0000"), Bytes.fromHex("6162"), Bytes.EMPTY)) {
        db.commit(new Batch().delete(k));
        model.remove(k);
        assertThat(db.root()).isEqualTo(Stores.rootOf(kvs(model), bf));
        assertProves(db, k, Optional.empty());
      }
      Stores.assertSameContents("prefix keys", Stores.scanAll(db), kvs(model));
    }
  }
}
