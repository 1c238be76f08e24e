package io.ferry.core.archive;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import io.ferry.core.ErrorCode;
import io.ferry.core.FerryException;
import io.ferry.core.Hash;
import io.ferry.core.Limits;
import io.ferry.core.archive.SnapshotHashes.Slot;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.List;
import java.util.stream.LongStream;
import org.junit.jupiter.api.Test;

class SnapshotHashesTest {
  private static Slot slot(long height) {
    byte[] b = new byte[Hash.LENGTH];
    b[0] = (byte) height;
    b[1] = (byte) (height >> 8);
    return new Slot(height, Hash.of(b));
  }

  private static List<Slot> slots(long... heights) {
    return Arrays.stream(heights).mapToObj(SnapshotHashesTest::slot).toList();
  }

  @Test
  void aFullSnapshotWithAscendingIncrementalsAboveIt() {
    SnapshotHashes h = new SnapshotHashes(slot(100), slots(110, 120, 150));
    assertThat(h.newestIncremental()).contains(slot(150));
    assertThat(SnapshotHashes.of(slot(100)).incrementals()).isEmpty();
    assertThat(SnapshotHashes.of(slot(100)).newestIncremental()).isEmpty();
    assertThat(SnapshotHashes.of(slot(100), slot(101)).incrementals()).containsExactly(slot(101));
  }

  @Test
  void aSlotIsTheHeightAndHashOfAnArchiveName() {
    Hash hash = slot(7).hash();
    assertThat(Slot.of(ArchiveName.full(7, hash))).isEqualTo(new Slot(7, hash));
    assertThat(Slot.of(ArchiveName.incremental(3, 7, hash))).isEqualTo(new Slot(7, hash));
  }

  @Test
  void incrementalsAreCopied() {
    List<Slot> incs = new ArrayList<>(slots(110));
    SnapshotHashes h = new SnapshotHashes(slot(100), incs);
    incs.add(slot(120));
    assertThat(h.incrementals()).containsExactly(slot(110));
  }

  @Test
  void refusesAnIncrementalNotAboveTheFull() {
    assertInvalid(() -> new SnapshotHashes(slot(100), slots(100)));
    assertInvalid(() -> new SnapshotHashes(slot(100), slots(99)));
    assertInvalid(() -> new SnapshotHashes(slot(100), slots(150, 90)));
  }

  @Test
  void refusesIncrementalsOutOfOrderOrRepeated() {
    assertInvalid(() -> new SnapshotHashes(slot(100), slots(120, 110)));
    assertInvalid(() -> new SnapshotHashes(slot(100), slots(110, 110)));
    // One height twice, even with two hashes.
    Slot other = new Slot(110, slot(111).hash());
    assertInvalid(() -> new SnapshotHashes(slot(100), List.of(slot(110), other)));
  }

  @Test
  void refusesMissingParts() {
    assertInvalid(() -> new SnapshotHashes(null, List.of()));
    assertInvalid(() -> new SnapshotHashes(slot(1), null));
    assertInvalid(() -> new SnapshotHashes(slot(1), Arrays.asList(slot(2), null)));
    assertInvalid(() -> new Slot(-1, slot(1).hash()));
    assertInvalid(() -> new Slot(1, null));
  }

  @Test
  void atMostTheLimitOfIncrementals() {
    int max = Limits.MAX_INCREMENTAL_SNAPSHOT_HASHES;
    List<Slot> full = LongStream.rangeClosed(1, max).mapToObj(h -> slot(100 + h)).toList();
    assertThat(new SnapshotHashes(slot(100), full).incrementals()).hasSize(max);
    List<Slot> over = LongStream.rangeClosed(1, max + 1).mapToObj(h -> slot(100 + h)).toList();
    assertThatThrownBy(() -> new SnapshotHashes(slot(100), over))
        .isInstanceOfSatisfying(
            FerryException.class, e -> assertThat(e.code()).isEqualTo(ErrorCode.LIMIT_EXCEEDED))
        .hasMessageContaining("MAX_INCREMENTAL_SNAPSHOT_HASHES");
  }

  private static void assertInvalid(Runnable r) {
    assertThatThrownBy(r::run)
        .isInstanceOfSatisfying(
            FerryException.class, e -> assertThat(e.code()).isEqualTo(ErrorCode.INVALID_ARGUMENT));
  }
}
