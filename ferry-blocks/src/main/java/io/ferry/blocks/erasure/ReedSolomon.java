package io.ferry.blocks.erasure;

import io.ferry.blocks.dataset.Protection;
import io.ferry.core.ErrorCode;
import io.ferry.core.FerryException;
import java.util.BitSet;
import java.util.LinkedHashMap;
import java.util.Map;

/**
 * A systematic Reed–Solomon erasure code over GF(2⁸) with {@code k} data and {@code m} parity
 * shards of equal length: any {@code k} of the {@code k + m} shards give back the rest.
 *
 * <p>The coding matrix is Backblaze JavaReedSolomon's and klauspost/reedsolomon's default: the
 * {@code (k+m) × k} Vandermonde matrix {@code V[r][c] = r^c}, multiplied by the inverse of its top
 * {@code k × k} square, so its top is the identity (the data shards are stored as they are) and any
 * {@code k} of its rows are independent. Parity shard {@code p} is {@code Σ_c M[k+p][c] · data[c]},
 * byte by byte; the same inputs give the same parity bytes as those libraries.
 *
 * <p>Decoding inverts the rows of the first {@code k} shards present; the inverse is cached per
 * choice of rows, as a download tends to meet the same losses in group after group.
 *
 * <p>Thread-safe: the matrix is immutable and the decode cache is guarded. Callers own the shard
 * arrays they pass; concurrent calls must not share them.
 */
public final class ReedSolomon {
  /** Coders kept by {@link #of}: a node meets few (k, m) pairs, and each costs a matrix. */
  private static final int CODERS_CACHED = 16;

  /** Inverted decode matrices kept per coder. */
  private static final int DECODE_MATRICES_CACHED = 64;

  /**
   * Bytes of each shard coded in one pass over all inputs and outputs: small enough that a pass's
   * slices of the outputs stay in the L1 cache while every input streams through.
   */
  static final int SLICE = 8 * 1024;

  private static final Map<Integer, ReedSolomon> CODERS = lru(CODERS_CACHED);

  private final int k;
  private final int m;

  /** The {@code (k+m) × k} coding matrix; rows {@code 0..k-1} are the identity. */
  private final int[][] matrix;

  /** Guarded by itself: first {@code k} present shard indices → inverse of their matrix rows. */
  private final Map<BitSet, int[][]> decodeMatrices = lru(DECODE_MATRICES_CACHED);

  private ReedSolomon(int k, int m) {
    this.k = k;
    this.m = m;
    int[][] vandermonde = GfMatrix.vandermonde(k + m, k);
    this.matrix = GfMatrix.times(vandermonde, GfMatrix.invert(GfMatrix.rows(vandermonde, 0, k)));
  }

  /**
   * The coder for {@code k} data and {@code m} parity shards (shared; a few are kept).
   *
   * @throws FerryException {@link ErrorCode#INVALID_ARGUMENT} unless {@code k ≥ 1}, {@code m ≥ 1}
   *     and {@code k + m ≤} {@link Protection#FIELD_SIZE}
   */
  public static ReedSolomon of(int k, int m) {
    if (k < 1 || m < 1 || k + m > Protection.FIELD_SIZE) {
      throw new FerryException(
          ErrorCode.INVALID_ARGUMENT,
          "Reed-Solomon takes K >= 1 and M >= 1 with K + M <= "
              + Protection.FIELD_SIZE
              + ", not "
              + k
              + ","
              + m);
    }
    synchronized (CODERS) {
      return CODERS.computeIfAbsent(
          k * (Protection.FIELD_SIZE + 1) + m, key -> new ReedSolomon(k, m));
    }
  }

  public int dataShards() {
    return k;
  }

  public int parityShards() {
    return m;
  }

  public int totalShards() {
    return k + m;
  }

  /** The coding matrix's entry at {@code row, column} (tests compare it with other libraries). */
  int coefficient(int row, int column) {
    return matrix[row][column];
  }

  /**
   * Computes the parity shards {@code k..k+m-1} from the data shards {@code 0..k-1}. A parity entry
   * that is {@code null} gets a new array; one that is there is overwritten.
   *
   * @throws FerryException {@link ErrorCode#INVALID_ARGUMENT} for the wrong number of shards, a
   *     missing data shard, or shards of different lengths
   */
  public void encode(byte[][] shards) {
    int length = checkShards(shards);
    for (int i = 0; i < k; i++) {
      if (shards[i] == null) {
        throw invalid("data shard " + i + " is missing");
      }
    }
    for (int p = k; p < k + m; p++) {
      if (shards[p] == null) {
        shards[p] = new byte[length];
      }
    }
    code(parityRows(allParity()), slice(shards, 0, k), slice(shards, k, k + m), length);
  }

  /**
   * Whether the parity shards are those of the data shards.
   *
   * @throws FerryException {@link ErrorCode#INVALID_ARGUMENT} as {@link #encode} does, or for a
   *     missing parity shard
   */
  public boolean verify(byte[][] shards) {
    int length = checkShards(shards);
    byte[][] expected = new byte[k + m][];
    for (int i = 0; i < k + m; i++) {
      if (shards[i] == null) {
        throw invalid("shard " + i + " is missing");
      }
      expected[i] = i < k ? shards[i] : new byte[length];
    }
    encode(expected);
    for (int p = k; p < k + m; p++) {
      if (!java.util.Arrays.equals(expected[p], shards[p])) {
        return false;
      }
    }
    return true;
  }

  /**
   * Rebuilds every shard that is not {@code present}, data and parity, from the ones that are. A
   * missing entry is reused when it is an array of the right length and replaced by a new one
   * otherwise; present entries are not written.
   *
   * @throws FerryException {@link ErrorCode#INVALID_ARGUMENT} when fewer than {@code k} shards are
   *     present (more than {@code m} lost: nothing can be rebuilt, and nothing is written), for the
   *     wrong number of shards or flags, or for present shards that are absent or of different
   *     lengths
   */
  public void reconstruct(byte[][] shards, boolean[] present) {
    if (shards.length != k + m || present.length != k + m) {
      throw invalid(
          "a "
              + k
              + "+"
              + m
              + " code takes "
              + (k + m)
              + " shards and flags, not "
              + shards.length
              + " and "
              + present.length);
    }
    int length = -1;
    int count = 0;
    for (int i = 0; i < k + m; i++) {
      if (present[i]) {
        if (shards[i] == null) {
          throw invalid("shard " + i + " is marked present but is missing");
        }
        if (length >= 0 && shards[i].length != length) {
          throw invalid("shards of " + length + " and " + shards[i].length + " bytes");
        }
        length = shards[i].length;
        count++;
      }
    }
    if (count < k) {
      throw invalid(
          (k + m - count)
              + " of "
              + (k + m)
              + " shards are lost; a "
              + k
              + "+"
              + m
              + " code rebuilds at most "
              + m);
    }
    if (count == k + m) {
      return;
    }
    for (int i = 0; i < k + m; i++) {
      if (!present[i] && (shards[i] == null || shards[i].length != length)) {
        shards[i] = new byte[length];
      }
    }
    int[] lostData = lost(present, 0, k);
    if (lostData.length > 0) {
      int[] rows = new int[k];
      for (int i = 0, n = 0; n < k; i++) {
        if (present[i]) {
          rows[n++] = i;
        }
      }
      int[][] inverse = decodeMatrix(rows);
      byte[][][] tables = new byte[lostData.length][k][];
      byte[][] outputs = new byte[lostData.length][];
      for (int o = 0; o < lostData.length; o++) {
        for (int c = 0; c < k; c++) {
          tables[o][c] = Gf256.row(inverse[lostData[o]][c]);
        }
        outputs[o] = shards[lostData[o]];
      }
      byte[][] inputs = new byte[k][];
      for (int c = 0; c < k; c++) {
        inputs[c] = shards[rows[c]];
      }
      code(tables, inputs, outputs, length);
    }
    int[] lostParity = lost(present, k, k + m);
    if (lostParity.length > 0) {
      byte[][] outputs = new byte[lostParity.length][];
      for (int o = 0; o < lostParity.length; o++) {
        outputs[o] = shards[lostParity[o]];
      }
      code(parityRows(lostParity), slice(shards, 0, k), outputs, length);
    }
  }

  private int[][] decodeMatrix(int[] rows) {
    BitSet key = new BitSet(k + m);
    for (int r : rows) {
      key.set(r);
    }
    synchronized (decodeMatrices) {
      int[][] cached = decodeMatrices.get(key);
      if (cached != null) {
        return cached;
      }
    }
    int[][] chosen = new int[k][];
    for (int c = 0; c < k; c++) {
      chosen[c] = matrix[rows[c]];
    }
    int[][] inverse = GfMatrix.invert(chosen);
    synchronized (decodeMatrices) {
      decodeMatrices.put(key, inverse);
    }
    return inverse;
  }

  private int[] allParity() {
    int[] out = new int[m];
    for (int p = 0; p < m; p++) {
      out[p] = k + p;
    }
    return out;
  }

  /** The product tables of the coding matrix's rows {@code shardIndices}: [output][input]. */
  private byte[][][] parityRows(int[] shardIndices) {
    byte[][][] tables = new byte[shardIndices.length][k][];
    for (int o = 0; o < shardIndices.length; o++) {
      for (int c = 0; c < k; c++) {
        tables[o][c] = Gf256.row(matrix[shardIndices[o]][c]);
      }
    }
    return tables;
  }

  /**
   * {@code outputs[o] = Σ_i tables[o][i][inputs[i]]}, byte by byte, where {@code tables[o][i]} is
   * the product table of one coefficient. The hot loop: one table lookup and one XOR per byte,
   * slice by slice so that the outputs being summed stay in cache.
   */
  static void code(byte[][][] tables, byte[][] inputs, byte[][] outputs, int length) {
    for (int from = 0; from < length; from += SLICE) {
      int to = Math.min(length, from + SLICE);
      for (int i = 0; i < inputs.length; i++) {
        byte[] in = inputs[i];
        for (int o = 0; o < outputs.length; o++) {
          byte[] table = tables[o][i];
          byte[] out = outputs[o];
          if (i == 0) {
            for (int b = from; b < to; b++) {
              out[b] = table[in[b] & 0xFF];
            }
          } else {
            for (int b = from; b < to; b++) {
              out[b] ^= table[in[b] & 0xFF];
            }
          }
        }
      }
    }
  }

  /** Checks the shard count and that every shard there has one length; returns that length. */
  private int checkShards(byte[][] shards) {
    if (shards.length != k + m) {
      throw invalid(
          "a " + k + "+" + m + " code takes " + (k + m) + " shards, not " + shards.length);
    }
    int length = -1;
    for (byte[] shard : shards) {
      if (shard != null) {
        if (length >= 0 && shard.length != length) {
          throw invalid("shards of " + length + " and " + shard.length + " bytes");
        }
        length = shard.length;
      }
    }
    return Math.max(length, 0);
  }

  private static int[] lost(boolean[] present, int from, int to) {
    int n = 0;
    for (int i = from; i < to; i++) {
      if (!present[i]) {
        n++;
      }
    }
    int[] out = new int[n];
    for (int i = from, j = 0; i < to; i++) {
      if (!present[i]) {
        out[j++] = i;
      }
    }
    return out;
  }

  private static byte[][] slice(byte[][] shards, int from, int to) {
    byte[][] out = new byte[to - from][];
    System.arraycopy(shards, from, out, 0, to - from);
    return out;
  }

  private static FerryException invalid(String message) {
    return new FerryException(ErrorCode.INVALID_ARGUMENT, message);
  }

  private static <K, V> Map<K, V> lru(int entries) {
    return new LinkedHashMap<>(16, 0.75f, true) {
      private static final long serialVersionUID = 1L;

      @Override
      protected boolean removeEldestEntry(Map.Entry<K, V> eldest) {
        return size() > entries;
      }
    };
  }
}
