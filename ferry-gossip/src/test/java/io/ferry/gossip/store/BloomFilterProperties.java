package io.ferry.gossip.store;

import static org.assertj.core.api.Assertions.assertThat;

import io.ferry.core.Hash;
import io.ferry.core.Sha256Hasher;
import java.nio.ByteBuffer;
import java.util.HashSet;
import java.util.List;
import java.util.Set;
import java.util.SplittableRandom;
import net.jqwik.api.Arbitraries;
import net.jqwik.api.Arbitrary;
import net.jqwik.api.ForAll;
import net.jqwik.api.Property;
import net.jqwik.api.Provide;
import net.jqwik.api.constraints.DoubleRange;
import net.jqwik.api.constraints.IntRange;
import net.jqwik.api.constraints.Scale;

class BloomFilterProperties {

  /** Hashes as value hashes are: SHA-256 outputs (of numbers, cheaper to draw than 32 bytes). */
  @Provide
  Arbitrary<List<Hash>> hashes() {
    return Arbitraries.longs()
        .map(n -> Sha256Hasher.INSTANCE.hash(ByteBuffer.allocate(8).putLong(n).array()))
        .list()
        .ofMaxSize(2_000);
  }

  private static Hash random(SplittableRandom random) {
    byte[] b = new byte[Hash.LENGTH];
    random.nextBytes(b);
    return Hash.of(b);
  }

  @Property(tries = 200)
  void aFilterHoldsEveryHashAddedToIt(
      @ForAll("hashes") List<Hash> held,
      @ForAll @DoubleRange(min = 0.001, max = 0.5) @Scale(3) double fpRate,
      @ForAll long seed) {
    BloomFilter f = BloomFilter.forItems(held.size(), fpRate, seed);
    held.forEach(f::add);
    assertThat(held).allMatch(f::mightContain);
    BloomFilter back = BloomFilter.fromProto(f.toProto());
    assertThat(held).allMatch(back::mightContain);
  }

  @Property(tries = 20)
  void theFalsePositiveRateIsNearItsTarget(
      @ForAll @IntRange(min = 1, max = 13_000) int items, @ForAll long seed) {
    SplittableRandom random = new SplittableRandom(seed);
    BloomFilter f = BloomFilter.forItems(items, 0.1, random.nextLong());
    Set<Hash> held = new HashSet<>();
    while (held.size() < items) {
      Hash h = random(random);
      held.add(h);
      f.add(h);
    }
    int probes = 10_000;
    int positives = 0;
    for (int i = 0; i < probes; i++) {
      Hash probe = random(random);
      if (!held.contains(probe) && f.mightContain(probe)) {
        positives++;
      }
    }
    assertThat(positives / (double) probes).isLessThan(0.2);
  }

  @Property(tries = 100)
  void aFilterSurvivesTheWireBitForBit(@ForAll("hashes") List<Hash> held, @ForAll long seed) {
    BloomFilter f = BloomFilter.forItems(held.size(), 0.1, seed);
    held.forEach(f::add);
    BloomFilter back = BloomFilter.fromProto(f.toProto());
    assertThat(back.toProto()).isEqualTo(f.toProto());
    SplittableRandom random = new SplittableRandom(seed);
    for (int i = 0; i < 200; i++) {
      Hash probe = random(random);
      assertThat(back.mightContain(probe)).isEqualTo(f.mightContain(probe));
    }
  }
}
