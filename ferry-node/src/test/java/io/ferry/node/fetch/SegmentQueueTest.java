package io.ferry.node.fetch;

import static org.assertj.core.api.Assertions.assertThat;

import java.util.ArrayList;
import java.util.BitSet;
import java.util.List;
import java.util.Random;
import net.jqwik.api.ForAll;
import net.jqwik.api.Property;
import net.jqwik.api.constraints.IntRange;
import org.junit.jupiter.api.Test;

class SegmentQueueTest {
  /** Taking, failing part-way and giving back: every segment is fetched exactly once in the end. */
  @Property(tries = 200)
  void everySegmentIsHandedOutUntilDoneAndNeverTwiceAtOnce(
      @ForAll @IntRange(min = 1, max = 3000) int segments,
      @ForAll @IntRange(min = 1, max = 16) int connections,
      @ForAll @IntRange(min = 1, max = 32) int maxRun,
      @ForAll long seed) {
    SegmentQueue q = new SegmentQueue(connections, maxRun);
    for (int i = 0; i < segments; i++) {
      q.add(i);
    }
    Random random = new Random(seed);
    BitSet done = new BitSet();
    BitSet out = new BitSet();
    List<SegmentQueue.Run> inFlight = new ArrayList<>();
    while (done.cardinality() < segments) {
      if (inFlight.size() < connections) {
        SegmentQueue.Run r = q.take();
        if (r != null) {
          assertThat(r.count()).isBetween(1, maxRun);
          for (int i = r.first(); i < r.end(); i++) {
            assertThat(out.get(i) || done.get(i)).as("segment %d handed out twice", i).isFalse();
            out.set(i);
          }
          inFlight.add(r);
          continue;
        }
      }
      SegmentQueue.Run r = inFlight.remove(random.nextInt(inFlight.size()));
      // A request completes a prefix of its run; the rest goes back.
      int complete = r.first() + (random.nextInt(4) == 0 ? random.nextInt(r.count()) : r.count());
      out.clear(r.first(), r.end());
      done.set(r.first(), complete);
      q.giveBack(complete, r.end());
    }
    assertThat(q.isEmpty()).isTrue();
    assertThat(q.take()).isNull();
  }

  @Test
  void runsShrinkToOneSegmentAsTheEndNears() {
    SegmentQueue q = new SegmentQueue(8, 16);
    for (int i = 0; i < 1024; i++) {
      q.add(i);
    }
    assertThat(q.take().count()).isEqualTo(16);
    List<Integer> sizes = new ArrayList<>();
    for (SegmentQueue.Run r = q.take(); r != null; r = q.take()) {
      sizes.add(r.count());
    }
    assertThat(sizes.get(sizes.size() - 1)).isEqualTo(1);
    assertThat(sizes.subList(sizes.size() - 16, sizes.size())).allMatch(n -> n == 1);
    for (int i = 1; i < sizes.size(); i++) {
      assertThat(sizes.get(i)).isLessThanOrEqualTo(sizes.get(i - 1));
    }
  }
}
