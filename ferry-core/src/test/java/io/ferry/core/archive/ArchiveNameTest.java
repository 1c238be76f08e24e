package io.ferry.core.archive;

import static org.assertj.core.api.Assertions.assertThat;

import io.ferry.core.Hash;
import net.jqwik.api.ForAll;
import net.jqwik.api.Property;
import net.jqwik.api.constraints.LongRange;
import net.jqwik.api.constraints.Size;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.ValueSource;

class ArchiveNameTest {
  private static final Hash H =
      Hash.fromHex("0c7a3f1d5e6b2a9d8c4f0e1b3a5d7c9e2f4a6b8c0d1e3f5a7b9c1d3e5f7a9b1c");
  private static final String B58 = H.toBase58();

  @Test
  void agaveNames() {
    assertThat(ArchiveName.full(123, H).fileName()).isEqualTo("snapshot-123-" + B58 + ".tar.zst");
    assertThat(ArchiveName.incremental(100, 150, H).fileName())
        .isEqualTo("incremental-snapshot-100-150-" + B58 + ".tar.zst");
    assertThat(ArchiveName.parse("snapshot-123-" + B58 + ".tar.zst"))
        .contains(ArchiveName.full(123, H));
    assertThat(ArchiveName.parse("incremental-snapshot-100-150-" + B58 + ".tar.zst"))
        .contains(ArchiveName.incremental(100, 150, H));
  }

  @Test
  void parsesEveryAgaveExtension() {
    ArchiveName inc =
        ArchiveName.parse("incremental-snapshot-100-150-" + B58 + ".tar.bz2").orElseThrow();
    assertThat(inc.isIncremental()).isTrue();
    assertThat(inc.baseHeight()).isEqualTo(100);
    assertThat(inc.height()).isEqualTo(150);
    assertThat(inc.hash()).isEqualTo(H);
    assertThat(inc.extension()).isEqualTo("tar.bz2");
    assertThat(inc.fileName()).isEqualTo("incremental-snapshot-100-150-" + B58 + ".tar.bz2");
    assertThat(ArchiveName.parse("snapshot-0-" + B58 + ".tar.gz")).isPresent();
    assertThat(ArchiveName.parse("snapshot-9223372036854775807-" + B58 + ".tar.gz")).isPresent();
  }

  @ParameterizedTest
  @ValueSource(
      strings = {
        "",
        "snapshot.tar.zst",
        "snapshot-100.tar.zst",
        "snapshot-100-HASH.tar",
        "snapshot-100-HASH.tar.zst.tmp",
        "snapshot-100-HASH.zip",
        "snapshot-0100-HASH.tar.zst",
        "snapshot--1-HASH.tar.zst",
        "snapshot-+1-HASH.tar.zst",
        "snapshot-9223372036854775808-HASH.tar.zst",
        "snapshot-99999999999999999999-HASH.tar.zst",
        "snapshot-100-0OIl.tar.zst",
        "snapshot-1-1111.tar.zst",
        "snapshot-100-HASH0.tar.zst",
        "snapshot-100-HASH/.tar.zst",
        "../snapshot-100-HASH.tar.zst",
        "snapshot-100-..tar.zst",
        ".snapshot-123.tmp",
        "incremental-snapshot-150-100-HASH.tar.zst",
        "incremental-snapshot-100-100-HASH.tar.zst",
        "incremental-snapshot-150-HASH.tar.zst",
        "Snapshot-100-HASH.tar.zst",
      })
  void refusesEverythingElse(String name) {
    assertThat(ArchiveName.parse(name.replace("HASH", B58))).isEmpty();
  }

  @Property(tries = 300)
  void namesRoundTrip(
      @ForAll @LongRange(min = 0, max = Long.MAX_VALUE - 1) long base,
      @ForAll @LongRange(min = 1, max = 1_000_000) long delta,
      @ForAll @Size(32) byte[] hash,
      @ForAll boolean full) {
    long height = base > Long.MAX_VALUE - delta ? Long.MAX_VALUE : base + delta;
    ArchiveName n =
        full
            ? ArchiveName.full(height, Hash.of(hash))
            : ArchiveName.incremental(base, height, Hash.of(hash));
    assertThat(ArchiveName.parse(n.fileName())).contains(n);
  }
}
