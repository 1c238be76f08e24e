package io.ferry.snapshot;

import static io.ferry.snapshot.LatestSnapshotsTest.full;
import static io.ferry.snapshot.LatestSnapshotsTest.inc;
import static org.assertj.core.api.Assertions.assertThat;

import io.ferry.core.archive.ArchiveName;
import io.ferry.core.archive.SnapshotHashes;
import io.ferry.core.archive.SnapshotHashes.Slot;
import java.util.ArrayList;
import java.util.Comparator;
import java.util.List;
import java.util.Optional;
import net.jqwik.api.Arbitraries;
import net.jqwik.api.Arbitrary;
import net.jqwik.api.Combinators;
import net.jqwik.api.ForAll;
import net.jqwik.api.Property;
import net.jqwik.api.Provide;
import net.jqwik.api.Tuple;

class LatestSnapshotsProperties {
  /**
   * After every push, in any order of archives, the view is the model's: the highest full archive
   * pushed, and the highest incremental on it pushed since it came (one that came before its full
   * archive was ignored then). A push returns whether the view changed, and the listener hears
   * exactly the changed views, in order.
   */
  @Property(tries = 500)
  void theViewIsTheNewestFullAndTheNewestIncrementalOnIt(
      @ForAll("pushes") List<ArchiveName> pushes) {
    LatestSnapshots latest = new LatestSnapshots();
    List<SnapshotHashes> told = new ArrayList<>();
    latest.addListener(told::add);
    List<ArchiveName> pushed = new ArrayList<>();
    List<SnapshotHashes> changes = new ArrayList<>();
    Optional<SnapshotHashes> before = Optional.empty();
    for (ArchiveName a : pushes) {
      boolean changed = latest.push(a);
      pushed.add(a);
      Optional<SnapshotHashes> expected = model(pushed);
      assertThat(latest.current()).isEqualTo(expected);
      assertThat(changed).isEqualTo(!expected.equals(before));
      if (changed) {
        changes.add(expected.orElseThrow());
      }
      // The rules, seen from the view: one incremental at most, above its full one.
      expected.ifPresent(v -> assertThat(v.incrementals()).hasSizeLessThanOrEqualTo(1));
      before = expected;
    }
    assertThat(told).isEqualTo(changes);
  }

  /**
   * The model, by heights and order alone (one archive per kind, base and height, so no ties): the
   * highest full archive, and the highest incremental on it among those pushed after it.
   */
  private static Optional<SnapshotHashes> model(List<ArchiveName> pushed) {
    Optional<ArchiveName> full =
        pushed.stream().filter(ArchiveName::isFull).max(Comparator.comparingLong(a -> a.height()));
    return full.map(
        f ->
            new SnapshotHashes(
                Slot.of(f),
                pushed.subList(pushed.indexOf(f), pushed.size()).stream()
                    .filter(a -> a.baseHeight() == f.height())
                    .max(Comparator.comparingLong(ArchiveName::height))
                    .map(Slot::of)
                    .stream()
                    .toList()));
  }

  @Provide
  Arbitrary<List<ArchiveName>> pushes() {
    Arbitrary<ArchiveName> fulls =
        Arbitraries.longs().between(0, 30).map(LatestSnapshotsTest::full);
    Arbitrary<ArchiveName> incs =
        Combinators.combine(Arbitraries.longs().between(0, 29), Arbitraries.longs().between(1, 10))
            .as((base, ahead) -> inc(base, base + ahead));
    // More incrementals than fulls, as a scheduler makes them; fulls now and then move the base.
    return Arbitraries.frequencyOf(Tuple.of(1, fulls), Tuple.of(3, incs)).list().ofMaxSize(40);
  }

  @Property(tries = 100)
  void aScheduleInHeightOrderAdvertisesEachArchiveAsItComes(
      @ForAll("schedules") List<ArchiveName> schedule) {
    // What a node's scheduler does: heights ascend, each incremental on the latest full.
    LatestSnapshots latest = new LatestSnapshots();
    for (ArchiveName a : schedule) {
      assertThat(latest.push(a)).isTrue();
      SnapshotHashes v = latest.current().orElseThrow();
      assertThat(a.isFull() ? v.full() : v.newestIncremental().orElseThrow()).isEqualTo(Slot.of(a));
    }
  }

  @Provide
  Arbitrary<List<ArchiveName>> schedules() {
    return Arbitraries.of(true, false)
        .list()
        .ofMaxSize(30)
        .map(
            kinds -> {
              List<ArchiveName> out = new ArrayList<>();
              long base = 0;
              out.add(full(0));
              for (int i = 0; i < kinds.size(); i++) {
                long h = i + 1;
                if (kinds.get(i)) {
                  out.add(full(h));
                  base = h;
                } else {
                  out.add(inc(base, h));
                }
              }
              return out;
            });
  }
}
