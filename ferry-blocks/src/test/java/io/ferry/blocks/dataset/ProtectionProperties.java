package io.ferry.blocks.dataset;

import static org.assertj.core.api.Assertions.assertThat;

import io.ferry.blocks.cid.Cid;
import io.ferry.blocks.cid.Multicodec;
import java.util.BitSet;
import net.jqwik.api.ForAll;
import net.jqwik.api.Property;
import net.jqwik.api.constraints.IntRange;

class ProtectionProperties {
  private static final Cid ORIGINAL = Cid.hash(Multicodec.FERRY_TREE, new byte[] {2});

  /** The groups partition the protected dataset, and each member knows its group. */
  @Property
  void groupsPartitionTheBlocks(
      @ForAll @IntRange(min = 1, max = 8) int k,
      @ForAll @IntRange(min = 1, max = 4) int m,
      @ForAll @IntRange(min = 1, max = 100) int blocks) {
    Protection p = new Protection(k, m, ORIGINAL, (long) blocks * 16 - 3);
    int steps = (int) p.steps(16);
    BitSet seen = new BitSet();
    for (int step = 0; step < steps; step++) {
      int[] members = p.members(step, 16);
      assertThat(members).hasSize(k + m);
      for (int i : members) {
        assertThat(seen.get(i)).isFalse();
        seen.set(i);
        assertThat(p.group(i, 16)).isEqualTo(step);
      }
    }
    assertThat(seen.cardinality()).isEqualTo((int) p.blocks(16));
    assertThat(seen.nextClearBit(0)).isEqualTo((int) p.blocks(16));
  }

  /**
   * Interleaving: losing any run of up to steps × m consecutive blocks loses at most m of a group.
   */
  @Property
  void aRunOfLostBlocksHitsEachGroupAtMostMTimes(
      @ForAll @IntRange(min = 1, max = 8) int k,
      @ForAll @IntRange(min = 1, max = 4) int m,
      @ForAll @IntRange(min = 1, max = 100) int blocks,
      @ForAll @IntRange(min = 0, max = 10_000) int start) {
    Protection p = new Protection(k, m, ORIGINAL, (long) blocks * 16);
    int steps = (int) p.steps(16);
    int total = (int) p.blocks(16);
    int from = start % total;
    int[] lost = new int[steps];
    for (int i = from; i < Math.min(total, from + steps * m); i++) {
      lost[p.group(i, 16)]++;
    }
    for (int l : lost) {
      assertThat(l).isLessThanOrEqualTo(m);
    }
  }
}
