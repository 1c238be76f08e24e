package io.ferry.snapshot;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import io.ferry.core.ErrorCode;
import io.ferry.core.FerryException;
import io.ferry.merkledb.MerkleDB;
import io.ferry.merkledb.MerkleTestSupport;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;
import java.util.Optional;
import java.util.Random;
import java.util.UUID;
import java.util.stream.Stream;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;
import org.junit.jupiter.api.io.TempDir;

/**
 * What killed archive writes and restores leave behind is removed by the next write, restore or
 * node start, and nothing else: not archives, not look-alike names, not files a live write or
 * restore (here or in another process) holds.
 */
@Timeout(120)
class LeftoversTest {
  @TempDir Path tmp;

  private Path archives;
  private SnapshotArchive archive;

  @BeforeEach
  void anArchive() {
    archives = tmp.resolve("archives");
    try (MerkleDB db = MerkleTestSupport.openDb(tmp.resolve("src"))) {
      MerkleTestSupport.fillRandom(db, new Random(3), 2_000, 1_000);
      archive =
          new SnapshotWriter(SnapshotConfig.defaults().withChunkSize(16 << 10))
              .writeFull(db, archives);
    }
  }

  private static Path file(Path p, int bytes) throws Exception {
    Files.createDirectories(p.getParent());
    return Files.write(p, new byte[bytes]);
  }

  private static List<String> names(Path dir) throws Exception {
    try (Stream<Path> s = Files.list(dir)) {
      return s.map(p -> p.getFileName().toString()).sorted().toList();
    }
  }

  @Test
  void leftoversOfKilledArchiveWritesAreRemovedAndNothingElse() throws Exception {
    byte[] archiveBytes = Files.readAllBytes(archive.path());
    Path spool = file(archives.resolve(".snapshot-8212873012.spool"), 1 << 20);
    Path tar = file(archives.resolve(".snapshot-42.tmp"), 1 << 16);
    List<String> lookAlikes =
        List.of(
            ".snapshot-12a.tmp",
            "snapshot-9.tmp",
            ".snapshot-1.tmp.keep",
            ".snapshot-.spool",
            "x.snapshot-3.spool");
    for (String n : lookAlikes) {
      file(archives.resolve(n), 10);
    }
    Files.createDirectories(archives.resolve(".snapshot-7.tmp")); // a directory: not ours
    Path outside = file(tmp.resolve("outside"), 10);
    Files.createSymbolicLink(archives.resolve(".snapshot-8.tmp"), outside);

    assertThat(SnapshotWriter.removeLeftovers(archives)).containsExactlyInAnyOrder(spool, tar);

    assertThat(names(archives))
        .containsExactlyInAnyOrder(
            archive.name().fileName(),
            ".snapshot-12a.tmp",
            "snapshot-9.tmp",
            ".snapshot-1.tmp.keep",
            ".snapshot-.spool",
            "x.snapshot-3.spool",
            ".snapshot-7.tmp",
            ".snapshot-8.tmp");
    assertThat(outside).exists();
    assertThat(Files.readAllBytes(archive.path())).isEqualTo(archiveBytes);
    assertThat(SnapshotWriter.removeLeftovers(tmp.resolve("absent"))).isEmpty();
  }

  @Test
  void theNextArchiveWriteRemovesThem() throws Exception {
    Path spool = file(archives.resolve(".snapshot-5.spool"), 1 << 16);
    try (MerkleDB db = MerkleTestSupport.openDb(tmp.resolve("src"))) {
      new SnapshotWriter(SnapshotConfig.defaults()).writeFull(db, archives);
    }
    assertThat(spool).doesNotExist();
    assertThat(archive.path()).exists();
  }

  @Test
  void filesOfLiveWritesStay() throws Exception {
    // In this process: a spool being filled.
    try (ChunkSpool live = new ChunkSpool(archives, 1024, 3)) {
      List<String> before = names(archives);
      assertThat(before).anyMatch(n -> ArchiveTempFile.NAME.matcher(n).matches());
      assertThat(SnapshotWriter.removeLeftovers(archives)).isEmpty();
      assertThat(names(archives)).isEqualTo(before);
    }
    assertThat(names(archives)).containsExactly(archive.name().fileName());
    // In another process: a tar being written.
    Path tar = archives.resolve(".snapshot-77.tmp");
    Process holder = LockHolder.hold(tar);
    try {
      assertThat(SnapshotWriter.removeLeftovers(archives)).isEmpty();
      assertThat(tar).exists();
    } finally {
      LockHolder.release(holder);
    }
    assertThat(SnapshotWriter.removeLeftovers(archives)).containsExactly(tar);
  }

  @Test
  void aRestoreRemovesTheTemporaryDirectoriesOfKilledRestoresIntoItsTarget() throws Exception {
    Path data = tmp.resolve("data");
    Path leftover = data.resolve(".state.restore-" + UUID.randomUUID());
    file(leftover.resolve("000007.sst"), 1 << 20);
    Path notAUuid = Files.createDirectories(data.resolve(".state.restore-1234"));
    Path otherTarget = Files.createDirectories(data.resolve(".other.restore-" + UUID.randomUUID()));
    Path fileNotDir = file(data.resolve(".state.restore-" + UUID.randomUUID()), 10);

    RestoreResult r =
        new SnapshotRestorer(MerkleTestSupport.diskConfig())
            .restore(archive.path(), Optional.empty(), data.resolve("state"), Optional.empty());

    assertThat(r.root()).isEqualTo(archive.manifest().root());
    assertThat(leftover).doesNotExist();
    assertThat(notAUuid).isDirectory();
    assertThat(otherTarget).isDirectory();
    assertThat(fileNotDir).isRegularFile();
    assertThat(data.resolve("state")).isDirectory();
  }

  @Test
  void theDirectoryOfARestoreInProgressStays() throws Exception {
    Path data = tmp.resolve("data");
    Path target = data.resolve("state");
    Path live = Files.createDirectories(data.resolve(".state.restore-" + UUID.randomUUID()));
    SnapshotRestorer restorer = new SnapshotRestorer(MerkleTestSupport.diskConfig());

    // In this process.
    try (RestoreLock held = RestoreLock.tryAcquire(target).orElseThrow()) {
      assertThat(SnapshotRestorer.removeLeftovers(target)).isEmpty();
      assertThatThrownBy(
              () -> restorer.restore(archive.path(), Optional.empty(), target, Optional.empty()))
          .isInstanceOfSatisfying(
              FerryException.class, e -> assertThat(e.code()).isEqualTo(ErrorCode.ILLEGAL_STATE))
          .hasMessageContaining("another restore");
      assertThat(live).isDirectory();
    }
    // In another process.
    Process holder = LockHolder.hold(data.resolve(".state.restore.lock"));
    try {
      assertThat(SnapshotRestorer.removeLeftovers(target)).isEmpty();
      assertThatThrownBy(
              () -> restorer.restore(archive.path(), Optional.empty(), target, Optional.empty()))
          .isInstanceOf(FerryException.class)
          .hasMessageContaining("another restore");
      assertThat(live).isDirectory();
    } finally {
      LockHolder.release(holder);
    }
    assertThat(SnapshotRestorer.removeLeftovers(target)).containsExactly(live);
    assertThat(target).doesNotExist();
  }
}
