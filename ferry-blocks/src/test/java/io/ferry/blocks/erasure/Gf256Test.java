package io.ferry.blocks.erasure;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import java.util.HashSet;
import java.util.Set;
import org.junit.jupiter.api.Test;

/** GF(2⁸) with 0x11D is a field, and its tables agree with multiplication done by hand. */
class Gf256Test {
  /** Carry-less multiplication reduced by the polynomial, bit by bit: no tables. */
  private static int slowMul(int a, int b) {
    int product = 0;
    for (int bit = 0; bit < 8; bit++) {
      if ((b & (1 << bit)) != 0) {
        product ^= a << bit;
      }
    }
    for (int bit = 14; bit >= 8; bit--) {
      if ((product & (1 << bit)) != 0) {
        product ^= Gf256.POLYNOMIAL << (bit - 8);
      }
    }
    return product;
  }

  @Test
  void everyProductMatchesMultiplicationByHand() {
    for (int a = 0; a < 256; a++) {
      byte[] row = Gf256.row(a);
      for (int b = 0; b < 256; b++) {
        assertThat(Gf256.mul(a, b)).as("%d * %d", a, b).isEqualTo(slowMul(a, b));
        assertThat(row[b] & 0xFF).isEqualTo(slowMul(a, b));
      }
    }
  }

  @Test
  void twoGeneratesTheMultiplicativeGroup() {
    Set<Integer> powers = new HashSet<>();
    for (int n = 0; n < 255; n++) {
      powers.add(Gf256.pow(2, n));
    }
    assertThat(powers).hasSize(255).doesNotContain(0);
    assertThat(Gf256.pow(2, 255)).isEqualTo(1);
    // x^8 = x^4 + x^3 + x^2 + 1 = 0x1D: the reduction QR codes' field (also 0x11D) is built on.
    assertThat(Gf256.pow(2, 8)).isEqualTo(0x1D);
  }

  @Test
  void identitiesAndInverses() {
    for (int a = 0; a < 256; a++) {
      assertThat(Gf256.add(a, 0)).isEqualTo(a);
      assertThat(Gf256.add(a, a)).isZero();
      assertThat(Gf256.mul(a, 1)).isEqualTo(a);
      assertThat(Gf256.mul(a, 0)).isZero();
      assertThat(Gf256.pow(a, 0)).isEqualTo(1);
      if (a != 0) {
        assertThat(Gf256.mul(a, Gf256.inverse(a))).isEqualTo(1);
        assertThat(Gf256.div(a, a)).isEqualTo(1);
      }
    }
    assertThatThrownBy(() -> Gf256.div(1, 0)).isInstanceOf(ArithmeticException.class);
  }

  @Test
  void commutativeAssociativeDistributive() {
    for (int a = 0; a < 256; a++) {
      for (int b = 0; b < 256; b++) {
        assertThat(Gf256.mul(a, b)).isEqualTo(Gf256.mul(b, a));
        if (b != 0) {
          assertThat(Gf256.mul(Gf256.div(a, b), b)).isEqualTo(a);
        }
        for (int c = 0; c < 256; c += 7) {
          assertThat(Gf256.mul(a, Gf256.mul(b, c))).isEqualTo(Gf256.mul(Gf256.mul(a, b), c));
          assertThat(Gf256.mul(a, b ^ c)).isEqualTo(Gf256.mul(a, b) ^ Gf256.mul(a, c));
        }
      }
    }
  }

  @Test
  void powerIsRepeatedMultiplication() {
    for (int a = 0; a < 256; a++) {
      int power = 1;
      for (int n = 0; n < 300; n++) {
        assertThat(Gf256.pow(a, n)).as("%d ^ %d", a, n).isEqualTo(power);
        power = Gf256.mul(power, a);
      }
    }
  }
}
