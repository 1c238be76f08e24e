package io.ferry.snapshot;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import io.ferry.core.Bytes;
import io.ferry.core.ErrorCode;
import io.ferry.core.FerryException;
import io.ferry.core.Hash;
import io.ferry.merkledb.Batch;
import io.ferry.merkledb.MerkleDB;
import io.ferry.merkledb.MerkleDBConfig;
import io.ferry.merkledb.MerkleTestSupport;
import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.Arrays;
import java.util.Map;
import java.util.Optional;
import java.util.Random;
import java.util.stream.Stream;
import org.assertj.core.api.ThrowableAssert.ThrowingCallable;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;
import org.junit.jupiter.api.io.TempDir;

/**
 * A full archive is read on a thread of its own while the bulk load builds the trie. A failure on
 * either side, far into the archive (after many batches went through), is still the typed error of
 * a reading on one thread; nothing is left behind, neither a store nor a thread.
 */
@Timeout(120)
class ReadAheadRestoreTest {
  @TempDir Path tmp;

  private SnapshotArchive full;
  private SnapshotArchive inc;
  private Hash root;
  private Path target;

  @BeforeEach
  void archives() {
    try (MerkleDB db = MerkleTestSupport.openDb(tmp.resolve("src"))) {
      Random r = new Random(17);
      MerkleTestSupport.fillRandom(db, r, 20_000, 5_000); // about 20 batches of the pipeline
      SnapshotWriter w = new SnapshotWriter(SnapshotConfig.defaults().withChunkSize(16 << 10));
      full = w.writeFull(db, tmp.resolve("arch"));
      root = db.root();
      MerkleTestSupport.churnRandom(db, r, 2_000);
      inc = w.writeIncremental(db, db.revision(), full.path(), tmp.resolve("arch"));
    }
    target = tmp.resolve("data").resolve("state");
  }

  private RestoreResult restore(Path archive) {
    return new SnapshotRestorer(MerkleTestSupport.diskConfig())
        .restore(archive, Optional.empty(), target, Optional.empty());
  }

  private void assertFailsLeavingNothing(ThrowingCallable call, ErrorCode code, String part) {
    assertThatThrownBy(call)
        .isInstanceOfSatisfying(
            FerryException.class,
            e -> {
              assertThat(e.code()).isEqualTo(code);
              assertThat(e.getMessage()).contains(part);
            });
    assertThat(target).doesNotExist();
    try (Stream<Path> s = Files.list(target.getParent())) {
      assertThat(s.map(p -> p.getFileName().toString())).noneMatch(n -> n.contains(".restore-"));
    } catch (IOException e) {
      throw new AssertionError(e);
    }
    assertNoPipelineThreads();
  }

  private static void assertNoPipelineThreads() {
    assertThat(Thread.getAllStackTraces().keySet())
        .filteredOn(Thread::isAlive)
        .extracting(Thread::getName)
        .noneMatch(n -> n.startsWith("ferry-restore-read") || n.startsWith("ferry-bulk-"));
  }

  @Test
  void theArchiveRestoresWhole() {
    assertThat(full.manifest().chunks().size()).isGreaterThan(100);
    RestoreResult r = restore(full.path());
    assertThat(r.root()).isEqualTo(root);
    assertThat(r.keys()).isEqualTo(20_000);
    assertNoPipelineThreads();
  }

  @Test
  void aCorruptChunkFarIntoTheArchiveIsCorruptDataNamingIt() throws Exception {
    Map<String, byte[]> entries = TestArchives.entries(full.path());
    Path bad = tmp.resolve(full.name().fileName()); // same name, outside the archive directory
    String victim = ArchiveLayout.chunkName(full.manifest().chunks().size() * 3 / 4);
    TestArchives.repack(
        entries,
        bad,
        (name, data) -> {
          if (name.equals(victim)) {
            data[data.length / 2] ^= 1;
          }
          return data;
        });
    assertFailsLeavingNothing(() -> restore(bad), ErrorCode.CORRUPT_DATA, victim + ": its SHA-256");
  }

  @Test
  void anArchiveCutFarIntoItsChunksIsCorruptData() throws Exception {
    byte[] bytes = Files.readAllBytes(full.path());
    Path bad = tmp.resolve("cut").resolve(full.name().fileName());
    Files.createDirectories(bad.getParent());
    Files.write(bad, Arrays.copyOf(bytes, bytes.length * 2 / 3));
    assertFailsLeavingNothing(() -> restore(bad), ErrorCode.CORRUPT_DATA, "");
  }

  @Test
  void aFullArchiveHoldingADeleteIsCorruptData() throws Exception {
    // The incremental's records (puts and deletes) under a manifest that calls them full.
    Manifest m = inc.manifest();
    Manifest forged =
        new Manifest(
            m.format(),
            SnapshotKind.FULL,
            m.height(),
            m.root(),
            m.branchFactor(),
            m.entries(),
            m.chunkSizeLimit(),
            Optional.empty(),
            m.chunks());
    Path bad = tmp.resolve("forged.tar.zst"); // not an archive name: no hash to commit to
    TestArchives.repack(
        TestArchives.entries(inc.path()),
        bad,
        (name, data) -> name.equals("manifest") ? forged.encode() : data);
    assertFailsLeavingNothing(
        () -> restore(bad), ErrorCode.CORRUPT_DATA, "a full archive holds a delete of");
  }

  @Test
  void aBulkLoadThatFailsStopsTheReadingThread() {
    // The store is not empty, so the bulk load refuses at once while the reader fills its queue.
    SnapshotRestorer restorer = new SnapshotRestorer(MerkleTestSupport.diskConfig());
    MerkleDB[] opened = new MerkleDB[1];
    try {
      assertThatThrownBy(
              () ->
                  restorer.restoreInto(
                      full.path(),
                      Optional.empty(),
                      bf -> {
                        opened[0] =
                            MerkleDB.inMemory(MerkleDBConfig.defaults().withBranchFactor(bf));
                        opened[0].commit(
                            new Batch().put(Bytes.of(new byte[] {1}), Bytes.of(new byte[] {2})));
                        return opened[0];
                      },
                      Optional.empty()))
          .isInstanceOfSatisfying(
              FerryException.class, e -> assertThat(e.code()).isEqualTo(ErrorCode.ILLEGAL_STATE));
    } finally {
      opened[0].close();
    }
    assertNoPipelineThreads();
  }
}
