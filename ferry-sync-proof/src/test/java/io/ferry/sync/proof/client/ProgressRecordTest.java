package io.ferry.sync.proof.client;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import io.ferry.core.Bytes;
import io.ferry.core.ErrorCode;
import io.ferry.core.FerryException;
import io.ferry.core.Hash;
import io.ferry.core.KeyRange;
import java.util.Arrays;
import java.util.List;
import net.jqwik.api.Arbitrary;
import net.jqwik.api.ForAll;
import net.jqwik.api.Property;
import net.jqwik.api.Provide;
import org.junit.jupiter.api.Test;

/** The progress record's encoding: it round-trips, and every damage to it is caught. */
class ProgressRecordTest {
  @Provide
  Arbitrary<ProgressRecord> records() {
    return net.jqwik.api.Combinators.combine(
            SyncStoreArbitraries.hashes(),
            SyncStoreArbitraries.completedRanges().list().ofMaxSize(6))
        .as(ProgressRecord::new);
  }

  @Property(tries = 200)
  void roundTrips(@ForAll("records") ProgressRecord record) {
    assertThat(ProgressRecord.decode(record.encode())).isEqualTo(record);
  }

  @Property(tries = 30)
  void everyTruncationAndEveryBitFlipIsCorruptData(@ForAll("records") ProgressRecord record) {
    byte[] good = record.encode();
    for (int n = 0; n < good.length; n++) {
      assertCorrupt(Arrays.copyOf(good, n));
    }
    assertCorrupt(Arrays.copyOf(good, good.length + 1));
    for (int i = 0; i < good.length; i++) {
      for (int bit = 0; bit < 8; bit++) {
        byte[] bad = good.clone();
        bad[i] ^= (byte) (1 << bit);
        assertCorrupt(bad);
      }
    }
  }

  @Test
  void anUnknownVersionIsNamed() {
    byte[] bad = new ProgressRecord(Hash.ZERO, List.of()).encode();
    bad[0] = 9;
    assertThatThrownBy(() -> ProgressRecord.decode(bad))
        .isInstanceOf(FerryException.class)
        .hasMessageContaining("unknown format version 9");
  }

  @Test
  void keepsEmptyKeysAndUnboundedSides() {
    ProgressRecord r =
        new ProgressRecord(
            Hash.ZERO,
            List.of(
                new CompletedRange(KeyRange.of(Bytes.EMPTY, Bytes.EMPTY), Hash.ZERO),
                new CompletedRange(KeyRange.ALL, Hash.ZERO),
                new CompletedRange(KeyRange.upTo(Bytes.fromHex("00")), Hash.ZERO),
                new CompletedRange(KeyRange.from(Bytes.fromHex("ff")), Hash.ZERO)));
    assertThat(ProgressRecord.decode(r.encode())).isEqualTo(r);
  }

  private static void assertCorrupt(byte[] data) {
    assertThatThrownBy(() -> ProgressRecord.decode(data))
        .isInstanceOfSatisfying(
            FerryException.class, e -> assertThat(e.code()).isEqualTo(ErrorCode.CORRUPT_DATA))
        .hasMessageContaining("corrupt sync progress record");
  }
}
