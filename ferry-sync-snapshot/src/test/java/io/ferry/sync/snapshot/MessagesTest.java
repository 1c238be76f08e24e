package io.ferry.sync.snapshot;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import com.google.protobuf.ByteString;
import io.ferry.core.Bytes;
import io.ferry.core.ErrorCode;
import io.ferry.core.FerryException;
import io.ferry.core.Limits;
import io.ferry.sync.snapshot.app.Snapshot;
import io.ferry.wire.v1.ChunkRequest;
import io.ferry.wire.v1.ChunkResponse;
import io.ferry.wire.v1.Envelope;
import io.ferry.wire.v1.SnapshotsResponse;
import io.ferry.wire.v1.StateSyncMessage;
import net.jqwik.api.ForAll;
import net.jqwik.api.Property;
import net.jqwik.api.constraints.IntRange;
import net.jqwik.api.constraints.LongRange;
import net.jqwik.api.constraints.Size;
import org.assertj.core.api.ThrowableAssert.ThrowingCallable;
import org.junit.jupiter.api.Test;

/**
 * The state-sync codec: every message round-trips, sizes are CometBFT's decimal 4e6 and 16e6 and
 * are checked before parsing, and whatever does not decode or is out of range is a typed error.
 */
class MessagesTest {
  private static final Snapshot SNAPSHOT =
      new Snapshot(1200, 2, 37, Bytes.wrap(new byte[] {9, 8, 7}), Bytes.wrap(new byte[] {1, 2}));

  @Test
  void capsAreCometBftsDecimalSizes() {
    assertThat(Limits.MAX_SNAPSHOT_MESSAGE_BYTES).isEqualTo(4_000_000);
    assertThat(Limits.MAX_CHUNK_MESSAGE_BYTES).isEqualTo(16_000_000);
    // A chunk message at the cap still fits in a transport frame, envelope and all.
    Envelope env =
        Envelope.newBuilder()
            .setProtocolValue(Integer.MAX_VALUE)
            .setRequestId(-1L) // the longest varint
            .setKindValue(Integer.MAX_VALUE)
            .setPayload(ByteString.copyFrom(new byte[Limits.MAX_CHUNK_MESSAGE_BYTES]))
            .build();
    assertThat(env.getSerializedSize()).isLessThanOrEqualTo(Limits.MAX_FRAME_BYTES);
  }

  @Test
  void everyKindRoundTrips() {
    assertThat(Messages.decode(Messages.listRequest())).isEqualTo(new Messages.ListRequest());
    assertThat(Messages.decode(Messages.listed(SNAPSHOT))).isEqualTo(new Messages.Listed(SNAPSHOT));
    assertThat(Messages.decode(Messages.chunkWanted(1200, 2, 36)))
        .isEqualTo(new Messages.ChunkWanted(1200, 2, 36));
    Bytes chunk = Bytes.wrap(new byte[] {4, 5, 6});
    assertThat(Messages.decode(Messages.chunkSent(1200, 2, 3, chunk)))
        .isEqualTo(new Messages.ChunkSent(1200, 2, 3, chunk, false));
    assertThat(Messages.decode(Messages.chunkMissing(1200, 2, 3)))
        .isEqualTo(new Messages.ChunkSent(1200, 2, 3, Bytes.EMPTY, true));
  }

  @Test
  void anEmptyChunkIsAChunkNotAMissingOne() {
    Messages.Message m = Messages.decode(Messages.chunkSent(5, 0, 0, Bytes.EMPTY));
    assertThat(m).isEqualTo(new Messages.ChunkSent(5, 0, 0, Bytes.EMPTY, false));
  }

  @Property(tries = 50)
  void snapshotListingsRoundTrip(
      @ForAll @LongRange(min = 1) long height,
      @ForAll @IntRange(min = 0) int format,
      @ForAll @IntRange(min = 1, max = Limits.MAX_SNAPSHOT_CHUNKS) int chunks,
      @ForAll @Size(min = 1, max = Limits.MAX_SNAPSHOT_HASH_BYTES) byte[] hash,
      @ForAll @Size(max = 200) byte[] metadata) {
    Snapshot s = new Snapshot(height, format, chunks, Bytes.wrap(hash), Bytes.wrap(metadata));
    assertThat(Messages.decode(Messages.listed(s))).isEqualTo(new Messages.Listed(s));
  }

  @Property(tries = 50)
  void chunksRoundTrip(
      @ForAll @LongRange(min = 0) long height,
      @ForAll @IntRange(min = 0) int format,
      @ForAll @IntRange(min = 0) int index,
      @ForAll @Size(max = 300) byte[] chunk) {
    assertThat(Messages.decode(Messages.chunkSent(height, format, index, Bytes.wrap(chunk))))
        .isEqualTo(new Messages.ChunkSent(height, format, index, Bytes.wrap(chunk), false));
    assertThat(Messages.decode(Messages.chunkWanted(height, format, index)))
        .isEqualTo(new Messages.ChunkWanted(height, format, index));
  }

  // ------------------------------------------------------------------ over the caps

  @Test
  void metadataThatCouldNotBeListedMakesNoSnapshot() {
    // The metadata limit leaves room for the rest of the listing within CometBFT's 4e6 bytes.
    assertError(
        () -> new Snapshot(1, 1, 1, Bytes.wrap(new byte[32]), Bytes.wrap(new byte[4_000_000])),
        ErrorCode.LIMIT_EXCEEDED);
    Snapshot largest =
        new Snapshot(
            Long.MAX_VALUE,
            Integer.MAX_VALUE,
            Limits.MAX_SNAPSHOT_CHUNKS,
            Bytes.wrap(new byte[Limits.MAX_SNAPSHOT_HASH_BYTES]),
            Bytes.wrap(new byte[Limits.MAX_SNAPSHOT_METADATA_BYTES]));
    assertThat(Messages.listed(largest).size())
        .isLessThanOrEqualTo(Limits.MAX_SNAPSHOT_MESSAGE_BYTES);
  }

  @Test
  void aListingOverFourMillionBytesIsRefusedOnArrival() {
    ByteString payload = listing(1, 1, 1, new byte[32], new byte[4_000_000]);
    assertThat(payload.size()).isBetween(4_000_001, 16_000_000);
    assertError(() -> Messages.decode(payload), ErrorCode.LIMIT_EXCEEDED);
  }

  @Test
  void aListingJustUnderTheCapIsTaken() {
    ByteString payload =
        listing(1, 1, 1, new byte[32], new byte[Limits.MAX_SNAPSHOT_METADATA_BYTES]);
    assertThat(payload.size()).isLessThanOrEqualTo(Limits.MAX_SNAPSHOT_MESSAGE_BYTES);
    assertThat(Messages.decode(payload)).isInstanceOf(Messages.Listed.class);
  }

  @Test
  void aChunkOverSixteenMillionBytesIsNotSent() {
    Bytes big = Bytes.wrap(new byte[16_000_000]);
    assertError(() -> Messages.chunkSent(1, 1, 0, big), ErrorCode.LIMIT_EXCEEDED);
  }

  @Test
  void anythingOverSixteenMillionBytesIsRefusedBeforeParsing() {
    // Not even a message: the size alone is enough.
    ByteString junk = ByteString.copyFrom(new byte[16_000_001]);
    assertError(() -> Messages.decode(junk), ErrorCode.LIMIT_EXCEEDED);
  }

  @Test
  void aChunkJustUnderTheCapIsTaken() {
    Bytes chunk = Bytes.wrap(new byte[15_999_900]);
    ByteString payload = Messages.chunkSent(1, 1, 0, chunk);
    assertThat(payload.size()).isLessThanOrEqualTo(Limits.MAX_CHUNK_MESSAGE_BYTES);
    assertThat(((Messages.ChunkSent) Messages.decode(payload)).chunk().length())
        .isEqualTo(15_999_900);
  }

  // ------------------------------------------------------------------ malformed

  @Test
  void bytesThatDoNotParseAreAnEncodingError() {
    assertError(
        () -> Messages.decode(ByteString.copyFrom(new byte[] {(byte) 0xff, (byte) 0xff, 1})),
        ErrorCode.INVALID_ENCODING);
  }

  @Test
  void aMessageOfNoKindIsAnEncodingError() {
    assertError(() -> Messages.decode(ByteString.EMPTY), ErrorCode.INVALID_ENCODING);
  }

  @Test
  void aChunkBothMissingAndPresentIsRefused() {
    ByteString payload =
        StateSyncMessage.newBuilder()
            .setChunkResponse(
                ChunkResponse.newBuilder()
                    .setHeight(1)
                    .setIndex(0)
                    .setMissing(true)
                    .setChunk(ByteString.copyFrom(new byte[] {1})))
            .build()
            .toByteString();
    assertError(() -> Messages.decode(payload), ErrorCode.INVALID_ARGUMENT);
  }

  @Test
  void indexesAndFormatsAbove2To31AreRefused() {
    ByteString request =
        StateSyncMessage.newBuilder()
            .setChunkRequest(ChunkRequest.newBuilder().setHeight(1).setIndex(-1)) // 2^32 - 1
            .build()
            .toByteString();
    assertError(() -> Messages.decode(request), ErrorCode.INVALID_ARGUMENT);
    ByteString response =
        StateSyncMessage.newBuilder()
            .setChunkResponse(ChunkResponse.newBuilder().setHeight(1).setFormat(1 << 31))
            .build()
            .toByteString();
    assertError(() -> Messages.decode(response), ErrorCode.INVALID_ARGUMENT);
  }

  @Test
  void listingsOutOfRangeAreRefused() {
    byte[] hash = new byte[32];
    assertError(
        () -> Messages.decode(listing(0, 1, 1, hash, new byte[0])), ErrorCode.INVALID_ARGUMENT);
    assertError(
        () -> Messages.decode(listing(-1, 1, 1, hash, new byte[0])), // 2^64 - 1 as uint64
        ErrorCode.INVALID_ARGUMENT);
    assertError(
        () -> Messages.decode(listing(1, -1, 1, hash, new byte[0])), ErrorCode.INVALID_ARGUMENT);
    assertError(
        () -> Messages.decode(listing(1, 1, 0, hash, new byte[0])), ErrorCode.INVALID_ARGUMENT);
    assertError(
        () -> Messages.decode(listing(1, 1, Limits.MAX_SNAPSHOT_CHUNKS + 1, hash, new byte[0])),
        ErrorCode.INVALID_ARGUMENT);
    assertError(
        () -> Messages.decode(listing(1, 1, 1, new byte[0], new byte[0])),
        ErrorCode.INVALID_ARGUMENT);
    assertError(
        () ->
            Messages.decode(
                listing(1, 1, 1, new byte[Limits.MAX_SNAPSHOT_HASH_BYTES + 1], new byte[0])),
        ErrorCode.INVALID_ARGUMENT);
  }

  private static ByteString listing(
      long height, int format, int chunks, byte[] hash, byte[] metadata) {
    return StateSyncMessage.newBuilder()
        .setSnapshotsResponse(
            SnapshotsResponse.newBuilder()
                .setHeight(height)
                .setFormat(format)
                .setChunks(chunks)
                .setHash(ByteString.copyFrom(hash))
                .setMetadata(ByteString.copyFrom(metadata)))
        .build()
        .toByteString();
  }

  private static void assertError(ThrowingCallable call, ErrorCode code) {
    assertThatThrownBy(call)
        .isInstanceOf(FerryException.class)
        .satisfies(e -> assertThat(((FerryException) e).code()).isEqualTo(code));
  }
}
