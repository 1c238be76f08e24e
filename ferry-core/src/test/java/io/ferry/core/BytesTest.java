package io.ferry.core;

import static io.ferry.core.FerryAssertions.assertFerryError;
import static org.assertj.core.api.Assertions.assertThat;

import java.util.List;
import java.util.stream.Stream;
import org.junit.jupiter.api.Test;

class BytesTest {
  @Test
  void orderingIsUnsignedWithPrefixesFirst() {
    List<Bytes> sorted =
        Stream.of("ff", "", "00", "0000", "7f", "80", "0001", "01", "ff00", "7fff")
            .map(Bytes::fromHex)
            .sorted()
            .toList();
    assertThat(sorted)
        .extracting(Bytes::toHex)
        .containsExactly("", "00", "0000", "0001", "01", "7f", "7fff", "80", "ff", "ff00");
  }

  @Test
  void equalityAndHashCode() {
    Bytes a = Bytes.fromHex("0102");
    Bytes b = Bytes.of(new byte[] {1, 2});
    assertThat(a).isEqualTo(b).hasSameHashCodeAs(b);
    assertThat(a).isNotEqualTo(Bytes.fromHex("010200")).isNotEqualTo(Bytes.fromHex("01"));
    assertThat(a).isNotEqualTo(null).isNotEqualTo("0102");
    assertThat(a.hashCode()).isEqualTo(a.hashCode());
  }

  @Test
  void emptyIsCanonical() {
    assertThat(Bytes.of(new byte[0])).isSameAs(Bytes.EMPTY);
    assertThat(Bytes.wrap(new byte[0])).isSameAs(Bytes.EMPTY);
    assertThat(Bytes.fromHex("")).isSameAs(Bytes.EMPTY);
    assertThat(Bytes.EMPTY.isEmpty()).isTrue();
    assertThat(Bytes.EMPTY.length()).isZero();
    assertThat(Bytes.EMPTY.toString()).isEmpty();
  }

  @Test
  void fromHex() {
    Bytes b = Bytes.fromHex("0xDEADbeef");
    assertThat(b.length()).isEqualTo(4);
    assertThat(b.byteAt(0)).isEqualTo((byte) 0xde);
    assertThat(b.byteAt(3)).isEqualTo((byte) 0xef);
    assertThat(b.toHex()).isEqualTo("deadbeef");
    assertThat(b).hasToString("deadbeef");
    assertThat(b.isEmpty()).isFalse();
    assertFerryError(() -> Bytes.fromHex("abc"), ErrorCode.INVALID_ENCODING).contains("odd");
    assertFerryError(() -> Bytes.fromHex("zz"), ErrorCode.INVALID_ENCODING)
        .contains("not a hex digit");
  }

  @Test
  void ofCopiesWrapDoesNot() {
    byte[] raw = {1, 2, 3};
    Bytes copied = Bytes.of(raw);
    Bytes wrapped = Bytes.wrap(raw);
    raw[0] = 9;
    assertThat(copied.byteAt(0)).isEqualTo((byte) 1);
    assertThat(wrapped.byteAt(0)).isEqualTo((byte) 9);
    assertThat(wrapped.unsafeArray()).isSameAs(raw);
  }

  @Test
  void toByteArrayReturnsACopy() {
    Bytes b = Bytes.fromHex("0102");
    b.toByteArray()[0] = 7;
    assertThat(b.byteAt(0)).isEqualTo((byte) 1);
    assertThat(b.toByteArray()).containsExactly(1, 2);
  }
}
