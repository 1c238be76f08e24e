package io.ferry.core;

import static io.ferry.core.FerryAssertions.assertFerryError;
import static org.assertj.core.api.Assertions.assertThat;

import java.nio.charset.StandardCharsets;
import java.util.Arrays;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.ValueSource;

class HashTest {
  private static final String EMPTY_SHA256 =
      "e3b0c44298fc1c149afbf4c8996fb92427ae41e4649b934ca495991b7852b855";
  private static final String ABC_SHA256 =
      "ba7816bf8f01cfea414140de5dae2223b00361a396177a9cb410ff61f20015ad";

  @Test
  void sha256KnownVectors() {
    assertThat(Hasher.sha256().hash(new byte[0]).toHex()).isEqualTo(EMPTY_SHA256);
    assertThat(Hasher.sha256().hash("abc".getBytes(StandardCharsets.US_ASCII)).toHex())
        .isEqualTo(ABC_SHA256);
    assertThat(Hasher.sha256()).isSameAs(Sha256Hasher.INSTANCE);
  }

  @Test
  void toStringIsLowercaseHex() {
    Hash h = Hash.fromHex(ABC_SHA256.toUpperCase());
    assertThat(h.toString()).isEqualTo(ABC_SHA256).hasSize(64);
    assertThat(h.toHex()).isEqualTo(ABC_SHA256);
  }

  @Test
  void hexWithPrefixIsAccepted() {
    Hash expected = Hash.fromHex(EMPTY_SHA256);
    assertThat(Hash.fromHex("0x" + EMPTY_SHA256)).isEqualTo(expected);
    assertThat(Hash.fromHex("0X" + EMPTY_SHA256.toUpperCase())).isEqualTo(expected);
  }

  @Test
  void zeroHash() {
    assertThat(Hash.ZERO.toBytes()).containsOnly(0).hasSize(Hash.LENGTH);
    assertThat(Hash.ZERO.isZero()).isTrue();
    assertThat(Hash.of(new byte[32]).isZero()).isTrue();
    assertThat(Hash.fromHex(EMPTY_SHA256).isZero()).isFalse();
    assertThat(Hash.ZERO.toBase58()).isEqualTo("1".repeat(32));
    assertThat(Hash.fromBase58("1".repeat(32))).isEqualTo(Hash.ZERO);
  }

  @Test
  void ofCopiesItsInputAndToBytesReturnsACopy() {
    byte[] raw = new byte[32];
    raw[0] = 7;
    Hash h = Hash.of(raw);
    raw[0] = 8;
    assertThat(h.toBytes()[0]).isEqualTo((byte) 7);
    h.toBytes()[0] = 9;
    assertThat(h.toBytes()[0]).isEqualTo((byte) 7);
  }

  @Test
  void copyToWritesAtOffset() {
    Hash h = Hash.fromHex(ABC_SHA256);
    byte[] dst = new byte[40];
    Arrays.fill(dst, (byte) 0x55);
    h.copyTo(dst, 4);
    assertThat(Arrays.copyOfRange(dst, 4, 36)).isEqualTo(h.toBytes());
    assertThat(Arrays.copyOfRange(dst, 0, 4)).containsOnly(0x55);
    assertThat(Arrays.copyOfRange(dst, 36, 40)).containsOnly(0x55);
  }

  @Test
  void equalsAndHashCode() {
    Hash a = Hash.fromHex(ABC_SHA256);
    Hash b = Hash.of(a.toBytes());
    Hash c = Hash.fromHex(EMPTY_SHA256);
    assertThat(a).isEqualTo(b).hasSameHashCodeAs(b).isNotEqualTo(c).isNotEqualTo(null);
    assertThat(a).isNotEqualTo(ABC_SHA256);
    assertThat(a).isNotEqualTo(Bytes.fromHex(ABC_SHA256));
    assertThat(a.compareTo(b)).isZero();
  }

  @Test
  void orderingIsUnsigned() {
    byte[] low = new byte[32];
    low[0] = 0x7f;
    byte[] high = new byte[32];
    high[0] = (byte) 0x80; // negative as a signed byte, but larger unsigned
    assertThat(Hash.of(low)).isLessThan(Hash.of(high));
    assertThat(Hash.ZERO).isLessThan(Hash.of(low));
    byte[] last = new byte[32];
    last[31] = 1;
    assertThat(Hash.ZERO).isLessThan(Hash.of(last));
    assertThat(Hash.of(last)).isLessThan(Hash.of(low)); // most significant byte first
  }

  @ParameterizedTest
  @ValueSource(ints = {0, 1, 31, 33, 64})
  void wrongByteLengthIsInvalidEncoding(int length) {
    assertFerryError(() -> Hash.of(new byte[length]), ErrorCode.INVALID_ENCODING)
        .contains("32 bytes")
        .contains("holds " + length);
  }

  @Test
  void wrongHexLengthIsInvalidEncoding() {
    assertFerryError(() -> Hash.fromHex(EMPTY_SHA256.substring(2)), ErrorCode.INVALID_ENCODING)
        .contains("32 bytes")
        .contains("hex")
        .contains("holds 31");
    assertFerryError(() -> Hash.fromHex(EMPTY_SHA256 + "00"), ErrorCode.INVALID_ENCODING)
        .contains("holds 33");
    assertFerryError(() -> Hash.fromHex("abcd"), ErrorCode.INVALID_ENCODING).contains("holds 2");
    assertFerryError(() -> Hash.fromHex(""), ErrorCode.INVALID_ENCODING).contains("holds 0");
    assertFerryError(() -> Hash.fromHex("0x"), ErrorCode.INVALID_ENCODING).contains("holds 0");
  }

  @Test
  void oddHexIsInvalidEncoding() {
    assertFerryError(() -> Hash.fromHex(EMPTY_SHA256.substring(1)), ErrorCode.INVALID_ENCODING)
        .contains("odd")
        .contains("63");
    assertFerryError(() -> Hash.fromHex("0x" + EMPTY_SHA256 + "0"), ErrorCode.INVALID_ENCODING)
        .contains("odd");
  }

  @ParameterizedTest
  @ValueSource(
      strings = {
        "g",
        "G",
        "z",
        " ",
        "-",
        "+",
        "\u00e9",
        // Unicode digits and letters that Character.digit accepts but hex text does not allow.
        "\u0663",
        "\uff10",
        "\uff21",
        "\uff41"
      })
  void nonHexCharacterIsInvalidEncoding(String bad) {
    String text = EMPTY_SHA256.substring(0, 10) + bad + EMPTY_SHA256.substring(11);
    assertThat(text).hasSize(64);
    assertFerryError(() -> Hash.fromHex(text), ErrorCode.INVALID_ENCODING)
        .contains("not a hex digit")
        .contains("position 10");
  }

  @Test
  void hexDecodeDoesNotAcceptSignsOrWhitespace() {
    assertFerryError(() -> Hex.decode("+1"), ErrorCode.INVALID_ENCODING);
    assertFerryError(() -> Hex.decode(" 1"), ErrorCode.INVALID_ENCODING);
    assertFerryError(() -> Hex.decode("0x0x00"), ErrorCode.INVALID_ENCODING);
  }

  @Test
  void base58KnownVector() {
    // 32 bytes 0x00..0x1f: the hex and base58 forms name the same hash.
    byte[] raw = new byte[32];
    for (int i = 0; i < raw.length; i++) {
      raw[i] = (byte) i;
    }
    Hash h = Hash.of(raw);
    assertThat(Hash.fromBase58(h.toBase58())).isEqualTo(h);
    assertThat(h.toBase58()).startsWith("1").doesNotStartWith("11");
    // SHA-256("") in base58, as Solana tools print it.
    assertThat(Hash.fromHex(EMPTY_SHA256).toBase58())
        .isEqualTo("GKot5hBsd81kMupNCXHaqbhv3huEbxAFMLnpcX2hniwn");
  }

  @ParameterizedTest
  @ValueSource(chars = {'0', 'O', 'I', 'l', '+', '/', ' ', '\u00e9'})
  void badBase58CharacterIsInvalidEncoding(char bad) {
    String good = Hash.fromHex(ABC_SHA256).toBase58();
    String text = good.substring(0, 5) + bad + good.substring(6);
    assertFerryError(() -> Hash.fromBase58(text), ErrorCode.INVALID_ENCODING)
        .contains("base58")
        .contains("position 5")
        .contains("'" + bad + "'");
  }

  @Test
  void wrongBase58LengthIsInvalidEncoding() {
    assertFerryError(() -> Hash.fromBase58("1".repeat(31)), ErrorCode.INVALID_ENCODING)
        .contains("base58")
        .contains("holds 31");
    assertFerryError(() -> Hash.fromBase58("1".repeat(33)), ErrorCode.INVALID_ENCODING)
        .contains("holds 33");
    assertFerryError(() -> Hash.fromBase58(""), ErrorCode.INVALID_ENCODING).contains("holds 0");
    String good = Hash.fromHex(ABC_SHA256).toBase58();
    assertFerryError(() -> Hash.fromBase58(good + "z"), ErrorCode.INVALID_ENCODING)
        .contains("holds 33");
    assertFerryError(() -> Hash.fromBase58("1" + good), ErrorCode.INVALID_ENCODING)
        .contains("holds 33");
  }

  @Test
  void ferryExceptionToStringNamesTheCode() {
    FerryException e = new FerryException(ErrorCode.INVALID_ENCODING, "bad");
    assertThat(e).hasToString("INVALID_ENCODING: bad").hasNoCause();
    Throwable cause = new IllegalStateException();
    assertThat(new FerryException(ErrorCode.INTERNAL, "x", cause)).hasCause(cause);
  }
}
