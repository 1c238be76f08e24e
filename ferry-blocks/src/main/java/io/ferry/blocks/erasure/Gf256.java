package io.ferry.blocks.erasure;

/**
 * Arithmetic in GF(2⁸) with the polynomial x⁸ + x⁴ + x³ + x² + 1 (0x11D) and generator 2, the field
 * of Backblaze's JavaReedSolomon and klauspost/reedsolomon. Bytes are field elements; adding is
 * XOR. Multiplying uses a full 256 × 256 product table (64 KiB), whose rows the coding loops index
 * directly: row {@code c} maps every byte {@code x} to {@code c·x}.
 *
 * <p>Stateless after class initialisation; thread-safe. Arguments are field elements 0–255 (as
 * {@code int}); results are too.
 */
final class Gf256 {
  /** The field polynomial, with its x⁸ term. */
  static final int POLYNOMIAL = 0x11D;

  /** {@code LOG[x]} for x in 1..255: the power of 2 that gives x. {@code LOG[0]} is unused. */
  private static final int[] LOG = new int[256];

  /** {@code EXP[i] = 2^i}, doubled in length so that {@code EXP[LOG[a] + LOG[b]]} needs no mod. */
  private static final int[] EXP = new int[510];

  /** {@code PRODUCTS[a][b] = a·b}. */
  private static final byte[][] PRODUCTS = new byte[256][256];

  static {
    int x = 1;
    for (int i = 0; i < 255; i++) {
      EXP[i] = x;
      EXP[i + 255] = x;
      LOG[x] = i;
      x <<= 1;
      if (x >= 256) {
        x ^= POLYNOMIAL;
      }
    }
    for (int a = 1; a < 256; a++) {
      for (int b = 1; b < 256; b++) {
        PRODUCTS[a][b] = (byte) EXP[LOG[a] + LOG[b]];
      }
    }
  }

  private Gf256() {}

  static int add(int a, int b) {
    return a ^ b;
  }

  static int mul(int a, int b) {
    return PRODUCTS[a][b] & 0xFF;
  }

  /** {@code a / b}; b must not be 0. */
  static int div(int a, int b) {
    if (b == 0) {
      throw new ArithmeticException("division by zero in GF(2^8)");
    }
    if (a == 0) {
      return 0;
    }
    return EXP[LOG[a] - LOG[b] + 255];
  }

  /** The multiplicative inverse of a non-zero element. */
  static int inverse(int a) {
    return div(1, a);
  }

  /** {@code a^n} for n ≥ 0, with {@code 0^0 = 1} (as the Vandermonde construction needs). */
  static int pow(int a, int n) {
    if (n == 0) {
      return 1;
    }
    if (a == 0) {
      return 0;
    }
    return EXP[(int) ((long) LOG[a] * n % 255)];
  }

  /**
   * The products {@code c·x} for every byte x: the table a coding loop looks bytes up in. Shared;
   * callers must not write to it.
   */
  static byte[] row(int c) {
    return PRODUCTS[c];
  }
}
