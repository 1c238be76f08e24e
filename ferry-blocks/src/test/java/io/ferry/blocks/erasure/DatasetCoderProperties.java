package io.ferry.blocks.erasure;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import io.ferry.blocks.cid.Cid;
import io.ferry.blocks.cid.Multicodec;
import io.ferry.blocks.dataset.Protection;
import io.ferry.core.FerryException;
import java.nio.charset.StandardCharsets;
import java.util.Random;
import net.jqwik.api.ForAll;
import net.jqwik.api.Property;
import net.jqwik.api.constraints.IntRange;

/**
 * Random layouts and losses: repair succeeds exactly when no group lost more than m real blocks.
 */
class DatasetCoderProperties {
  @Property(tries = 200)
  void repairSucceedsExactlyWhenEveryGroupLostAtMostM(
      @ForAll @IntRange(min = 1, max = 6) int k,
      @ForAll @IntRange(min = 1, max = 4) int m,
      @ForAll @IntRange(min = 1, max = 40) int originalBlocks,
      @ForAll @IntRange(min = 1, max = 48) int blockSize,
      @ForAll @IntRange(min = 0, max = 100) int lossPercent,
      @ForAll long seed) {
    Random random = new Random(seed);
    long size = (long) (originalBlocks - 1) * blockSize + 1 + random.nextInt(blockSize);
    Protection p =
        new Protection(
            k, m, Cid.hash(Multicodec.FERRY_TREE, "t".getBytes(StandardCharsets.UTF_8)), size);
    byte[][] all =
        DatasetCoderTest.protectedDataset(
            p, blockSize, DatasetCoderTest.original(p, blockSize, seed));
    byte[][] damaged = all.clone();
    for (int i = 0; i < damaged.length; i++) {
      if (random.nextInt(100) < lossPercent) {
        damaged[i] = null;
      }
    }
    boolean repairable = true;
    for (int step = 0; step < p.steps(blockSize); step++) {
      int lost = 0;
      for (int index : p.members(step, blockSize)) {
        if (damaged[index] == null && !DatasetCoder.isPadding(p, blockSize, index)) {
          lost++;
        }
      }
      repairable &= lost <= m;
    }
    if (repairable) {
      assertThat(DatasetCoderTest.repairAll(p, blockSize, damaged)).isDeepEqualTo(all);
    } else {
      assertThatThrownBy(() -> DatasetCoderTest.repairAll(p, blockSize, damaged))
          .isInstanceOf(FerryException.class)
          .hasMessageContaining("repairs at most " + m);
    }
  }
}
