package io.ferry.node;

import static org.assertj.core.api.Assertions.assertThat;

import io.ferry.core.Hash;
import io.ferry.core.archive.ArchiveName;
import io.ferry.core.archive.SnapshotHashes;
import io.ferry.core.archive.SnapshotHashes.Slot;
import io.ferry.http.ArchiveDirectory;
import io.ferry.snapshot.ArchiveFile;
import io.ferry.snapshot.LatestSnapshots;
import io.ferry.snapshot.SnapshotArchives;
import java.io.IOException;
import java.io.UncheckedIOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.Comparator;
import java.util.List;
import java.util.Optional;
import java.util.stream.Stream;
import net.jqwik.api.Arbitraries;
import net.jqwik.api.Arbitrary;
import net.jqwik.api.Combinators;
import net.jqwik.api.ForAll;
import net.jqwik.api.Property;
import net.jqwik.api.Provide;

/**
 * The node's three readers of an archive directory pick the same newest archives: what it
 * advertises at start ({@link LatestSnapshots}), what the HTTP server redirects {@code
 * /snapshot.tar.zst} and {@code /incremental-snapshot.tar.zst} to ({@link ArchiveDirectory}), and
 * what ferry-snapshot reports ({@link SnapshotArchives}). A peer that reads the advertisement and
 * then downloads gets the archive it was told of.
 */
class AdvertisedIsServedProperties {
  @Property(tries = 200)
  void theThreeAgree(@ForAll("directories") List<ArchiveName> names) throws IOException {
    Path dir = Files.createTempDirectory("ferry-advertised");
    try {
      for (ArchiveName n : names) {
        Files.write(dir.resolve(n.fileName()), new byte[] {1});
      }
      ArchiveDirectory served = new ArchiveDirectory(dir);
      Optional<SnapshotHashes> advertised = LatestSnapshots.fromDirectory(dir).current();

      assertThat(advertised.map(SnapshotHashes::full))
          .isEqualTo(served.newestFull().map(Slot::of))
          .isEqualTo(SnapshotArchives.newestFull(dir).map(ArchiveFile::name).map(Slot::of));
      assertThat(advertised.flatMap(SnapshotHashes::newestIncremental))
          .isEqualTo(served.newestIncremental().map(Slot::of))
          .isEqualTo(SnapshotArchives.newestIncremental(dir).map(ArchiveFile::name).map(Slot::of));
    } finally {
      try (Stream<Path> files = Files.walk(dir)) {
        files.sorted(Comparator.reverseOrder()).forEach(AdvertisedIsServedProperties::delete);
      }
    }
  }

  private static void delete(Path p) {
    try {
      Files.delete(p);
    } catch (IOException e) {
      throw new UncheckedIOException(e);
    }
  }

  @Provide
  Arbitrary<List<ArchiveName>> directories() {
    Arbitrary<Hash> hashes =
        Arbitraries.integers().between(0, 3).map(i -> Hash.wrap(filled(i.byteValue())));
    Arbitrary<ArchiveName> fulls =
        Combinators.combine(Arbitraries.longs().between(0, 20), hashes).as(ArchiveName::full);
    Arbitrary<ArchiveName> incs =
        Combinators.combine(
                Arbitraries.longs().between(0, 19), Arbitraries.longs().between(1, 10), hashes)
            .as((base, ahead, h) -> ArchiveName.incremental(base, base + ahead, h));
    return Arbitraries.oneOf(fulls, incs).list().ofMaxSize(12);
  }

  private static byte[] filled(byte b) {
    byte[] out = new byte[Hash.LENGTH];
    java.util.Arrays.fill(out, b);
    return out;
  }
}
