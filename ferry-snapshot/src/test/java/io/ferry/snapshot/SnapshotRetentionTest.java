package io.ferry.snapshot;

import static org.assertj.core.api.Assertions.assertThat;

import io.ferry.core.Hash;
import io.ferry.core.Sha256Hasher;
import io.ferry.core.archive.ArchiveName;
import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;
import java.util.Set;
import java.util.stream.Collectors;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/** Listing and retention read names only, so files with archive names stand in for archives. */
class SnapshotRetentionTest {
  @TempDir Path dir;

  private static Hash hash(long n) {
    return Sha256Hasher.INSTANCE.hash(Long.toString(n).getBytes());
  }

  private Path full(long h) throws IOException {
    return Files.write(dir.resolve(ArchiveName.full(h, hash(h)).fileName()), new byte[(int) h]);
  }

  private Path inc(long base, long h) throws IOException {
    return Files.write(
        dir.resolve(ArchiveName.incremental(base, h, hash(h)).fileName()), new byte[] {1});
  }

  private Set<String> names() {
    return SnapshotArchives.list(dir).stream()
        .map(a -> a.name().fileName())
        .collect(Collectors.toSet());
  }

  @Test
  void listsNewestFirstAndFindsTheNewest() throws IOException {
    full(100);
    full(300);
    full(200);
    inc(300, 350);
    inc(300, 320);
    inc(200, 400); // on an older full: not what /incremental-snapshot redirects to
    Files.writeString(dir.resolve(".snapshot-123.tmp"), "partial");
    Files.writeString(dir.resolve("notes.txt"), "x");
    // An Agave archive of another compression: a valid name, but not one Ferry reads or deletes.
    Files.writeString(dir.resolve("snapshot-900-" + hash(900).toBase58() + ".tar.bz2"), "x");

    List<ArchiveFile> all = SnapshotArchives.list(dir);
    assertThat(all)
        .extracting(ArchiveFile::height)
        .containsExactly(400L, 350L, 320L, 300L, 200L, 100L);
    assertThat(all.get(3).bytes()).isEqualTo(300);
    assertThat(all.get(3).hash()).isEqualTo(hash(300));
    assertThat(SnapshotArchives.newestFull(dir).orElseThrow().height()).isEqualTo(300);
    assertThat(SnapshotArchives.newestIncremental(dir).orElseThrow().height()).isEqualTo(350);
    assertThat(SnapshotArchives.list(dir.resolve("missing"))).isEmpty();
  }

  @Test
  void keepsExactlyTheNewestNFullAndMIncremental() throws IOException {
    for (long h = 100; h <= 500; h += 100) {
      full(h);
      for (long i = 10; i <= 50; i += 10) {
        inc(h, h + i);
      }
    }
    List<ArchiveFile> deleted = new SnapshotRetention(2, 4).apply(dir);

    assertThat(names())
        .containsExactlyInAnyOrder(
            ArchiveName.full(500, hash(500)).fileName(),
            ArchiveName.full(400, hash(400)).fileName(),
            ArchiveName.incremental(500, 550, hash(550)).fileName(),
            ArchiveName.incremental(500, 540, hash(540)).fileName(),
            ArchiveName.incremental(500, 530, hash(530)).fileName(),
            ArchiveName.incremental(500, 520, hash(520)).fileName());
    assertThat(deleted).hasSize(25 + 5 - 6);
    assertThat(new SnapshotRetention(2, 4).apply(dir)).isEmpty();
  }

  @Test
  void incrementalsWhoseBaseIsGoneAreDeleted() throws IOException {
    full(100);
    full(200);
    full(300);
    inc(100, 150); // its base goes
    inc(200, 250);
    inc(50, 60); // its base was never here
    new SnapshotRetention(2, 4).apply(dir);
    assertThat(names())
        .containsExactlyInAnyOrder(
            ArchiveName.full(300, hash(300)).fileName(),
            ArchiveName.full(200, hash(200)).fileName(),
            ArchiveName.incremental(200, 250, hash(250)).fileName());
  }

  @Test
  void anArchiveBeingReadStaysReadableAfterRetentionDeletesIt() throws IOException {
    Path old = full(100);
    full(200);
    full(300);
    try (var in = Files.newInputStream(old)) {
      new SnapshotRetention(2, 4).apply(dir);
      assertThat(old).doesNotExist();
      assertThat(in.readAllBytes()).hasSize(100);
    }
  }
}
