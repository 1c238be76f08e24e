package io.ferry.core.identity;

import static io.ferry.core.FerryAssertions.assertFerryError;
import static org.assertj.core.api.Assertions.assertThat;

import io.ferry.core.ErrorCode;
import io.ferry.core.Hex;
import net.jqwik.api.Arbitraries;
import net.jqwik.api.Arbitrary;
import net.jqwik.api.ForAll;
import net.jqwik.api.Property;
import net.jqwik.api.Provide;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.ValueSource;

class NodeIdTest {
  private static final NodeId RFC_ID = NodeId.of(Hex.decode(NodeKeyTest.RFC_PUBLIC_1));

  @Test
  void textRoundTrip() {
    assertThat(RFC_ID).hasToString(NodeKeyTest.RFC_ID_1);
    assertThat(NodeId.parse(NodeKeyTest.RFC_ID_1)).isEqualTo(RFC_ID);
    assertThat(NodeId.parse("  " + NodeKeyTest.RFC_ID_1 + "\n")).isEqualTo(RFC_ID);
    assertThat(NodeId.parse(NodeKeyTest.RFC_ID_1)).hasSameHashCodeAs(RFC_ID);
  }

  @Test
  void itsTextIsEncodedOnceAndStaysTheSame() {
    NodeId id = NodeId.of(Hex.decode(NodeKeyTest.RFC_PUBLIC_1));
    String first = id.toString();
    assertThat(id.toString()).isSameAs(first).isEqualTo(NodeKeyTest.RFC_ID_1);
    assertThat(id.shortString()).isEqualTo(NodeKeyTest.RFC_ID_1.substring(0, 8));
  }

  @Test
  void publicKeyIsACopy() {
    byte[] pk = RFC_ID.publicKey();
    pk[0] ^= 1;
    assertThat(Hex.encode(RFC_ID.publicKey())).isEqualTo(NodeKeyTest.RFC_PUBLIC_1);
  }

  @Test
  void zeroKeyTextIsAllOnes() {
    NodeId zero = NodeId.of(new byte[32]);
    assertThat(zero).hasToString("1".repeat(32));
    assertThat(NodeId.parse("1".repeat(32))).isEqualTo(zero);
    assertThat(zero.shortString()).isEqualTo("11111111");
    assertThat(zero).isLessThan(RFC_ID);
  }

  @Test
  void orderingIsUnsigned() {
    byte[] low = new byte[32];
    low[0] = 0x7f;
    byte[] high = new byte[32];
    high[0] = (byte) 0x80;
    assertThat(NodeId.of(low)).isLessThan(NodeId.of(high));
    assertThat(NodeId.of(low).compareTo(NodeId.of(low.clone()))).isZero();
  }

  @ParameterizedTest
  @ValueSource(
      strings = {
        "",
        "1",
        "abc",
        "1111111111111111111111111111111", // 31 ones: 31 zero bytes
        "111111111111111111111111111111111", // 33 ones: 33 zero bytes
      })
  void wrongLengthTextIsInvalidEncoding(String text) {
    assertFerryError(() -> NodeId.parse(text), ErrorCode.INVALID_ENCODING)
        .startsWith("bad node id '" + text + "'")
        .contains("bytes, not 32");
  }

  @Test
  void textOfOtherLengthsIsInvalidEncoding() {
    assertFerryError(() -> NodeId.parse(NodeKeyTest.RFC_ID_1 + "z"), ErrorCode.INVALID_ENCODING)
        .contains("decodes to 33 bytes");
    assertFerryError(() -> NodeId.parse("1" + NodeKeyTest.RFC_ID_1), ErrorCode.INVALID_ENCODING)
        .contains("decodes to 33 bytes");
    // 40 base58 digits hold less than 2^235: too short for any 32-byte key.
    assertFerryError(
            () -> NodeId.parse(NodeKeyTest.RFC_ID_1.substring(0, 40)), ErrorCode.INVALID_ENCODING)
        .contains("bad node id")
        .contains("bytes, not 32");
  }

  @ParameterizedTest
  @ValueSource(chars = {'0', 'O', 'I', 'l', '_', '-', ' '})
  void badCharacterIsInvalidEncoding(char bad) {
    String text = NodeKeyTest.RFC_ID_1.substring(0, 10) + bad + NodeKeyTest.RFC_ID_1.substring(11);
    assertFerryError(() -> NodeId.parse(text), ErrorCode.INVALID_ENCODING)
        .contains("bad node id")
        .contains("not a base58 character at position 10");
  }

  @ParameterizedTest
  @ValueSource(ints = {0, 31, 33, 64})
  void rawKeyOfWrongLengthIsInvalidEncoding(int length) {
    assertFerryError(() -> NodeId.of(new byte[length]), ErrorCode.INVALID_ENCODING)
        .contains("got " + length + " bytes");
  }

  @Provide
  Arbitrary<byte[]> rawKeys() {
    return Arbitraries.bytes().array(byte[].class).ofSize(32);
  }

  @Property
  void anyIdRoundTripsThroughText(@ForAll("rawKeys") byte[] raw) {
    NodeId id = NodeId.of(raw);
    String text = id.toString();
    assertThat(text).matches("[1-9A-HJ-NP-Za-km-z]{32,44}");
    assertThat(NodeId.parse(text)).isEqualTo(id);
    assertThat(NodeId.parse(text).publicKey()).isEqualTo(raw);
    assertThat(id.shortString()).isEqualTo(text.substring(0, 8));
  }
}
