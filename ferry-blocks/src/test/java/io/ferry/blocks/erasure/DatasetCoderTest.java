package io.ferry.blocks.erasure;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import io.ferry.blocks.cid.Cid;
import io.ferry.blocks.cid.Multicodec;
import io.ferry.blocks.dataset.Protection;
import io.ferry.core.ErrorCode;
import io.ferry.core.FerryException;
import java.nio.charset.StandardCharsets;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Random;
import org.junit.jupiter.api.Test;

/**
 * Parity over a dataset in Codex's interleaved layout, and repair of lost blocks, on 4+2 over 22
 * original blocks (the last one short): 6 steps, 24 data blocks of which 2 are padding, 12 parity.
 */
class DatasetCoderTest {
  static final int BLOCK = 64;
  static final int K = 4;
  static final int M = 2;
  static final long SIZE = 21L * BLOCK + 10;
  static final Protection P =
      new Protection(
          K, M, Cid.hash(Multicodec.FERRY_TREE, "tree".getBytes(StandardCharsets.UTF_8)), SIZE);

  /** The original's blocks, the last zero-padded to a full block. */
  static byte[][] original(Protection p, int blockSize, long seed) {
    Random random = new Random(seed);
    int n = (int) p.originalBlocks(blockSize);
    byte[][] blocks = new byte[n][blockSize];
    for (int i = 0; i < n; i++) {
      int bytes = (int) Math.min(blockSize, p.originalSize() - (long) i * blockSize);
      byte[] content = new byte[bytes];
      random.nextBytes(content);
      System.arraycopy(content, 0, blocks[i], 0, bytes);
    }
    return blocks;
  }

  /** Every block of the protected dataset: data, zero padding, then parity. */
  static byte[][] protectedDataset(Protection p, int blockSize, byte[][] original) {
    byte[][] all = new byte[(int) p.blocks(blockSize)][];
    for (int i = 0; i < p.k() * p.steps(blockSize); i++) {
      all[i] = i < original.length ? original[i] : new byte[blockSize];
    }
    DatasetCoder.encode(p, blockSize, i -> original[i], (index, block) -> all[index] = block);
    return all;
  }

  /** Repairs every group of {@code damaged} (null where lost) and returns the whole dataset. */
  static byte[][] repairAll(Protection p, int blockSize, byte[][] damaged) {
    byte[][] out = new byte[damaged.length][];
    for (int step = 0; step < p.steps(blockSize); step++) {
      int[] members = p.members(step, blockSize);
      byte[][] group = new byte[members.length][];
      for (int j = 0; j < members.length; j++) {
        group[j] = damaged[members[j]];
      }
      byte[][] repaired = DatasetCoder.repair(p, blockSize, step, group);
      for (int j = 0; j < members.length; j++) {
        out[members[j]] = repaired[j];
      }
    }
    return out;
  }

  @Test
  void parityIsTheCodeOfEachInterleavedGroup() {
    assertThat(P.steps(BLOCK)).isEqualTo(6);
    assertThat(P.blocks(BLOCK)).isEqualTo(36);
    byte[][] original = original(P, BLOCK, 1);
    Map<Integer, byte[]> parity = new LinkedHashMap<>();
    DatasetCoder.encode(P, BLOCK, i -> original[i], parity::put);
    // Group by group, each group's parity members in order: 24, 30, 25, 31, ...
    List<Integer> expectedOrder = new ArrayList<>();
    for (int s = 0; s < 6; s++) {
      expectedOrder.add(24 + s);
      expectedOrder.add(30 + s);
    }
    assertThat(parity.keySet()).containsExactlyElementsOf(expectedOrder);
    ReedSolomon rs = ReedSolomon.of(K, M);
    for (int s = 0; s < 6; s++) {
      byte[][] group = new byte[K + M][];
      for (int j = 0; j < K; j++) {
        int index = s + j * 6;
        group[j] = index < 22 ? original[index] : new byte[BLOCK];
      }
      group[K] = parity.get(24 + s);
      group[K + 1] = parity.get(30 + s);
      assertThat(rs.verify(group)).as("group %d", s).isTrue();
    }
  }

  @Test
  void encodingStreamsOneGroupAtATimeAndNeverAsksForPadding() {
    byte[][] original = original(P, BLOCK, 2);
    List<String> events = new ArrayList<>();
    DatasetCoder.encode(
        P,
        BLOCK,
        i -> {
          events.add("data " + i);
          return original[i];
        },
        (index, block) -> events.add("parity " + index));
    List<String> expected = new ArrayList<>();
    for (int s = 0; s < 6; s++) {
      for (int j = 0; j < K; j++) {
        if (s + j * 6 < 22) {
          expected.add("data " + (s + j * 6));
        }
      }
      expected.add("parity " + (24 + s));
      expected.add("parity " + (30 + s));
    }
    assertThat(events).containsExactlyElementsOf(expected);
    assertThat(events).doesNotContain("data 22", "data 23");
  }

  @Test
  void everyRunOfStepsTimesMConsecutiveLostBlocksIsRepaired() {
    byte[][] all = protectedDataset(P, BLOCK, original(P, BLOCK, 3));
    int run = 6 * M;
    for (int start = 0; start + run <= all.length; start++) {
      byte[][] damaged = all.clone();
      Arrays.fill(damaged, start, start + run, null);
      assertThat(repairAll(P, BLOCK, damaged)).as("run from %d", start).isDeepEqualTo(all);
    }
  }

  @Test
  void lostPaddingCostsNothing() {
    byte[][] all = protectedDataset(P, BLOCK, original(P, BLOCK, 4));
    // Group 4 is data 4, 10, 16 and padding 22, parity 28, 34; group 5 has padding 23.
    byte[][] damaged = all.clone();
    for (int index : new int[] {22, 23, 4, 10, 5, 11}) {
      damaged[index] = null;
    }
    assertThat(DatasetCoder.isPadding(P, BLOCK, 22)).isTrue();
    assertThat(DatasetCoder.isPadding(P, BLOCK, 21)).isFalse();
    assertThat(DatasetCoder.isPadding(P, BLOCK, 24)).isFalse();
    assertThat(repairAll(P, BLOCK, damaged)).isDeepEqualTo(all);
  }

  @Test
  void oneMoreThanMLostInAGroupIsATypedError() {
    byte[][] all = protectedDataset(P, BLOCK, original(P, BLOCK, 5));
    byte[][] damaged = all.clone();
    // 13 consecutive blocks from 0 take 0, 6 and 12 of group 0.
    Arrays.fill(damaged, 0, 6 * M + 1, null);
    assertThatThrownBy(() -> repairAll(P, BLOCK, damaged))
        .isInstanceOfSatisfying(
            FerryException.class, e -> assertThat(e.code()).isEqualTo(ErrorCode.INVALID_ARGUMENT))
        .hasMessageContaining("group 0 lost 3 of its 6 blocks");
  }

  @Test
  void badArgumentsAreTypedErrors() {
    byte[][] original = original(P, BLOCK, 6);
    byte[][] group = new byte[K + M][BLOCK];
    assertInvalid(() -> DatasetCoder.repair(P, BLOCK, 6, group), "step 6 is not in 0..5");
    assertInvalid(() -> DatasetCoder.repair(P, BLOCK, -1, group), "step -1");
    assertInvalid(() -> DatasetCoder.repair(P, BLOCK, 0, new byte[K][]), "has 6 blocks, not 4");
    byte[][] shortBlock = group.clone();
    shortBlock[1] = new byte[BLOCK - 1];
    assertInvalid(() -> DatasetCoder.repair(P, BLOCK, 0, shortBlock), "has 63 bytes, not 64");
    assertInvalid(
        () -> DatasetCoder.encode(P, BLOCK, i -> new byte[3], (i, b) -> {}),
        "block 0 has 3 bytes, not 64");
    assertInvalid(
        () -> DatasetCoder.encode(P, BLOCK, i -> null, (i, b) -> {}), "block 0 has no bytes");
    assertInvalid(
        () -> DatasetCoder.encode(P, 0, i -> original[i], (i, b) -> {}), "a block size of 0");
  }

  private static void assertInvalid(Runnable call, String message) {
    assertThatThrownBy(call::run)
        .isInstanceOfSatisfying(
            FerryException.class, e -> assertThat(e.code()).isEqualTo(ErrorCode.INVALID_ARGUMENT))
        .hasMessageContaining(message);
  }
}
