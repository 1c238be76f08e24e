package io.ferry.blocks.erasure;

import io.ferry.core.ErrorCode;
import io.ferry.core.FerryException;

/**
 * Small matrices over GF(2⁸) ({@link Gf256}) as {@code int[rows][cols]} of elements 0–255: what
 * building the coding matrix and inverting a decode matrix need. Each method returns a new matrix
 * and leaves its arguments alone; stateless and thread-safe.
 */
final class GfMatrix {
  private GfMatrix() {}

  static int[][] identity(int n) {
    int[][] out = new int[n][n];
    for (int i = 0; i < n; i++) {
      out[i][i] = 1;
    }
    return out;
  }

  /** {@code out[r][c] = r^c}: any {@code cols} of its rows are independent, as r are distinct. */
  static int[][] vandermonde(int rows, int cols) {
    int[][] out = new int[rows][cols];
    for (int r = 0; r < rows; r++) {
      for (int c = 0; c < cols; c++) {
        out[r][c] = Gf256.pow(r, c);
      }
    }
    return out;
  }

  static int[][] times(int[][] a, int[][] b) {
    int n = a.length;
    int inner = b.length;
    int cols = b[0].length;
    if (a[0].length != inner) {
      throw new FerryException(
          ErrorCode.INVALID_ARGUMENT,
          "cannot multiply a matrix of " + a[0].length + " columns by one of " + inner + " rows");
    }
    int[][] out = new int[n][cols];
    for (int r = 0; r < n; r++) {
      for (int c = 0; c < cols; c++) {
        int sum = 0;
        for (int i = 0; i < inner; i++) {
          sum ^= Gf256.mul(a[r][i], b[i][c]);
        }
        out[r][c] = sum;
      }
    }
    return out;
  }

  /** Rows {@code from} (inclusive) to {@code to} (exclusive), copied. */
  static int[][] rows(int[][] a, int from, int to) {
    int[][] out = new int[to - from][];
    for (int r = from; r < to; r++) {
      out[r - from] = a[r].clone();
    }
    return out;
  }

  /**
   * The inverse of a square matrix, by Gauss–Jordan elimination.
   *
   * @throws FerryException {@link ErrorCode#INVALID_ARGUMENT} when it is not square or is singular
   */
  static int[][] invert(int[][] a) {
    int n = a.length;
    if (n == 0 || a[0].length != n) {
      throw new FerryException(ErrorCode.INVALID_ARGUMENT, "only a square matrix has an inverse");
    }
    // Work on [a | I] and reduce the left half to I; the right half is then a⁻¹.
    int[][] work = new int[n][2 * n];
    for (int r = 0; r < n; r++) {
      System.arraycopy(a[r], 0, work[r], 0, n);
      work[r][n + r] = 1;
    }
    for (int col = 0; col < n; col++) {
      int pivot = col;
      while (pivot < n && work[pivot][col] == 0) {
        pivot++;
      }
      if (pivot == n) {
        throw new FerryException(ErrorCode.INVALID_ARGUMENT, "the matrix is singular");
      }
      int[] swap = work[pivot];
      work[pivot] = work[col];
      work[col] = swap;
      int scale = Gf256.inverse(work[col][col]);
      if (scale != 1) {
        for (int c = 0; c < 2 * n; c++) {
          work[col][c] = Gf256.mul(work[col][c], scale);
        }
      }
      for (int r = 0; r < n; r++) {
        int factor = work[r][col];
        if (r != col && factor != 0) {
          for (int c = 0; c < 2 * n; c++) {
            work[r][c] ^= Gf256.mul(factor, work[col][c]);
          }
        }
      }
    }
    int[][] out = new int[n][n];
    for (int r = 0; r < n; r++) {
      System.arraycopy(work[r], n, out[r], 0, n);
    }
    return out;
  }
}
