package io.ferry.gossip.value;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import com.google.protobuf.ByteString;
import io.ferry.core.Bytes;
import io.ferry.core.FerryException;
import io.ferry.core.Hash;
import io.ferry.core.Limits;
import io.ferry.core.archive.SnapshotHashes;
import io.ferry.wire.v1.SnapshotSlot;
import java.util.ArrayList;
import java.util.List;
import org.junit.jupiter.api.Test;

class SnapshotHashesCodecTest {

  private static Hash hash(long n) {
    byte[] b = new byte[32];
    b[0] = (byte) n;
    b[1] = (byte) (n >> 8);
    b[31] = 3;
    return Hash.of(b);
  }

  private static SnapshotHashes.Slot slot(long height) {
    return new SnapshotHashes.Slot(height, hash(height));
  }

  private static SnapshotSlot slotProto(long height, int hashBytes) {
    return SnapshotSlot.newBuilder()
        .setHeight(height)
        .setHash(ByteString.copyFrom(new byte[hashBytes]))
        .build();
  }

  private static String refusal(io.ferry.wire.v1.SnapshotHashes proto) {
    return switch (SnapshotHashesCodec.decode(Bytes.wrap(proto.toByteArray()))) {
      case Result.Refused<SnapshotHashes> r -> r.reason();
      case Result.Ok<SnapshotHashes> ok -> throw new AssertionError("taken: " + ok.value());
    };
  }

  private static io.ferry.wire.v1.SnapshotHashes hashes(long full, long... incrementals) {
    io.ferry.wire.v1.SnapshotHashes.Builder b =
        io.ferry.wire.v1.SnapshotHashes.newBuilder().setFull(slotProto(full, 32));
    for (long i : incrementals) {
      b.addIncrementals(slotProto(i, 32));
    }
    return b.build();
  }

  @Test
  void snapshotHashesSurviveTheirEncoding() {
    SnapshotHashes h = new SnapshotHashes(slot(100), List.of(slot(110), slot(120)));
    assertThat(SnapshotHashesCodec.decode(SnapshotHashesCodec.encode(h))).isEqualTo(Result.ok(h));
    assertThat(h.newestIncremental()).contains(slot(120));
    SnapshotHashes fullOnly = new SnapshotHashes(slot(100), List.of());
    assertThat(SnapshotHashesCodec.decode(SnapshotHashesCodec.encode(fullOnly)))
        .isEqualTo(Result.ok(fullOnly));
    assertThat(fullOnly.newestIncremental()).isEmpty();
  }

  @Test
  void aFullSnapshotIsRequired() {
    assertThat(
            refusal(
                io.ferry.wire.v1.SnapshotHashes.newBuilder()
                    .addIncrementals(slotProto(5, 32))
                    .build()))
        .contains("without a full");
    assertThatThrownBy(() -> new SnapshotHashes(null, List.of()))
        .isInstanceOf(FerryException.class);
  }

  @Test
  void atMostTheLimitOfIncrementals() {
    int max = Limits.MAX_INCREMENTAL_SNAPSHOT_HASHES;
    long[] atLimit = new long[max];
    long[] over = new long[max + 1];
    for (int i = 0; i < over.length; i++) {
      over[i] = 11 + i;
      if (i < max) {
        atLimit[i] = 11 + i;
      }
    }
    assertThat(SnapshotHashesCodec.decode(Bytes.wrap(hashes(10, atLimit).toByteArray())))
        .isInstanceOf(Result.Ok.class);
    assertThat(refusal(hashes(10, over))).contains((max + 1) + " incrementals");
    List<SnapshotHashes.Slot> slots = new ArrayList<>();
    for (long h : over) {
      slots.add(slot(h));
    }
    assertThatThrownBy(() -> new SnapshotHashes(slot(10), slots))
        .isInstanceOf(FerryException.class);
  }

  @Test
  void incrementalsAreAboveTheFullAndAscending() {
    assertThat(refusal(hashes(10, 10))).contains("not above 10");
    assertThat(refusal(hashes(10, 5))).contains("not above 10");
    assertThat(refusal(hashes(10, 12, 11))).contains("not above 12");
    assertThat(refusal(hashes(10, 12, 12))).contains("not above 12");
    assertThatThrownBy(() -> new SnapshotHashes(slot(10), List.of(slot(10))))
        .isInstanceOf(FerryException.class);
  }

  @Test
  void hashesAreThirtyTwoBytesAndHeightsNotNegative() {
    assertThat(
            refusal(
                io.ferry.wire.v1.SnapshotHashes.newBuilder().setFull(slotProto(10, 31)).build()))
        .contains("31-byte");
    assertThat(
            refusal(
                io.ferry.wire.v1.SnapshotHashes.newBuilder()
                    .setFull(slotProto(10, 32))
                    .addIncrementals(slotProto(11, 33))
                    .build()))
        .contains("33-byte");
    // uint64 on the wire: above 2^63 - 1 a height reads negative.
    assertThat(
            refusal(
                io.ferry.wire.v1.SnapshotHashes.newBuilder().setFull(slotProto(-1, 32)).build()))
        .isNotEmpty();
  }

  @Test
  void bytesThatAreNoSnapshotHashesAreRefused() {
    assertThat(SnapshotHashesCodec.decode(Bytes.wrap(new byte[] {(byte) 0xff, 0x7f})))
        .isInstanceOf(Result.Refused.class);
  }
}
