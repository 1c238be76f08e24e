package io.ferry.gossip.store;

import static org.assertj.core.api.Assertions.assertThat;

import io.ferry.core.Hash;
import java.nio.ByteBuffer;
import java.util.List;
import net.jqwik.api.Arbitraries;
import net.jqwik.api.Arbitrary;
import net.jqwik.api.ForAll;
import net.jqwik.api.Property;
import net.jqwik.api.Provide;
import net.jqwik.api.constraints.IntRange;

/**
 * The bits a filter sets are the ones its wire format promises peers (the class comment): bit
 * {@code (h1 + i * h2) mod numBits} for {@code i < numHashes}, where {@code h1} and {@code h2} are
 * the hash's first two big-endian words, each xor the seed. Computed here the plain way, from a
 * copy of the bytes, so a faster reading of the words cannot change what goes on the wire.
 */
class BloomFilterSpecProperties {
  @Provide
  Arbitrary<List<Hash>> hashes() {
    return Arbitraries.bytes()
        .array(byte[].class)
        .ofSize(Hash.LENGTH)
        .map(Hash::of)
        .list()
        .ofMaxSize(200);
  }

  @Property(tries = 300)
  void theBitsAreTheOnesTheFormatNames(
      @ForAll("hashes") List<Hash> hashes,
      @ForAll @IntRange(min = 1, max = 500) int sizedFor,
      @ForAll long seed) {
    BloomFilter filter = BloomFilter.forItems(sizedFor, 0.1, seed);
    long[] expected = new long[Math.ceilDiv(filter.numBits(), 64)];
    for (Hash h : hashes) {
      filter.add(h);
      ByteBuffer b = ByteBuffer.wrap(h.toBytes());
      long h1 = b.getLong() ^ seed;
      long h2 = b.getLong() ^ seed;
      for (int i = 0; i < filter.numHashes(); i++) {
        int bit = (int) Long.remainderUnsigned(h1 + i * h2, filter.numBits());
        expected[bit >>> 6] |= 1L << (bit & 63);
      }
    }
    assertThat(filter.toProto().getBitsList())
        .containsExactlyElementsOf(java.util.Arrays.stream(expected).boxed().toList());
    assertThat(hashes).allMatch(filter::mightContain);
  }
}
