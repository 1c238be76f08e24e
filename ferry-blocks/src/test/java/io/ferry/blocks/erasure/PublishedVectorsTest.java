package io.ferry.blocks.erasure;

import static org.assertj.core.api.Assertions.assertThat;

import java.io.IOException;
import java.io.InputStream;
import java.nio.charset.StandardCharsets;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.List;
import org.junit.jupiter.api.Test;

/**
 * The field, the matrices and the code against the numbers Backblaze JavaReedSolomon,
 * klauspost/reedsolomon and reed-solomon-erasure publish in their tests ({@code
 * erasure/vectors.txt} names each source).
 */
class PublishedVectorsTest {
  private static List<String[]> vectors(String kind) throws IOException {
    List<String[]> out = new ArrayList<>();
    try (InputStream in = PublishedVectorsTest.class.getResourceAsStream("/erasure/vectors.txt")) {
      assertThat(in).as("erasure/vectors.txt on the test class path").isNotNull();
      for (String line : new String(in.readAllBytes(), StandardCharsets.US_ASCII).split("\n")) {
        String[] fields = line.strip().split(" +");
        if (!line.startsWith("#") && fields[0].equals(kind)) {
          out.add(fields);
        }
      }
    }
    assertThat(out).as(kind + " vectors").isNotEmpty();
    return out;
  }

  private static int[][] matrix(String text) {
    return Arrays.stream(text.split(";"))
        .map(row -> Arrays.stream(row.split(",")).mapToInt(Integer::parseInt).toArray())
        .toArray(int[][]::new);
  }

  private static byte[][] shards(String text) {
    int[][] numbers = matrix(text);
    byte[][] out = new byte[numbers.length][];
    for (int i = 0; i < numbers.length; i++) {
      out[i] = new byte[numbers[i].length];
      for (int b = 0; b < numbers[i].length; b++) {
        out[i][b] = (byte) numbers[i][b];
      }
    }
    return out;
  }

  @Test
  void products() throws IOException {
    for (String[] v : vectors("mul")) {
      int a = Integer.parseInt(v[1]);
      int b = Integer.parseInt(v[2]);
      assertThat(Gf256.mul(a, b)).as("%d * %d", a, b).isEqualTo(Integer.parseInt(v[3]));
      assertThat(Gf256.row(a)[b] & 0xFF).isEqualTo(Integer.parseInt(v[3]));
    }
  }

  @Test
  void powers() throws IOException {
    for (String[] v : vectors("pow")) {
      int a = Integer.parseInt(v[1]);
      int n = Integer.parseInt(v[2]);
      assertThat(Gf256.pow(a, n)).as("%d ^ %d", a, n).isEqualTo(Integer.parseInt(v[3]));
    }
  }

  @Test
  void matrixProducts() throws IOException {
    for (String[] v : vectors("matmul")) {
      assertThat(GfMatrix.times(matrix(v[1]), matrix(v[2]))).isDeepEqualTo(matrix(v[3]));
    }
  }

  @Test
  void inverses() throws IOException {
    for (String[] v : vectors("inverse")) {
      int[][] m = matrix(v[1]);
      int[][] inverse = GfMatrix.invert(m);
      assertThat(inverse).isDeepEqualTo(matrix(v[2]));
      assertThat(GfMatrix.times(m, inverse)).isDeepEqualTo(GfMatrix.identity(m.length));
    }
  }

  @Test
  void parity() throws IOException {
    for (String[] v : vectors("encode")) {
      int k = Integer.parseInt(v[1]);
      int m = Integer.parseInt(v[2]);
      byte[][] data = shards(v[3]);
      byte[][] parity = shards(v[4]);
      byte[][] all = new byte[k + m][];
      System.arraycopy(data, 0, all, 0, k);
      ReedSolomon rs = ReedSolomon.of(k, m);
      rs.encode(all);
      for (int p = 0; p < m; p++) {
        assertThat(all[k + p]).as("%d+%d parity %d", k, m, p).isEqualTo(parity[p]);
      }
      assertThat(rs.verify(all)).isTrue();
      all[k + m - 1][0]++;
      assertThat(rs.verify(all)).isFalse();
    }
  }

  @Test
  void reconstructionGivesThePublishedShards() throws IOException {
    for (String[] v : vectors("encode")) {
      int k = Integer.parseInt(v[1]);
      int m = Integer.parseInt(v[2]);
      byte[][] expected = new byte[k + m][];
      System.arraycopy(shards(v[3]), 0, expected, 0, k);
      System.arraycopy(shards(v[4]), 0, expected, k, m);
      // Lose the first m shards: data only, or data and parity when m > k.
      byte[][] shards = new byte[k + m][];
      boolean[] present = new boolean[k + m];
      for (int i = m; i < k + m; i++) {
        shards[i] = expected[i].clone();
        present[i] = true;
      }
      ReedSolomon.of(k, m).reconstruct(shards, present);
      assertThat(shards).isDeepEqualTo(expected);
    }
  }
}
