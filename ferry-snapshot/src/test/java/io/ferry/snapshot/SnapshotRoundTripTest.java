package io.ferry.snapshot;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import io.ferry.core.ErrorCode;
import io.ferry.core.FerryException;
import io.ferry.core.KeyRange;
import io.ferry.core.Limits;
import io.ferry.core.archive.ArchiveName;
import io.ferry.merkledb.Batch;
import io.ferry.merkledb.BranchFactor;
import io.ferry.merkledb.KeyValue;
import io.ferry.merkledb.MerkleDB;
import io.ferry.merkledb.MerkleDBConfig;
import io.ferry.merkledb.MerkleTestSupport;
import io.ferry.merkledb.Revision;
import io.ferry.merkledb.StateSnapshot;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.Random;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

class SnapshotRoundTripTest {
  private static final SnapshotConfig SMALL_CHUNKS =
      SnapshotConfig.defaults().withChunkSize(64 << 10);

  @TempDir Path tmp;

  @Test
  void fullArchiveRestoresTheSameRoot() throws Exception {
    try (MerkleDB db = MerkleTestSupport.openDb(tmp.resolve("src"))) {
      MerkleTestSupport.fillRandom(db, new Random(1), 5_000, 1_000);
      SnapshotArchive a = new SnapshotWriter(SMALL_CHUNKS).writeFull(db, tmp.resolve("arch"));

      assertThat(a.name()).isEqualTo(ArchiveName.full(db.height(), a.manifest().hash()));
      assertThat(a.path().getFileName().toString()).isEqualTo(a.name().fileName());
      assertThat(a.manifest().entries()).isEqualTo(5_000);
      assertThat(a.manifest().chunks()).hasSizeGreaterThan(5);
      assertThat(a.manifest().chunks())
          .allSatisfy(c -> assertThat(c.size()).isLessThanOrEqualTo(64 << 10));
      assertThat(TestArchives.entries(a.path()).keySet())
          .first()
          .isEqualTo("manifest"); // the manifest comes first
      assertThat(TestArchives.entries(a.path()).values())
          .allSatisfy(b -> assertThat(b.length).isLessThanOrEqualTo(64 << 10));
      assertThat(Files.list(tmp.resolve("arch")).toList())
          .containsExactly(a.path()); // no temp left

      Path target = tmp.resolve("restored");
      RestoreResult r =
          new SnapshotRestorer(MerkleTestSupport.diskConfig())
              .restore(a.path(), Optional.empty(), target, Optional.of(db.root()));
      assertThat(r.root()).isEqualTo(db.root());
      assertThat(r.height()).isEqualTo(db.height());
      assertThat(r.keys()).isEqualTo(5_000);
      try (MerkleDB restored = MerkleTestSupport.openDb(target)) {
        assertThat(restored.root()).isEqualTo(db.root());
        assertThat(restored.height())
            .as("the store keeps the archive's height")
            .isEqualTo(db.height());
        assertThat(contents(restored)).isEqualTo(contents(db));
      }
    }
  }

  @Test
  void fullPlusIncrementalRestoresTheLaterRoot() {
    try (MerkleDB db = MerkleTestSupport.openDb(tmp.resolve("src"))) {
      Random r = new Random(2);
      MerkleTestSupport.fillRandom(db, r, 3_000, 500);
      SnapshotWriter w = new SnapshotWriter(SMALL_CHUNKS);
      SnapshotArchive full = w.writeFull(db, tmp.resolve("arch"));
      for (int i = 0; i < 5; i++) {
        MerkleTestSupport.churnRandom(db, r, 400);
      }
      SnapshotArchive inc = w.writeIncremental(db, db.revision(), full.path(), tmp.resolve("arch"));

      assertThat(inc.name())
          .isEqualTo(
              ArchiveName.incremental(
                  full.manifest().height(), db.height(), inc.manifest().hash()));
      assertThat(inc.manifest().base().orElseThrow().snapshotHash())
          .isEqualTo(full.manifest().hash());
      assertThat(inc.manifest().entries()).isBetween(1L, 2_000L);

      Path target = tmp.resolve("restored");
      RestoreResult res =
          new SnapshotRestorer(MerkleTestSupport.diskConfig())
              .restore(full.path(), Optional.of(inc.path()), target, Optional.of(db.root()));
      assertThat(res.root()).isEqualTo(db.root());
      assertThat(res.height()).isEqualTo(db.height());
      try (MerkleDB restored = MerkleTestSupport.openDb(target)) {
        assertThat(restored.root()).isEqualTo(db.root());
        assertThat(restored.height())
            .as("the store keeps the archive's height")
            .isEqualTo(db.height());
        assertThat(contents(restored)).isEqualTo(contents(db));
      }
    }
  }

  @Test
  void restoreIntoFillsAStoreTheCallerGivesWithTheSameChecks() {
    try (MerkleDB db = MerkleTestSupport.openDb(tmp.resolve("src"))) {
      Random r = new Random(5);
      MerkleTestSupport.fillRandom(db, r, 2_000, 500);
      SnapshotWriter w = new SnapshotWriter(SMALL_CHUNKS);
      SnapshotArchive full = w.writeFull(db, tmp.resolve("arch"));
      MerkleTestSupport.churnRandom(db, r, 300);
      SnapshotArchive inc = w.writeIncremental(db, db.revision(), full.path(), tmp.resolve("arch"));
      SnapshotRestorer restorer = new SnapshotRestorer(MerkleDBConfig.defaults());

      List<BranchFactor> asked = new ArrayList<>();
      try (MerkleDB memory = MerkleDB.inMemory(MerkleDBConfig.defaults())) {
        RestoreResult res =
            restorer.restoreInto(
                full.path(),
                Optional.of(inc.path()),
                bf -> {
                  asked.add(bf);
                  return memory;
                },
                Optional.of(db.root()));
        assertThat(res.root()).isEqualTo(db.root());
        assertThat(memory.root()).isEqualTo(db.root());
        assertThat(memory.height()).isEqualTo(db.height());
        assertThat(contents(memory)).isEqualTo(contents(db));
      }
      assertThat(asked).containsExactly(db.branchFactor());

      // A root other than the trusted one is refused before any store is opened.
      List<BranchFactor> notAsked = new ArrayList<>();
      assertThatThrownBy(
              () ->
                  restorer.restoreInto(
                      full.path(),
                      Optional.empty(),
                      bf -> {
                        notAsked.add(bf);
                        return MerkleDB.inMemory(MerkleDBConfig.defaults());
                      },
                      Optional.of(db.root())))
          .isInstanceOfSatisfying(
              FerryException.class,
              e -> assertThat(e.code()).isEqualTo(ErrorCode.VERIFICATION_FAILED));
      assertThat(notAsked).isEmpty();
    }
  }

  @Test
  void sameStateGivesSameBytesAndHash() throws Exception {
    byte[] first;
    byte[] second;
    SnapshotArchive a;
    SnapshotArchive b;
    try (MerkleDB db1 = MerkleTestSupport.openDb(tmp.resolve("one"));
        MerkleDB db2 = MerkleTestSupport.openDb(tmp.resolve("two"))) {
      MerkleTestSupport.fillRandom(db1, new Random(3), 2_000, 2_000);
      MerkleTestSupport.fillRandom(db2, new Random(3), 2_000, 2_000);
      a = new SnapshotWriter(SMALL_CHUNKS).writeFull(db1, tmp.resolve("a"));
      b = new SnapshotWriter(SMALL_CHUNKS).writeFull(db2, tmp.resolve("b"));
      first = Files.readAllBytes(a.path());
      second = Files.readAllBytes(b.path());
    }
    assertThat(a.name()).isEqualTo(b.name());
    assertThat(first).isEqualTo(second);
    assertThat(SnapshotReader.readManifest(a.path())).isEqualTo(a.manifest());
  }

  @Test
  void archiveIsOfTheHeightItStartedAtWhileCommitsContinue() {
    try (MerkleDB db = MerkleTestSupport.openDb(tmp.resolve("src"))) {
      Random r = new Random(4);
      MerkleTestSupport.fillRandom(db, r, 2_000, 1_000);
      Revision at = db.revision();
      SnapshotArchive a;
      try (StateSnapshot snap = db.snapshot()) {
        for (int i = 0; i < 3; i++) {
          MerkleTestSupport.churnRandom(db, r, 200); // commits land after the snapshot was taken
        }
        a = new SnapshotWriter(SMALL_CHUNKS).writeFull(snap, tmp.resolve("arch"));
        MerkleTestSupport.churnRandom(db, r, 200);
      }
      assertThat(a.manifest().height()).isEqualTo(at.height());
      assertThat(a.manifest().root()).isEqualTo(at.root());
      assertThat(db.height()).isEqualTo(at.height() + 4);
      RestoreResult res =
          new SnapshotRestorer(MerkleTestSupport.diskConfig())
              .restore(a.path(), Optional.empty(), tmp.resolve("restored"), Optional.of(at.root()));
      assertThat(res.root()).isEqualTo(at.root());
    }
  }

  @Test
  void incrementalToALaterRevisionThanItsBaseButBehindTheHead() {
    try (MerkleDB db = MerkleTestSupport.openDb(tmp.resolve("src"))) {
      Random r = new Random(5);
      MerkleTestSupport.fillRandom(db, r, 1_000, 500);
      SnapshotWriter w = new SnapshotWriter(SMALL_CHUNKS);
      SnapshotArchive full = w.writeFull(db, tmp.resolve("arch"));
      MerkleTestSupport.churnRandom(db, r, 100);
      Revision target = db.revision();
      MerkleTestSupport.churnRandom(db, r, 100);
      SnapshotArchive inc = w.writeIncremental(db, target, full.path(), tmp.resolve("arch"));
      assertThat(inc.manifest().root()).isEqualTo(target.root());
      RestoreResult res =
          new SnapshotRestorer(MerkleTestSupport.diskConfig())
              .restore(full.path(), Optional.of(inc.path()), tmp.resolve("r"), Optional.empty());
      assertThat(res.root()).isEqualTo(target.root());
    }
  }

  @Test
  void incrementalAgainstABaseOlderThanTheHistoryIsInsufficientHistory() {
    try (MerkleDB db =
        MerkleDB.open(tmp.resolve("src"), MerkleTestSupport.diskConfig().withHistoryLength(3))) {
      Random r = new Random(6);
      MerkleTestSupport.fillRandom(db, r, 500, 500);
      SnapshotWriter w = new SnapshotWriter(SMALL_CHUNKS);
      SnapshotArchive full = w.writeFull(db, tmp.resolve("arch"));
      for (int i = 0; i < 4; i++) {
        MerkleTestSupport.churnRandom(db, r, 20);
      }
      assertThatThrownBy(
              () -> w.writeIncremental(db, db.revision(), full.path(), tmp.resolve("arch")))
          .isInstanceOfSatisfying(
              FerryException.class,
              e -> assertThat(e.code()).isEqualTo(ErrorCode.INSUFFICIENT_HISTORY));
    }
  }

  @Test
  void emptyStateRoundTrips() {
    try (MerkleDB db = MerkleTestSupport.openDb(tmp.resolve("src"))) {
      db.commit(
          new Batch().put(io.ferry.core.Bytes.fromHex("01"), io.ferry.core.Bytes.fromHex("02")));
      db.commit(new Batch().delete(io.ferry.core.Bytes.fromHex("01")));
      SnapshotArchive a = new SnapshotWriter(SMALL_CHUNKS).writeFull(db, tmp.resolve("arch"));
      assertThat(a.manifest().chunks()).isEmpty();
      RestoreResult res =
          new SnapshotRestorer(MerkleTestSupport.diskConfig())
              .restore(a.path(), Optional.empty(), tmp.resolve("r"), Optional.of(db.root()));
      assertThat(res.root()).isEqualTo(db.root());
    }
  }

  @Test
  void aRecordLargerThanTheChunkSizeIsRefused() {
    try (MerkleDB db = MerkleTestSupport.openDb(tmp.resolve("src"))) {
      db.commit(
          new Batch()
              .put(io.ferry.core.Bytes.fromHex("01"), io.ferry.core.Bytes.wrap(new byte[4096])));
      assertThatThrownBy(
              () ->
                  new SnapshotWriter(SnapshotConfig.defaults().withChunkSize(1024))
                      .writeFull(db, tmp.resolve("arch")))
          .isInstanceOfSatisfying(
              FerryException.class, e -> assertThat(e.code()).isEqualTo(ErrorCode.LIMIT_EXCEEDED));
      assertThat(SnapshotArchives.list(tmp.resolve("arch"))).isEmpty();
    }
  }

  @Test
  void chunkSizeIsBoundedByTheLimit() {
    assertThatThrownBy(() -> SnapshotConfig.defaults().withChunkSize(Limits.MAX_CHUNK_BYTES + 1))
        .isInstanceOf(FerryException.class);
    assertThat(SnapshotConfig.defaults().chunkSize()).isEqualTo(4 << 20);
  }

  static Map<String, String> contents(MerkleDB db) {
    Map<String, String> out = new java.util.TreeMap<>();
    List<KeyValue> all = new ArrayList<>();
    db.scan(KeyRange.ALL, all::add);
    all.forEach(kv -> out.put(kv.key().toHex(), kv.value().toHex()));
    return out;
  }
}
