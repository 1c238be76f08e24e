package io.ferry.gossip.store;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import io.ferry.core.ErrorCode;
import io.ferry.core.FerryException;
import io.ferry.core.Hash;
import io.ferry.core.Limits;
import io.ferry.core.Sha256Hasher;
import java.util.ArrayList;
import java.util.List;
import java.util.function.UnaryOperator;
import org.junit.jupiter.api.Test;

class BloomFilterTest {

  static Hash hash(int n) {
    return Sha256Hasher.INSTANCE.hash(new byte[] {(byte) n, (byte) (n >> 8), (byte) (n >> 16)});
  }

  private static void assertRefused(
      UnaryOperator<io.ferry.wire.v1.BloomFilter.Builder> edit, ErrorCode code) {
    io.ferry.wire.v1.BloomFilter proto =
        edit.apply(BloomFilter.forItems(10, 0.1, 1).toProto().toBuilder()).build();
    assertThatThrownBy(() -> BloomFilter.fromProto(proto))
        .isInstanceOfSatisfying(FerryException.class, e -> assertThat(e.code()).isEqualTo(code));
  }

  @Test
  void anEmptyFilterHoldsNothingAndAFilledOneHoldsWhatWasAdded() {
    BloomFilter empty = BloomFilter.forItems(0, 0.1, 7);
    for (int i = 0; i < 1000; i++) {
      assertThat(empty.mightContain(hash(i))).isFalse();
    }
    BloomFilter f = BloomFilter.forItems(100, 0.1, 7);
    for (int i = 0; i < 100; i++) {
      f.add(hash(i));
    }
    for (int i = 0; i < 100; i++) {
      assertThat(f.mightContain(hash(i))).isTrue();
    }
  }

  @Test
  void sizesStayWithinTheLimits() {
    int capacity = BloomFilter.capacity(0.1);
    assertThat(capacity).isBetween(10_000, 20_000);
    for (int items : new int[] {0, 1, 10, 1_000, capacity, 10 * capacity, Integer.MAX_VALUE}) {
      BloomFilter f = BloomFilter.forItems(items, 0.1, 0);
      assertThat(f.numBits()).isBetween(64, Limits.MAX_BLOOM_FILTER_BYTES * 8);
      assertThat(f.numHashes()).isBetween(1, Limits.MAX_BLOOM_HASHES);
      assertThat(f.toProto().getSerializedSize())
          .isLessThanOrEqualTo(Limits.MAX_BLOOM_FILTER_BYTES + 32);
    }
    // At capacity the filter takes all the bytes it may, with the optimal number of hashes.
    BloomFilter full = BloomFilter.forItems(capacity, 0.1, 0);
    assertThat(full.numBits())
        .isBetween(Limits.MAX_BLOOM_FILTER_BYTES * 8 - 64, Limits.MAX_BLOOM_FILTER_BYTES * 8);
    assertThat(full.numHashes()).isEqualTo(3);
  }

  @Test
  void anotherSeedGivesOtherFalsePositives() {
    List<Hash> held = new ArrayList<>();
    for (int i = 0; i < 500; i++) {
      held.add(hash(i));
    }
    BloomFilter a = BloomFilter.forItems(held.size(), 0.1, 1);
    BloomFilter b = BloomFilter.forItems(held.size(), 0.1, 2);
    held.forEach(a::add);
    held.forEach(b::add);
    int both = 0;
    int inA = 0;
    for (int i = 10_000; i < 20_000; i++) {
      boolean fa = a.mightContain(hash(i));
      inA += fa ? 1 : 0;
      both += fa && b.mightContain(hash(i)) ? 1 : 0;
    }
    assertThat(inA).isPositive();
    // Independent: a value hidden by one filter is rarely hidden by the next pull's too.
    assertThat(both).isLessThan(inA / 3);
  }

  @Test
  void aFilterSurvivesTheWire() {
    BloomFilter f = BloomFilter.forItems(50, 0.1, -5);
    for (int i = 0; i < 50; i++) {
      f.add(hash(i));
    }
    BloomFilter back = BloomFilter.fromProto(f.toProto());
    assertThat(back.toProto()).isEqualTo(f.toProto());
    assertThat(back.numBits()).isEqualTo(f.numBits());
    assertThat(back.numHashes()).isEqualTo(f.numHashes());
    for (int i = 0; i < 2_000; i++) {
      assertThat(back.mightContain(hash(i))).isEqualTo(f.mightContain(hash(i)));
    }
  }

  @Test
  void fromProtoRefusesSizesOverTheLimitsBeforeAllocating() {
    int maxBits = Limits.MAX_BLOOM_FILTER_BYTES * 8;
    // The announced sizes are checked, not the words that came: none of these has many.
    assertRefused(b -> b.setNumBits(maxBits + 1), ErrorCode.LIMIT_EXCEEDED);
    assertRefused(b -> b.setNumBits(Integer.MAX_VALUE), ErrorCode.LIMIT_EXCEEDED);
    assertRefused(b -> b.setNumBits(-1), ErrorCode.LIMIT_EXCEEDED); // 2^32 - 1 as a uint32
    assertRefused(b -> b.setNumBits(0), ErrorCode.LIMIT_EXCEEDED);
    assertRefused(b -> b.setNumHashes(Limits.MAX_BLOOM_HASHES + 1), ErrorCode.LIMIT_EXCEEDED);
    assertRefused(b -> b.setNumHashes(0), ErrorCode.LIMIT_EXCEEDED);
    assertRefused(b -> b.setNumHashes(-1), ErrorCode.LIMIT_EXCEEDED);
    // Words that do not match the bits announced.
    assertRefused(b -> b.addBits(0), ErrorCode.INVALID_ENCODING);
    assertRefused(b -> b.clearBits(), ErrorCode.INVALID_ENCODING);
    assertRefused(b -> b.setNumBits(b.getNumBits() + 64), ErrorCode.INVALID_ENCODING);
    // At the limit it is taken.
    io.ferry.wire.v1.BloomFilter.Builder atLimit =
        io.ferry.wire.v1.BloomFilter.newBuilder()
            .setNumBits(maxBits)
            .setNumHashes(Limits.MAX_BLOOM_HASHES);
    for (int i = 0; i < maxBits / 64; i++) {
      atLimit.addBits(-1L);
    }
    assertThat(BloomFilter.fromProto(atLimit.build()).mightContain(hash(1))).isTrue();
  }
}
