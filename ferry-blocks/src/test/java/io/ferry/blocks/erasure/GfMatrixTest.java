package io.ferry.blocks.erasure;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import io.ferry.core.ErrorCode;
import io.ferry.core.FerryException;
import org.junit.jupiter.api.Test;

class GfMatrixTest {
  @Test
  void aSingularMatrixIsATypedError() {
    int[][] singular = {{1, 2}, {1, 2}};
    assertThatThrownBy(() -> GfMatrix.invert(singular))
        .isInstanceOfSatisfying(
            FerryException.class, e -> assertThat(e.code()).isEqualTo(ErrorCode.INVALID_ARGUMENT));
    assertThatThrownBy(() -> GfMatrix.invert(new int[][] {{1, 2}}))
        .isInstanceOf(FerryException.class);
  }

  @Test
  void theCodingMatrixIsSystematicAndEveryKRowsInvert() {
    int k = 4;
    int m = 3;
    ReedSolomon rs = ReedSolomon.of(k, m);
    for (int r = 0; r < k; r++) {
      for (int c = 0; c < k; c++) {
        assertThat(rs.coefficient(r, c)).isEqualTo(r == c ? 1 : 0);
      }
    }
    // Every choice of k rows out of k + m is invertible: that is what makes any k shards enough.
    for (int mask = 0; mask < 1 << (k + m); mask++) {
      if (Integer.bitCount(mask) != k) {
        continue;
      }
      int[][] rows = new int[k][k];
      for (int r = 0, n = 0; r < k + m; r++) {
        if ((mask & (1 << r)) != 0) {
          for (int c = 0; c < k; c++) {
            rows[n][c] = rs.coefficient(r, c);
          }
          n++;
        }
      }
      assertThat(GfMatrix.times(rows, GfMatrix.invert(rows))).isDeepEqualTo(GfMatrix.identity(k));
    }
  }
}
