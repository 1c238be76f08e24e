package io.ferry.http;

import static org.assertj.core.api.Assertions.assertThat;

import org.junit.jupiter.api.Test;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.ValueSource;

class ArchiveNameTest {
  static final String HASH = "7GsLmPq8xVbW3zYkR2nJcT5dFhA9uE4sQ1wXyZpN6mK";

  @Test
  void parsesFullAndIncrementalNames() {
    ArchiveName full = ArchiveName.parse("snapshot-100-" + HASH + ".tar.zst").orElseThrow();
    assertThat(full.isIncremental()).isFalse();
    assertThat(full.height()).isEqualTo(100);
    assertThat(full.hash()).isEqualTo(HASH);
    assertThat(full.extension()).isEqualTo("tar.zst");
    assertThat(full.fileName()).isEqualTo("snapshot-100-" + HASH + ".tar.zst");

    ArchiveName inc =
        ArchiveName.parse("incremental-snapshot-100-150-" + HASH + ".tar.bz2").orElseThrow();
    assertThat(inc.isIncremental()).isTrue();
    assertThat(inc.baseHeight()).isEqualTo(100);
    assertThat(inc.height()).isEqualTo(150);
    assertThat(inc.fileName()).isEqualTo("incremental-snapshot-100-150-" + HASH + ".tar.bz2");

    assertThat(ArchiveName.parse("snapshot-0-" + HASH + ".tar.gz")).isPresent();
    assertThat(ArchiveName.parse("snapshot-9223372036854775807-" + HASH + ".tar.gz")).isPresent();
  }

  @ParameterizedTest
  @ValueSource(
      strings = {
        "",
        "snapshot.tar.zst",
        "snapshot-100.tar.zst",
        "snapshot-100-" + HASH + ".tar",
        "snapshot-100-" + HASH + ".tar.zst.tmp",
        "snapshot-100-" + HASH + ".zip",
        "snapshot-0100-" + HASH + ".tar.zst",
        "snapshot--1-" + HASH + ".tar.zst",
        "snapshot-+1-" + HASH + ".tar.zst",
        "snapshot-9223372036854775808-" + HASH + ".tar.zst",
        "snapshot-100-0OIl.tar.zst",
        "snapshot-100-" + HASH + "/.tar.zst",
        "../snapshot-100-" + HASH + ".tar.zst",
        "snapshot-100-..tar.zst",
        "incremental-snapshot-150-100-" + HASH + ".tar.zst",
        "incremental-snapshot-100-100-" + HASH + ".tar.zst",
        "incremental-snapshot-150-" + HASH + ".tar.zst",
        "Snapshot-100-" + HASH + ".tar.zst",
      })
  void refusesEverythingElse(String name) {
    assertThat(ArchiveName.parse(name)).isEmpty();
  }
}
