package io.ferry.sync.proof.client;

import io.ferry.core.Bytes;
import io.ferry.core.Hash;
import io.ferry.core.KeyRange;
import io.ferry.merkledb.KeyChange;
import java.util.Optional;
import net.jqwik.api.Arbitraries;
import net.jqwik.api.Arbitrary;
import net.jqwik.api.Combinators;

/**
 * jqwik generators for sync store contents: short keys over bytes that sit at the edges of the
 * order (0x00 is what {@link io.ferry.core.KeyRange#successor} appends, 0xff sorts last), so ranges
 * and keys collide often and bound handling is exercised.
 */
final class SyncStoreArbitraries {
  private SyncStoreArbitraries() {}

  static Arbitrary<Bytes> keys() {
    return Arbitraries.of((byte) 0x00, (byte) 0x01, (byte) 0x7f, (byte) 0x80, (byte) 0xff)
        .array(byte[].class)
        .ofMaxSize(3)
        .map(Bytes::wrap);
  }

  static Arbitrary<Bytes> values() {
    return Arbitraries.bytes().array(byte[].class).ofMaxSize(8).map(Bytes::wrap);
  }

  static Arbitrary<Hash> hashes() {
    return Arbitraries.bytes().array(byte[].class).ofSize(Hash.LENGTH).map(Hash::wrap);
  }

  /** Inclusive ranges; each bound is absent about one time in four. */
  static Arbitrary<KeyRange> ranges() {
    Arbitrary<Optional<Bytes>> bound = keys().optional(0.75);
    return Combinators.combine(bound, bound)
        .as(
            (a, b) -> {
              if (a.isPresent() && b.isPresent() && a.get().compareTo(b.get()) > 0) {
                return new KeyRange(b, a);
              }
              return new KeyRange(a, b);
            });
  }

  static Arbitrary<CompletedRange> completedRanges() {
    return Combinators.combine(ranges(), hashes()).as(CompletedRange::new);
  }

  static Arbitrary<KeyChange> changes() {
    return Combinators.combine(keys(), values().optional(0.7)).as(KeyChange::new);
  }
}
