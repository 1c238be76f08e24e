package io.ferry.snapshot;

import static org.assertj.core.api.Assertions.assertThat;

import io.ferry.core.archive.ArchiveName;
import io.ferry.core.archive.SnapshotHashes;
import io.ferry.merkledb.Batch;
import io.ferry.merkledb.MerkleDB;
import io.ferry.merkledb.MerkleTestSupport;
import io.ferry.merkledb.Revision;
import java.nio.file.Path;
import java.util.ArrayDeque;
import java.util.ArrayList;
import java.util.List;
import java.util.Optional;
import java.util.Queue;
import java.util.Random;
import java.util.concurrent.Executor;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

class SnapshotSchedulerTest {
  @TempDir Path tmp;

  /** Runs submitted work only when the test says so. */
  static final class ManualExecutor implements Executor {
    final Queue<Runnable> queue = new ArrayDeque<>();

    @Override
    public void execute(Runnable r) {
      queue.add(r);
    }

    void runAll() {
      Runnable r;
      while ((r = queue.poll()) != null) {
        r.run();
      }
    }
  }

  @Test
  void makesFullAndIncrementalArchivesOnScheduleOneAtATimeWithRetention() {
    Path dir = tmp.resolve("arch");
    ManualExecutor exec = new ManualExecutor();
    List<ArchiveName> handed = new ArrayList<>();
    LatestSnapshots latest = new LatestSnapshots();
    try (MerkleDB db = MerkleTestSupport.openDb(tmp.resolve("src"))) {
      SnapshotScheduler s =
          new SnapshotScheduler(
              db,
              dir,
              new SnapshotWriter(SnapshotConfig.defaults().withChunkSize(16 << 10)),
              new SnapshotRetention(2, 2),
              new SnapshotScheduler.Policy(10, 5),
              exec,
              a -> {
                handed.add(a.name());
                latest.push(a.name());
              });
      Random r = new Random(8);
      MerkleTestSupport.fillRandom(db, r, 500, 500);
      Revision atTen = null;
      for (int i = 2; i <= 10; i++) {
        Revision rev =
            db.commit(
                new io.ferry.merkledb.Batch()
                    .put(MerkleTestSupport.randomKey(r), MerkleTestSupport.randomValue(r, 30)));
        assertThat(s.onCommit(rev)).isEqualTo(i == 5 || i == 10);
        if (i == 5) {
          exec.runAll(); // no full yet: the incremental at 5 becomes a full
          assertThat(s.lastArchive().orElseThrow().name().isFull()).isTrue();
        }
        if (i == 10) {
          atTen = rev;
        }
      }
      // Commits go on before the job runs: the archive is still of height 10.
      Revision eleven =
          db.commit(
              new io.ferry.merkledb.Batch()
                  .put(MerkleTestSupport.randomKey(r), MerkleTestSupport.randomValue(r, 30)));
      assertThat(s.onCommit(eleven)).isFalse();
      assertThat(s.isRunning()).isTrue();
      exec.runAll();
      assertThat(s.isRunning()).isFalse();
      SnapshotArchive ten = s.lastArchive().orElseThrow();
      assertThat(ten.name().isFull()).isTrue();
      assertThat(ten.manifest().height()).isEqualTo(10);
      assertThat(ten.manifest().root()).isEqualTo(atTen.root());

      for (long h = 12; h <= 35; h++) {
        Revision rev =
            db.commit(
                new io.ferry.merkledb.Batch()
                    .put(MerkleTestSupport.randomKey(r), MerkleTestSupport.randomValue(r, 30)));
        boolean started = s.onCommit(rev);
        assertThat(started).isEqualTo(h == 15 || h == 25 || h == 30 || h == 35);
        if (h < 15 || h > 20) {
          exec.runAll(); // the job of 15 stays queued until after 20, whose full is skipped
        }
      }
      List<ArchiveFile> left = SnapshotArchives.list(dir);
      assertThat(left).extracting(ArchiveFile::height).containsExactly(35L, 30L, 25L, 10L);
      assertThat(left)
          .extracting(ArchiveFile::kind)
          .containsExactly(
              SnapshotKind.INCREMENTAL,
              SnapshotKind.FULL,
              SnapshotKind.INCREMENTAL,
              SnapshotKind.FULL);
      assertThat(left.get(0).name().baseHeight()).isEqualTo(30);
      assertThat(left.get(2).name().baseHeight()).isEqualTo(10);
      // Each archive went to the callback as it was made (15 on 10, though retention has dropped
      // it since), and the holder advertises the newest full and the incremental on it.
      assertThat(handed)
          .extracting(n -> n.baseHeight() + "-" + n.height())
          .containsExactly("-1-5", "-1-10", "10-15", "10-25", "-1-30", "30-35");
      assertThat(latest.current())
          .contains(
              SnapshotHashes.of(
                  SnapshotHashes.Slot.of(left.get(1).name()),
                  SnapshotHashes.Slot.of(left.get(0).name())));
      // The newest incremental restores onto its full to the state at height 35.
      ArchiveFile inc = SnapshotArchives.newestIncremental(dir).orElseThrow();
      ArchiveFile full = SnapshotArchives.newestFull(dir).orElseThrow();
      RestoreResult res =
          new SnapshotRestorer(MerkleTestSupport.diskConfig())
              .restore(full.path(), Optional.of(inc.path()), tmp.resolve("r"), Optional.empty());
      assertThat(res.height()).isEqualTo(35);
    }
  }

  @Test
  void anArchiveRetentionDeletesAtOnceIsNotHandedOn() {
    Path dir = tmp.resolve("arch");
    ManualExecutor exec = new ManualExecutor();
    List<ArchiveName> handed = new ArrayList<>();
    try (MerkleDB db = MerkleTestSupport.openDb(tmp.resolve("src"))) {
      SnapshotScheduler s =
          new SnapshotScheduler(
              db,
              dir,
              new SnapshotWriter(SnapshotConfig.defaults()),
              new SnapshotRetention(1, 0), // keeps no incremental
              new SnapshotScheduler.Policy(4, 2),
              exec,
              a -> handed.add(a.name()));
      Random r = new Random(9);
      MerkleTestSupport.fillRandom(db, r, 50, 50);
      for (int i = 2; i <= 6; i++) {
        s.onCommit(
            db.commit(
                new Batch()
                    .put(MerkleTestSupport.randomKey(r), MerkleTestSupport.randomValue(r, 30))));
        exec.runAll();
      }
      // 2 had no full below it (a full one), 4 is full, 6 an incremental on 4 that retention
      // deleted as soon as it was made: advertising it would promise a file that is gone.
      assertThat(s.lastArchive().orElseThrow().name().isIncremental()).isTrue();
      assertThat(handed).extracting(ArchiveName::height).containsExactly(2L, 4L);
      assertThat(handed).allMatch(ArchiveName::isFull);
      assertThat(SnapshotArchives.list(dir)).extracting(ArchiveFile::height).containsExactly(4L);
    }
  }
}
