package io.ferry.core;

import static io.ferry.core.FerryAssertions.assertFerryError;
import static org.assertj.core.api.Assertions.assertThat;

import java.nio.charset.StandardCharsets;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.CsvSource;

class Base58Test {
  @ParameterizedTest
  @CsvSource({
    "'', ''",
    "00, 1",
    "000001, 112",
    "00ff, 15Q",
    "39, z",
    "3a, 21",
    "48656c6c6f20576f726c64, JxF12TrwUP45BMd",
    "ffffffffffffffffffffffffffffffffffffffffffffffffffffffffffffffff,"
        + " JEKNVnkbo3jma5nREBBJCDoXFVeKkD56V3xKrvRmWxFG"
  })
  void knownVectors(String hex, String base58) {
    byte[] bytes = Hex.decode(hex);
    assertThat(Base58.encode(bytes)).isEqualTo(base58);
    assertThat(Base58.decode(base58)).isEqualTo(bytes);
  }

  @Test
  void helloWorld() {
    byte[] bytes = "Hello World".getBytes(StandardCharsets.US_ASCII);
    assertThat(Base58.encode(bytes)).isEqualTo("JxF12TrwUP45BMd");
  }

  @Test
  void leadingZerosArePreserved() {
    for (int zeros = 0; zeros < 40; zeros++) {
      byte[] onlyZeros = new byte[zeros];
      assertThat(Base58.encode(onlyZeros)).isEqualTo("1".repeat(zeros));
      assertThat(Base58.decode("1".repeat(zeros))).isEqualTo(onlyZeros);
      byte[] withOne = new byte[zeros + 1];
      withOne[zeros] = 1;
      assertThat(Base58.encode(withOne)).isEqualTo("1".repeat(zeros) + "2");
      assertThat(Base58.decode("1".repeat(zeros) + "2")).isEqualTo(withOne);
    }
  }

  @Test
  void highBitAfterLeadingZerosIsNotMistakenForASignByte() {
    // BigInteger adds a 0x00 sign byte when the top bit is set; decoding must drop exactly it.
    byte[] bytes = {0, 0, (byte) 0x80, 0};
    assertThat(Base58.decode(Base58.encode(bytes))).isEqualTo(bytes);
    byte[] ff = {(byte) 0xff};
    assertThat(Base58.decode(Base58.encode(ff))).isEqualTo(ff);
  }

  @Test
  void badCharactersNameTheirPosition() {
    for (char bad : new char[] {'0', 'O', 'I', 'l'}) {
      assertFerryError(() -> Base58.decode("abc" + bad), ErrorCode.INVALID_ENCODING)
          .isEqualTo("not a base58 character at position 3: '" + bad + "'");
    }
    assertFerryError(() -> Base58.decode("\u4e2d"), ErrorCode.INVALID_ENCODING)
        .contains("position 0");
    assertFerryError(() -> Base58.decode("\u0080"), ErrorCode.INVALID_ENCODING)
        .contains("position 0");
  }
}
