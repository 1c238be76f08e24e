package io.ferry.core;

import static org.assertj.core.api.Assertions.assertThat;

import java.math.BigInteger;
import net.jqwik.api.Arbitraries;
import net.jqwik.api.Arbitrary;
import net.jqwik.api.Combinators;
import net.jqwik.api.ForAll;
import net.jqwik.api.Property;
import net.jqwik.api.Provide;

class Base58Properties {
  /** Arbitrary byte arrays, a good share of them starting with zero bytes. */
  @Provide
  Arbitrary<byte[]> bytesWithLeadingZeros() {
    Arbitrary<Integer> zeros = Arbitraries.integers().between(0, 8);
    Arbitrary<byte[]> tail = Arbitraries.bytes().array(byte[].class).ofMaxSize(80);
    return Combinators.combine(zeros, tail)
        .as(
            (z, t) -> {
              byte[] out = new byte[z + t.length];
              System.arraycopy(t, 0, out, z, t.length);
              return out;
            });
  }

  @Property
  void decodeInvertsEncode(@ForAll("bytesWithLeadingZeros") byte[] bytes) {
    String text = Base58.encode(bytes);
    assertThat(Base58.decode(text)).isEqualTo(bytes);
  }

  @Property
  void leadingZeroBytesBecomeLeadingOnes(@ForAll("bytesWithLeadingZeros") byte[] bytes) {
    int zeros = 0;
    while (zeros < bytes.length && bytes[zeros] == 0) {
      zeros++;
    }
    String text = Base58.encode(bytes);
    int ones = 0;
    while (ones < text.length() && text.charAt(ones) == '1') {
      ones++;
    }
    assertThat(ones).isEqualTo(zeros);
  }

  @Property
  void encodingIsTheBase58NumeralOfTheBytes(@ForAll("bytesWithLeadingZeros") byte[] bytes) {
    String alphabet = "123456789ABCDEFGHJKLMNPQRSTUVWXYZabcdefghijkmnopqrstuvwxyz";
    String text = Base58.encode(bytes);
    BigInteger value = BigInteger.ZERO;
    for (char c : text.toCharArray()) {
      int digit = alphabet.indexOf(c);
      assertThat(digit).isNotNegative();
      value = value.multiply(BigInteger.valueOf(58)).add(BigInteger.valueOf(digit));
    }
    assertThat(value).isEqualTo(new BigInteger(1, bytes));
  }

  @Property
  void hexRoundTripForAnyBytes(@ForAll byte[] bytes) {
    String hex = Hex.encode(bytes);
    assertThat(hex).hasSize(bytes.length * 2).matches("[0-9a-f]*");
    assertThat(Hex.decode(hex)).isEqualTo(bytes);
    assertThat(Hex.decode("0x" + hex.toUpperCase())).isEqualTo(bytes);
  }
}
