package io.ferry.sync.snapshot;

import com.google.protobuf.ByteString;
import com.google.protobuf.InvalidProtocolBufferException;
import io.ferry.core.Bytes;
import io.ferry.core.ErrorCode;
import io.ferry.core.FerryException;
import io.ferry.core.Limits;
import io.ferry.sync.snapshot.app.Snapshot;
import io.ferry.wire.v1.ChunkRequest;
import io.ferry.wire.v1.ChunkResponse;
import io.ferry.wire.v1.SnapshotsRequest;
import io.ferry.wire.v1.SnapshotsResponse;
import io.ferry.wire.v1.StateSyncMessage;

/**
 * Encodes and decodes the state-sync messages, checking sizes before parsing and fields after, so
 * that what reaches the syncer and the server is well formed. Sizes are CometBFT's ({@code
 * snapshotMsgSize = int(4e6)}, {@code chunkMsgSize = int(16e6)} in its statesync reactor): a
 * listing entry at most {@link Limits#MAX_SNAPSHOT_MESSAGE_BYTES}, a chunk message at most {@link
 * Limits#MAX_CHUNK_MESSAGE_BYTES}, decimal bytes. Stateless.
 */
public final class Messages {
  private Messages() {}

  /** A decoded message: one of the four kinds, fields checked. */
  public sealed interface Message permits ListRequest, Listed, ChunkWanted, ChunkSent {}

  /** {@code SnapshotsRequest}. */
  public record ListRequest() implements Message {}

  /** {@code SnapshotsResponse}: one snapshot a peer holds. */
  public record Listed(Snapshot snapshot) implements Message {}

  /** {@code ChunkRequest}. */
  public record ChunkWanted(long height, int format, int index) implements Message {}

  /**
   * {@code ChunkResponse}: the chunk, or empty when {@code missing}.
   *
   * @param chunk the chunk's bytes; empty (and meaningless) when missing
   */
  public record ChunkSent(long height, int format, int index, Bytes chunk, boolean missing)
      implements Message {}

  public static ByteString listRequest() {
    return wrap(
        StateSyncMessage.newBuilder()
            .setSnapshotsRequest(SnapshotsRequest.getDefaultInstance())
            .build());
  }

  public static ByteString listed(Snapshot s) {
    ByteString out =
        wrap(
            StateSyncMessage.newBuilder()
                .setSnapshotsResponse(
                    SnapshotsResponse.newBuilder()
                        .setHeight(s.height())
                        .setFormat(s.format())
                        .setChunks(s.chunks())
                        .setHash(ByteString.copyFrom(s.hash().unsafeArray()))
                        .setMetadata(ByteString.copyFrom(s.metadata().unsafeArray())))
                .build());
    if (out.size() > Limits.MAX_SNAPSHOT_MESSAGE_BYTES) {
      throw new FerryException(
          ErrorCode.LIMIT_EXCEEDED,
          "the listing of snapshot " + s + " is " + out.size() + " bytes, over CometBFT's 4e6");
    }
    return out;
  }

  public static ByteString chunkWanted(long height, int format, int index) {
    return wrap(
        StateSyncMessage.newBuilder()
            .setChunkRequest(
                ChunkRequest.newBuilder().setHeight(height).setFormat(format).setIndex(index))
            .build());
  }

  public static ByteString chunkSent(long height, int format, int index, Bytes chunk) {
    ByteString out =
        wrap(
            StateSyncMessage.newBuilder()
                .setChunkResponse(
                    ChunkResponse.newBuilder()
                        .setHeight(height)
                        .setFormat(format)
                        .setIndex(index)
                        .setChunk(ByteString.copyFrom(chunk.unsafeArray())))
                .build());
    if (out.size() > Limits.MAX_CHUNK_MESSAGE_BYTES) {
      throw new FerryException(
          ErrorCode.LIMIT_EXCEEDED,
          "chunk " + index + " at height " + height + " is " + out.size() + " bytes, over 16e6");
    }
    return out;
  }

  public static ByteString chunkMissing(long height, int format, int index) {
    return wrap(
        StateSyncMessage.newBuilder()
            .setChunkResponse(
                ChunkResponse.newBuilder()
                    .setHeight(height)
                    .setFormat(format)
                    .setIndex(index)
                    .setMissing(true))
            .build());
  }

  /**
   * Decodes one message.
   *
   * @throws FerryException {@link ErrorCode#LIMIT_EXCEEDED} when over its kind's size, {@link
   *     ErrorCode#INVALID_ENCODING} when it does not parse or is of no known kind, {@link
   *     ErrorCode#INVALID_ARGUMENT} when a field is out of range
   */
  public static Message decode(ByteString payload) {
    if (payload.size() > Limits.MAX_CHUNK_MESSAGE_BYTES) {
      throw tooLarge(payload.size(), Limits.MAX_CHUNK_MESSAGE_BYTES);
    }
    StateSyncMessage m;
    try {
      m = StateSyncMessage.parseFrom(payload);
    } catch (InvalidProtocolBufferException e) {
      throw new FerryException(
          ErrorCode.INVALID_ENCODING, "not a state-sync message: " + e.getMessage());
    }
    return switch (m.getMessageCase()) {
      case SNAPSHOTS_REQUEST -> new ListRequest();
      case SNAPSHOTS_RESPONSE -> {
        if (payload.size() > Limits.MAX_SNAPSHOT_MESSAGE_BYTES) {
          throw tooLarge(payload.size(), Limits.MAX_SNAPSHOT_MESSAGE_BYTES);
        }
        SnapshotsResponse r = m.getSnapshotsResponse();
        yield new Listed(
            new Snapshot(
                r.getHeight(),
                r.getFormat(),
                r.getChunks(),
                Bytes.wrap(r.getHash().toByteArray()),
                Bytes.wrap(r.getMetadata().toByteArray())));
      }
      case CHUNK_REQUEST -> {
        ChunkRequest r = m.getChunkRequest();
        checkPosition(r.getFormat(), r.getIndex());
        yield new ChunkWanted(r.getHeight(), r.getFormat(), r.getIndex());
      }
      case CHUNK_RESPONSE -> {
        ChunkResponse r = m.getChunkResponse();
        checkPosition(r.getFormat(), r.getIndex());
        if (r.getMissing() && !r.getChunk().isEmpty()) {
          throw new FerryException(
              ErrorCode.INVALID_ARGUMENT, "a chunk response both missing and with a chunk");
        }
        yield new ChunkSent(
            r.getHeight(),
            r.getFormat(),
            r.getIndex(),
            Bytes.wrap(r.getChunk().toByteArray()),
            r.getMissing());
      }
      case MESSAGE_NOT_SET ->
          throw new FerryException(ErrorCode.INVALID_ENCODING, "a state-sync message of no kind");
    };
  }

  /** Formats and indexes are uint32 on the wire; ones above 2^31 - 1 are refused. */
  private static void checkPosition(int format, int index) {
    if (format < 0 || index < 0) {
      throw new FerryException(
          ErrorCode.INVALID_ARGUMENT,
          "format "
              + Integer.toUnsignedString(format)
              + ", index "
              + Integer.toUnsignedString(index)
              + ": out of range");
    }
  }

  private static FerryException tooLarge(int size, int limit) {
    return new FerryException(
        ErrorCode.LIMIT_EXCEEDED, "a state-sync message of " + size + " bytes, over " + limit);
  }

  private static ByteString wrap(StateSyncMessage m) {
    return m.toByteString();
  }
}
