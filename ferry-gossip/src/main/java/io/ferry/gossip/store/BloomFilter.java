package io.ferry.gossip.store;

import io.ferry.core.ErrorCode;
import io.ferry.core.FerryException;
import io.ferry.core.Hash;
import io.ferry.core.Limits;

/**
 * A Bloom filter over value hashes, as a pull request carries it: the requester adds what it holds,
 * the answerer sends what the filter does not contain. A false positive only delays a value to a
 * later pull, whose filter has another seed.
 *
 * <p>Bit {@code (h1 + i * h2) mod numBits} is set for {@code i < numHashes}, where {@code h1} and
 * {@code h2} are the first two big-endian words of the value's SHA-256, each xor {@code seed}
 * (Kirsch–Mitzenmacher double hashing). Not thread-safe.
 */
public final class BloomFilter {
  private final long[] bits;
  private final int numBits;
  private final int numHashes;
  private final long seed;

  private BloomFilter(long[] bits, int numBits, int numHashes, long seed) {
    this.bits = bits;
    this.numBits = numBits;
    this.numHashes = numHashes;
    this.seed = seed;
  }

  /**
   * An empty filter sized for {@code items} at false-positive rate {@code fpRate}, within {@link
   * Limits#MAX_BLOOM_FILTER_BYTES}.
   */
  public static BloomFilter forItems(int items, double fpRate, long seed) {
    int maxBits = Limits.MAX_BLOOM_FILTER_BYTES * 8;
    double ln2 = Math.log(2);
    int wanted = (int) Math.ceil(-Math.max(items, 1) * Math.log(fpRate) / (ln2 * ln2));
    int numBits = Math.max(64, Math.min(maxBits, wanted));
    int numHashes =
        (int)
            Math.max(
                1,
                Math.min(
                    Limits.MAX_BLOOM_HASHES,
                    Math.round(numBits / (double) Math.max(items, 1) * ln2)));
    return new BloomFilter(new long[Math.ceilDiv(numBits, 64)], numBits, numHashes, seed);
  }

  /** Items one filter holds at {@code fpRate} within the byte limit. */
  public static int capacity(double fpRate) {
    double ln2 = Math.log(2);
    return (int) (Limits.MAX_BLOOM_FILTER_BYTES * 8 * ln2 * ln2 / -Math.log(fpRate));
  }

  public void add(Hash hash) {
    long h1 = hash.longAt(0) ^ seed;
    long h2 = hash.longAt(8) ^ seed;
    for (int i = 0; i < numHashes; i++) {
      int bit = index(h1, h2, i);
      bits[bit >>> 6] |= 1L << (bit & 63);
    }
  }

  public boolean mightContain(Hash hash) {
    long h1 = hash.longAt(0) ^ seed;
    long h2 = hash.longAt(8) ^ seed;
    for (int i = 0; i < numHashes; i++) {
      int bit = index(h1, h2, i);
      if ((bits[bit >>> 6] & (1L << (bit & 63))) == 0) {
        return false;
      }
    }
    return true;
  }

  private int index(long h1, long h2, int i) {
    return (int) Long.remainderUnsigned(h1 + i * h2, numBits);
  }

  public io.ferry.wire.v1.BloomFilter toProto() {
    io.ferry.wire.v1.BloomFilter.Builder b =
        io.ferry.wire.v1.BloomFilter.newBuilder()
            .setNumBits(numBits)
            .setNumHashes(numHashes)
            .setSeed(seed);
    for (long w : bits) {
      b.addBits(w);
    }
    return b.build();
  }

  /**
   * The filter a request carries, its sizes checked against {@link Limits} before anything is
   * allocated.
   *
   * @throws FerryException {@link ErrorCode#LIMIT_EXCEEDED} or {@link ErrorCode#INVALID_ENCODING}
   */
  public static BloomFilter fromProto(io.ferry.wire.v1.BloomFilter proto) {
    int numBits = proto.getNumBits();
    if (numBits <= 0 || numBits > Limits.MAX_BLOOM_FILTER_BYTES * 8) {
      throw new FerryException(ErrorCode.LIMIT_EXCEEDED, "a Bloom filter of " + numBits + " bits");
    }
    if (proto.getNumHashes() <= 0 || proto.getNumHashes() > Limits.MAX_BLOOM_HASHES) {
      throw new FerryException(
          ErrorCode.LIMIT_EXCEEDED, "a Bloom filter with " + proto.getNumHashes() + " hashes");
    }
    if (proto.getBitsCount() != Math.ceilDiv(numBits, 64)) {
      throw new FerryException(
          ErrorCode.INVALID_ENCODING,
          "a Bloom filter of " + numBits + " bits in " + proto.getBitsCount() + " words");
    }
    long[] bits = new long[proto.getBitsCount()];
    for (int i = 0; i < bits.length; i++) {
      bits[i] = proto.getBits(i);
    }
    return new BloomFilter(bits, numBits, proto.getNumHashes(), proto.getSeed());
  }

  public int numBits() {
    return numBits;
  }

  public int numHashes() {
    return numHashes;
  }
}
