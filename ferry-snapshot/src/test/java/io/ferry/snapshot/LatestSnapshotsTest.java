package io.ferry.snapshot;

import static org.assertj.core.api.Assertions.assertThat;

import io.ferry.core.Hash;
import io.ferry.core.archive.ArchiveName;
import io.ferry.core.archive.SnapshotHashes;
import io.ferry.core.archive.SnapshotHashes.Slot;
import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

class LatestSnapshotsTest {
  @TempDir Path tmp;

  static Hash hash(long base, long height) {
    byte[] b = new byte[Hash.LENGTH];
    for (int i = 0; i < 8; i++) {
      b[i] = (byte) (height >>> (8 * i));
      b[8 + i] = (byte) ((base + 1) >>> (8 * i));
    }
    return Hash.of(b);
  }

  static ArchiveName full(long height) {
    return ArchiveName.full(height, hash(-1, height));
  }

  static ArchiveName inc(long base, long height) {
    return ArchiveName.incremental(base, height, hash(base, height));
  }

  static SnapshotHashes view(ArchiveName full, ArchiveName... incrementals) {
    List<Slot> incs = new ArrayList<>();
    for (ArchiveName i : incrementals) {
      incs.add(Slot.of(i));
    }
    return new SnapshotHashes(Slot.of(full), incs);
  }

  @Test
  void agavesRules() {
    LatestSnapshots latest = new LatestSnapshots();
    List<SnapshotHashes> told = new ArrayList<>();
    latest.addListener(told::add);
    assertThat(told).isEmpty(); // nothing to advertise yet

    assertThat(latest.push(inc(100, 150))).isFalse(); // no full archive yet
    assertThat(latest.current()).isEmpty();

    assertThat(latest.push(full(100))).isTrue();
    assertThat(latest.push(inc(100, 150))).isTrue();
    assertThat(latest.current()).contains(view(full(100), inc(100, 150)));
    // A newer incremental replaces it: one incremental, the newest.
    assertThat(latest.push(inc(100, 170))).isTrue();
    assertThat(latest.current()).contains(view(full(100), inc(100, 170)));
    // A new full replaces the full and clears the incremental.
    assertThat(latest.push(full(200))).isTrue();
    assertThat(latest.current()).contains(view(full(200)));
    // A newer incremental on the older full is not advertised.
    assertThat(latest.push(inc(100, 250))).isFalse();
    assertThat(latest.push(inc(200, 210))).isTrue();

    assertThat(told)
        .containsExactly(
            view(full(100)),
            view(full(100), inc(100, 150)),
            view(full(100), inc(100, 170)),
            view(full(200)),
            view(full(200), inc(200, 210)));
  }

  @Test
  void neverGoesBack() {
    LatestSnapshots latest = new LatestSnapshots();
    latest.push(full(200));
    latest.push(inc(200, 250));
    assertThat(latest.push(full(100))).isFalse();
    assertThat(latest.push(inc(200, 220))).isFalse();
    assertThat(latest.push(inc(200, 250))).isFalse(); // the same one again changes nothing
    assertThat(latest.push(full(200))).isFalse();
    assertThat(latest.current()).contains(view(full(200), inc(200, 250)));
  }

  @Test
  void anotherFullOfTheSameHeightReplacesItOnlyIfNewestFirstPrefersIt() {
    // Two archives of one state at one height differ only when made with other settings; the one
    // advertised is the one the HTTP server redirects to (ArchiveName.NEWEST_FIRST), and an
    // incremental's name cannot say which of the two it builds on, so it goes.
    ArchiveName a = ArchiveName.full(100, hash(7, 100));
    ArchiveName b = ArchiveName.full(100, hash(8, 100));
    ArchiveName first = ArchiveName.NEWEST_FIRST.compare(a, b) < 0 ? a : b;
    ArchiveName second = first == a ? b : a;
    LatestSnapshots latest = new LatestSnapshots();
    latest.push(second);
    latest.push(inc(100, 150));
    assertThat(latest.push(first)).isTrue();
    assertThat(latest.current()).contains(view(first));
    assertThat(latest.push(second)).isFalse();
  }

  @Test
  void aListenerAddedLaterGetsTheViewAtOnceAndAFailingOneHarmsNoOther() {
    LatestSnapshots latest = new LatestSnapshots();
    latest.push(full(100));
    latest.addListener(
        v -> {
          throw new IllegalStateException("a broken listener");
        });
    List<SnapshotHashes> told = new ArrayList<>();
    latest.addListener(told::add);
    assertThat(told).containsExactly(view(full(100)));
    assertThat(latest.push(inc(100, 120))).isTrue();
    assertThat(told).containsExactly(view(full(100)), view(full(100), inc(100, 120)));
    assertThat(latest.current()).contains(view(full(100), inc(100, 120)));
  }

  @Test
  void startsFromTheNewestArchivesInTheDirectory() throws IOException {
    Path dir = Files.createDirectory(tmp.resolve("archives"));
    for (ArchiveName n :
        List.of(full(100), inc(100, 300), full(200), inc(200, 220), inc(200, 250))) {
      Files.createFile(dir.resolve(n.fileName()));
    }
    // Neither a writer's temporary file nor an archive Ferry does not write counts.
    Files.createFile(dir.resolve("snapshot-900-" + hash(-1, 900).toBase58() + ".tar.zst.tmp"));
    Files.createFile(dir.resolve("snapshot-800-" + hash(-1, 800).toBase58() + ".tar.bz2"));
    assertThat(LatestSnapshots.fromDirectory(dir).current())
        .contains(view(full(200), inc(200, 250)));

    // Only an incremental on an older full: the full archive alone.
    Files.delete(dir.resolve(inc(200, 220).fileName()));
    Files.delete(dir.resolve(inc(200, 250).fileName()));
    assertThat(LatestSnapshots.fromDirectory(dir).current()).contains(view(full(200)));

    assertThat(LatestSnapshots.fromDirectory(tmp.resolve("absent")).current()).isEmpty();
  }
}
