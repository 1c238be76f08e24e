package io.ferry.snapshot;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import io.ferry.core.ErrorCode;
import io.ferry.core.FerryException;
import io.ferry.core.Hash;
import io.ferry.core.archive.ArchiveName;
import io.ferry.merkledb.BranchFactor;
import io.ferry.merkledb.MerkleDB;
import io.ferry.merkledb.MerkleTestSupport;
import java.io.IOException;
import java.io.InputStream;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.Optional;
import java.util.Random;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * Archives of format 1 (the tar in one zstd frame), written by the writer before chunks became
 * frames and kept as fixtures in {@code src/test/resources/format1}: they still restore, and serve
 * as the base of a new incremental, but their chunks cannot be read one by one.
 *
 * <p>The fixtures are of the store that {@link #fixtureStore} builds (a full archive at height 3
 * with chunks of 2 KiB, an incremental to height 6), so the test can compare against it.
 */
class Format1ArchiveTest {
  private static final String FULL =
      "snapshot-3-Hxwg61VpcUoYBn4KJKZY2E94jRpEmtAQZd3bQf6pecFD.tar.zst";
  private static final String INC =
      "incremental-snapshot-3-6-AtB6D8mE13WaFSkKZfzc5JoFtfizMrUhBA3pf5HG4BT1.tar.zst";

  @TempDir Path tmp;
  private Path full;
  private Path inc;

  @BeforeEach
  void copyFixtures() throws IOException {
    full = copy(FULL);
    inc = copy(INC);
  }

  private Path copy(String name) throws IOException {
    Path out = tmp.resolve("arch").resolve(name);
    Files.createDirectories(out.getParent());
    try (InputStream in = getClass().getResourceAsStream("/format1/" + name)) {
      assertThat(in).as(name).isNotNull();
      Files.copy(in, out);
    }
    return out;
  }

  /** The store the fixtures were written from, at height 3, and the next three commits. */
  private static MerkleDB fixtureStore(Random r) {
    MerkleDB db = MerkleTestSupport.memoryDb(BranchFactor.BF16, 100);
    MerkleTestSupport.fillRandom(db, r, 150, 50);
    return db;
  }

  @Test
  void theyAreFormatOne() {
    Manifest m = SnapshotReader.readManifest(full);
    assertThat(m.format()).isEqualTo(Manifest.FORMAT_ONE_FRAME);
    assertThat(m.hasChunkFrames()).isFalse();
    assertThat(m.chunks())
        .hasSizeGreaterThan(3)
        .allSatisfy(c -> assertThat(c.frameSize()).isZero());
    assertThat(m.frameBytes()).isZero();
    // Re-encoded, a format-1 manifest keeps its bytes, so its hash stays the name's.
    assertThat(m.hash()).isEqualTo(ArchiveName.parse(FULL).orElseThrow().hash());
    assertThat(SnapshotReader.readManifest(inc).hash())
        .isEqualTo(ArchiveName.parse(INC).orElseThrow().hash());
  }

  @Test
  void theyStillRestore() {
    Random r = new Random(20);
    try (MerkleDB db = fixtureStore(r)) {
      Hash atFull = db.root();
      for (int i = 0; i < 3; i++) {
        MerkleTestSupport.churnRandom(db, r, 30);
      }
      RestoreResult res =
          new SnapshotRestorer(MerkleTestSupport.diskConfig())
              .restore(full, Optional.of(inc), tmp.resolve("state"), Optional.of(db.root()));
      assertThat(res.root()).isEqualTo(db.root());
      assertThat(res.height()).isEqualTo(6);
      RestoreResult fullOnly =
          new SnapshotRestorer(MerkleTestSupport.diskConfig())
              .restore(full, Optional.empty(), tmp.resolve("state3"), Optional.of(atFull));
      assertThat(fullOnly.height()).isEqualTo(3);
    }
  }

  @Test
  void aNewIncrementalBuildsOnAFormatOneFullArchive() {
    Random r = new Random(20);
    try (MerkleDB db = fixtureStore(r)) {
      MerkleTestSupport.churnRandom(db, new Random(1), 30);
      SnapshotArchive next =
          new SnapshotWriter(SnapshotConfig.defaults().withChunkSize(2048))
              .writeIncremental(db, db.revision(), full, tmp.resolve("arch"));
      assertThat(next.manifest().format()).isEqualTo(Manifest.FORMAT_FRAME_PER_CHUNK);
      assertThat(next.manifest().base().orElseThrow().snapshotHash())
          .isEqualTo(ArchiveName.parse(FULL).orElseThrow().hash());
      RestoreResult res =
          new SnapshotRestorer(MerkleTestSupport.diskConfig())
              .restore(
                  full, Optional.of(next.path()), tmp.resolve("state"), Optional.of(db.root()));
      assertThat(res.root()).isEqualTo(db.root());
    }
  }

  @Test
  void theirChunksCannotBeReadOneByOne() {
    assertThatThrownBy(() -> ArchiveChunks.open(full).close())
        .isInstanceOfSatisfying(
            FerryException.class, e -> assertThat(e.code()).isEqualTo(ErrorCode.UNSUPPORTED))
        .hasMessageContaining("format 1")
        .hasMessageContaining("re-create it");
    Manifest m = SnapshotReader.readManifest(full);
    assertThatThrownBy(() -> ChunkFrames.payload(m, 0, new byte[10]))
        .isInstanceOfSatisfying(
            FerryException.class, e -> assertThat(e.code()).isEqualTo(ErrorCode.UNSUPPORTED));
    assertThatThrownBy(
            () -> ArchiveAssembler.defaults().assemble(m, i -> new byte[0], tmp.resolve("out")))
        .isInstanceOfSatisfying(
            FerryException.class, e -> assertThat(e.code()).isEqualTo(ErrorCode.UNSUPPORTED));
  }
}
