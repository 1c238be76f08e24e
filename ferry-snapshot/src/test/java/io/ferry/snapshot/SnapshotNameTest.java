package io.ferry.snapshot;

import static org.assertj.core.api.Assertions.assertThat;

import io.ferry.core.Hash;
import net.jqwik.api.ForAll;
import net.jqwik.api.Property;
import net.jqwik.api.constraints.LongRange;
import net.jqwik.api.constraints.Size;
import org.junit.jupiter.api.Test;

class SnapshotNameTest {
  private static final Hash H =
      Hash.fromHex("0c7a3f1d5e6b2a9d8c4f0e1b3a5d7c9e2f4a6b8c0d1e3f5a7b9c1d3e5f7a9b1c");

  @Test
  void agaveNames() {
    assertThat(SnapshotName.full(123, H).fileName())
        .isEqualTo("snapshot-123-" + H.toBase58() + ".tar.zst");
    assertThat(SnapshotName.incremental(100, 150, H).fileName())
        .isEqualTo("incremental-snapshot-100-150-" + H.toBase58() + ".tar.zst");
    assertThat(SnapshotName.parse("snapshot-123-" + H.toBase58() + ".tar.zst"))
        .contains(SnapshotName.full(123, H));
    assertThat(SnapshotName.parse("incremental-snapshot-100-150-" + H.toBase58() + ".tar.zst"))
        .contains(SnapshotName.incremental(100, 150, H));
  }

  @Test
  void nonCanonicalOrForeignNamesDoNotParse() {
    String b58 = H.toBase58();
    assertThat(SnapshotName.parse("snapshot-0123-" + b58 + ".tar.zst")).isEmpty();
    assertThat(SnapshotName.parse("snapshot-123-" + b58 + ".tar.bz2")).isEmpty();
    assertThat(SnapshotName.parse("snapshot-123-" + b58 + "0.tar.zst")).isEmpty();
    assertThat(SnapshotName.parse("snapshot-99999999999999999999-" + b58 + ".tar.zst")).isEmpty();
    assertThat(SnapshotName.parse("incremental-snapshot-150-100-" + b58 + ".tar.zst")).isEmpty();
    assertThat(SnapshotName.parse("incremental-snapshot-100-100-" + b58 + ".tar.zst")).isEmpty();
    assertThat(SnapshotName.parse(".snapshot-123.tmp")).isEmpty();
    assertThat(SnapshotName.parse("snapshot-1-1111.tar.zst")).isEmpty();
  }

  @Property(tries = 300)
  void namesRoundTrip(
      @ForAll @LongRange(min = 0, max = Long.MAX_VALUE - 1) long base,
      @ForAll @LongRange(min = 1, max = 1_000_000) long delta,
      @ForAll @Size(32) byte[] hash,
      @ForAll boolean full) {
    long height = base > Long.MAX_VALUE - delta ? Long.MAX_VALUE : base + delta;
    SnapshotName n =
        full
            ? SnapshotName.full(height, Hash.of(hash))
            : SnapshotName.incremental(base, height, Hash.of(hash));
    assertThat(SnapshotName.parse(n.fileName())).contains(n);
  }
}
