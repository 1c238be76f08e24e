package io.ferry.blocks.erasure;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import io.ferry.core.ErrorCode;
import io.ferry.core.FerryException;
import java.util.ArrayList;
import java.util.Collections;
import java.util.List;
import java.util.Random;
import net.jqwik.api.ForAll;
import net.jqwik.api.Property;
import net.jqwik.api.constraints.IntRange;

/** Any k of k + m shards give back all of them; fewer is a typed error, never wrong bytes. */
class ReedSolomonProperties {
  private static byte[][] encoded(ReedSolomon rs, int length, Random random) {
    byte[][] shards = new byte[rs.totalShards()][];
    for (int i = 0; i < rs.dataShards(); i++) {
      shards[i] = new byte[length];
      random.nextBytes(shards[i]);
    }
    rs.encode(shards);
    return shards;
  }

  private static byte[][] copy(byte[][] shards) {
    byte[][] out = new byte[shards.length][];
    for (int i = 0; i < shards.length; i++) {
      out[i] = shards[i].clone();
    }
    return out;
  }

  /** {@code count} distinct shard indices drawn at random. */
  private static List<Integer> pick(int total, int count, Random random) {
    List<Integer> all = new ArrayList<>();
    for (int i = 0; i < total; i++) {
      all.add(i);
    }
    Collections.shuffle(all, random);
    return all.subList(0, count);
  }

  @Property(tries = 300)
  void upToMLostShardsAreRebuilt(
      @ForAll @IntRange(min = 1, max = 12) int k,
      @ForAll @IntRange(min = 1, max = 6) int m,
      @ForAll @IntRange(min = 0, max = 3 * ReedSolomon.SLICE / 2) int length,
      @ForAll long seed) {
    Random random = new Random(seed);
    ReedSolomon rs = ReedSolomon.of(k, m);
    byte[][] original = encoded(rs, length, random);
    assertThat(rs.verify(original)).isTrue();
    byte[][] shards = copy(original);
    boolean[] present = new boolean[k + m];
    java.util.Arrays.fill(present, true);
    for (int lost : pick(k + m, random.nextInt(m + 1), random)) {
      present[lost] = false;
      // A lost shard arrives as nothing, or as an array holding garbage to be overwritten.
      if (random.nextBoolean()) {
        shards[lost] = null;
      } else {
        random.nextBytes(shards[lost]);
      }
    }
    rs.reconstruct(shards, present);
    assertThat(shards).isDeepEqualTo(original);
  }

  @Property(tries = 200)
  void moreThanMLostIsATypedErrorThatWritesNothing(
      @ForAll @IntRange(min = 1, max = 12) int k,
      @ForAll @IntRange(min = 1, max = 6) int m,
      @ForAll @IntRange(min = 1, max = 2000) int length,
      @ForAll long seed) {
    Random random = new Random(seed);
    ReedSolomon rs = ReedSolomon.of(k, m);
    byte[][] shards = encoded(rs, length, random);
    boolean[] present = new boolean[k + m];
    java.util.Arrays.fill(present, true);
    for (int lost : pick(k + m, m + 1 + random.nextInt(k), random)) {
      present[lost] = false;
      java.util.Arrays.fill(shards[lost], (byte) 0x5A);
    }
    byte[][] before = copy(shards);
    assertThatThrownBy(() -> rs.reconstruct(shards, present))
        .isInstanceOfSatisfying(
            FerryException.class, e -> assertThat(e.code()).isEqualTo(ErrorCode.INVALID_ARGUMENT))
        .hasMessageContaining("rebuilds at most " + m);
    assertThat(shards).isDeepEqualTo(before);
  }

  /** Parity is linear in the data: the code of a XOR b is the XOR of their codes. */
  @Property(tries = 100)
  void parityIsLinear(
      @ForAll @IntRange(min = 1, max = 20) int k,
      @ForAll @IntRange(min = 1, max = 8) int m,
      @ForAll @IntRange(min = 1, max = 64) int length,
      @ForAll long seed) {
    Random random = new Random(seed);
    ReedSolomon rs = ReedSolomon.of(k, m);
    byte[][] a = encoded(rs, length, random);
    byte[][] b = encoded(rs, length, random);
    byte[][] sum = new byte[k + m][];
    for (int i = 0; i < k; i++) {
      sum[i] = new byte[length];
      for (int j = 0; j < length; j++) {
        sum[i][j] = (byte) (a[i][j] ^ b[i][j]);
      }
    }
    rs.encode(sum);
    for (int p = k; p < k + m; p++) {
      for (int j = 0; j < length; j++) {
        assertThat(sum[p][j]).isEqualTo((byte) (a[p][j] ^ b[p][j]));
      }
    }
  }

  @Property(tries = 100)
  void verifyFindsAnyChangedByte(
      @ForAll @IntRange(min = 1, max = 10) int k,
      @ForAll @IntRange(min = 1, max = 5) int m,
      @ForAll @IntRange(min = 1, max = 100) int length,
      @ForAll long seed) {
    Random random = new Random(seed);
    ReedSolomon rs = ReedSolomon.of(k, m);
    byte[][] shards = encoded(rs, length, random);
    int shard = random.nextInt(k + m);
    shards[shard][random.nextInt(length)] ^= (byte) (1 + random.nextInt(255));
    assertThat(rs.verify(shards)).isFalse();
  }
}
