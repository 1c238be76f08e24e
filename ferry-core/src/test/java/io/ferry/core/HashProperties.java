package io.ferry.core;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import java.util.Arrays;
import net.jqwik.api.Arbitraries;
import net.jqwik.api.Arbitrary;
import net.jqwik.api.ForAll;
import net.jqwik.api.Property;
import net.jqwik.api.Provide;
import net.jqwik.api.constraints.IntRange;

class HashProperties {
  @Provide
  Arbitrary<byte[]> hashBytes() {
    // Edge cases (all zero, all 0xff, leading zeros) come from jqwik's byte edge cases.
    return Arbitraries.bytes().array(byte[].class).ofSize(Hash.LENGTH);
  }

  @Property
  void hexRoundTrip(@ForAll("hashBytes") byte[] raw) {
    Hash h = Hash.of(raw);
    String hex = h.toHex();
    assertThat(hex).hasSize(64).matches("[0-9a-f]{64}");
    assertThat(Hash.fromHex(hex)).isEqualTo(h);
    assertThat(Hash.fromHex(hex.toUpperCase())).isEqualTo(h);
    assertThat(Hash.fromHex("0x" + hex)).isEqualTo(h);
    assertThat(Hash.fromHex(hex).toBytes()).isEqualTo(raw);
  }

  @Property
  void base58RoundTrip(@ForAll("hashBytes") byte[] raw) {
    Hash h = Hash.of(raw);
    String text = h.toBase58();
    assertThat(text).matches("[1-9A-HJ-NP-Za-km-z]+").hasSizeLessThanOrEqualTo(44);
    assertThat(Hash.fromBase58(text)).isEqualTo(h);
    assertThat(Hash.fromBase58(text).toBytes()).isEqualTo(raw);
  }

  @Property
  void orderingIsUnsignedLexicographic(
      @ForAll("hashBytes") byte[] a, @ForAll("hashBytes") byte[] b) {
    int expected = Integer.signum(Arrays.compareUnsigned(a, b));
    assertThat(Integer.signum(Hash.of(a).compareTo(Hash.of(b)))).isEqualTo(expected);
    assertThat(Integer.signum(Hash.of(b).compareTo(Hash.of(a)))).isEqualTo(-expected);
    // The same order as an independent model: the first differing byte, read as 0..255.
    assertThat(expected).isEqualTo(Integer.signum(firstDifference(a, b)));
    // Lowercase hex text sorts the same way, which is what makes hex file listings ordered.
    assertThat(Integer.signum(Hash.of(a).toHex().compareTo(Hash.of(b).toHex())))
        .isEqualTo(expected);
  }

  @Property
  void oneFlippedBitChangesOrderAndEquality(@ForAll("hashBytes") byte[] raw, @ForAll int bitSeed) {
    int bit = Math.floorMod(bitSeed, Hash.LENGTH * 8);
    byte[] flipped = raw.clone();
    flipped[bit / 8] ^= (byte) (0x80 >>> (bit % 8));
    Hash a = Hash.of(raw);
    Hash b = Hash.of(flipped);
    assertThat(a).isNotEqualTo(b);
    assertThat(a.compareTo(b)).isNotZero();
    boolean bitWasSet = (raw[bit / 8] & (0x80 >>> (bit % 8))) != 0;
    assertThat(a.compareTo(b) > 0).isEqualTo(bitWasSet);
  }

  @Property
  void equalsAndHashCodeFollowContent(
      @ForAll("hashBytes") byte[] a, @ForAll("hashBytes") byte[] b) {
    Hash ha = Hash.of(a);
    Hash hb = Hash.of(b);
    assertThat(ha.equals(hb)).isEqualTo(Arrays.equals(a, b));
    assertThat(ha).isEqualTo(Hash.of(a.clone())).hasSameHashCodeAs(Hash.of(a.clone()));
    assertThat(ha.compareTo(hb) == 0).isEqualTo(ha.equals(hb));
  }

  private static int firstDifference(byte[] a, byte[] b) {
    for (int i = 0; i < Math.min(a.length, b.length); i++) {
      int c = Integer.compare(a[i] & 0xff, b[i] & 0xff);
      if (c != 0) {
        return c;
      }
    }
    return Integer.compare(a.length, b.length);
  }

  @Property
  void longAtReadsEightBytesBigEndian(
      @ForAll("hashBytes") byte[] raw, @ForAll @IntRange(min = 0, max = 24) int offset) {
    Hash h = Hash.of(raw);
    assertThat(h.longAt(offset))
        .isEqualTo(java.nio.ByteBuffer.wrap(raw, offset, Long.BYTES).getLong());
  }

  @Provide
  Arbitrary<Integer> offsetsOutside() {
    return Arbitraries.oneOf(
        Arbitraries.integers().between(-40, -1), Arbitraries.integers().between(25, 60));
  }

  @Property
  void longAtRefusesWordsOutsideTheHash(
      @ForAll("hashBytes") byte[] raw, @ForAll("offsetsOutside") int offset) {
    assertThatThrownBy(() -> Hash.of(raw).longAt(offset))
        .isInstanceOf(IndexOutOfBoundsException.class);
  }
}
