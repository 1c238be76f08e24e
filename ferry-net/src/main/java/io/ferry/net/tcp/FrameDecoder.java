package io.ferry.net.tcp;

import com.google.protobuf.CodedInputStream;
import io.ferry.core.ErrorCode;
import io.ferry.core.FerryException;
import io.ferry.wire.v1.Envelope;
import io.netty.buffer.ByteBuf;
import io.netty.channel.ChannelHandlerContext;
import io.netty.handler.codec.ByteToMessageDecoder;
import java.time.Duration;
import java.util.List;
import java.util.concurrent.TimeUnit;

/**
 * Splits the decrypted byte stream into frames: a 4-byte big-endian length, then that many bytes of
 * protobuf {@link Envelope}. The length is checked against the limit as soon as its 4 bytes arrive,
 * so a peer announcing an oversized frame is cut off before any of the frame is buffered.
 *
 * <p>A frame that does not arrive whole in one read is a partial frame, and what it may hold is
 * bounded: one larger than {@link #UNBUDGETED_FRAME_BYTES} first reserves its length from the
 * transport's {@link FrameBudget} (if the budget is spent, the connection is refused the frame),
 * and every partial frame must finish within the frame timeout, however its bytes trickle in.
 * Either failure is a {@link FerryException} fired down the pipeline ({@code UNAVAILABLE} for a
 * spent budget, {@code TIMEOUT} for a late frame); the connection handler closes the connection,
 * which frees the buffer and gives the reservation back.
 *
 * <p>Not sharable: one instance per channel, used on its event loop.
 */
final class FrameDecoder extends ByteToMessageDecoder {
  static final int HEADER_BYTES = 4;

  /**
   * Frames up to this size never wait for the budget: control traffic (requests, heads, pings)
   * keeps flowing while large frames fill it. Each connection holds at most one partial frame, so
   * these cost at most this much per connection.
   */
  static final int UNBUDGETED_FRAME_BYTES = 64 << 10;

  private static final long NONE = -1;

  private final int maxFrameBytes;
  private final FrameBudget budget;
  private final long timeoutNanos;
  private long reserved; // bytes of the budget held by the partial frame
  private long partialLength = NONE; // the partial frame's length, NONE when there is none
  private long partialSinceNanos; // when the partial frame started, on the event loop's ticker
  private boolean timerRunning;

  FrameDecoder(int maxFrameBytes, FrameBudget budget, Duration frameTimeout) {
    this.maxFrameBytes = maxFrameBytes;
    this.budget = budget;
    this.timeoutNanos = frameTimeout.toNanos();
  }

  @Override
  protected void decode(ChannelHandlerContext ctx, ByteBuf in, List<Object> out) {
    while (in.readableBytes() >= HEADER_BYTES) {
      long length = in.getUnsignedInt(in.readerIndex());
      if (length > maxFrameBytes) {
        throw new FerryException(
            ErrorCode.LIMIT_EXCEEDED,
            "peer announced a frame of " + length + " bytes, over the limit of " + maxFrameBytes);
      }
      if (in.readableBytes() < HEADER_BYTES + length) {
        partial(ctx, length);
        return;
      }
      finished();
      in.skipBytes(HEADER_BYTES);
      int size = (int) length;
      try {
        CodedInputStream cis =
            in.nioBufferCount() == 1
                ? CodedInputStream.newInstance(in.nioBuffer(in.readerIndex(), size))
                : CodedInputStream.newInstance(
                    io.netty.buffer.ByteBufUtil.getBytes(in, in.readerIndex(), size));
        cis.setSizeLimit(size);
        out.add(Envelope.parseFrom(cis));
      } catch (java.io.IOException e) { // InvalidProtocolBufferException and truncation
        throw new FerryException(
            ErrorCode.INVALID_ENCODING, "malformed frame: " + e.getMessage(), e);
      } finally {
        in.skipBytes(size);
      }
    }
    if (in.isReadable()) {
      partial(ctx, 0); // part of a header: it must finish in time too
    }
  }

  /** A frame of {@code length} (0 while only part of its header is here) waits for more bytes. */
  private void partial(ChannelHandlerContext ctx, long length) {
    if (!ctx.channel().isActive()) {
      return; // the last bytes of a closed connection: nothing will finish them
    }
    if (partialLength == NONE) {
      partialSinceNanos = ctx.executor().ticker().nanoTime();
      if (!timerRunning) {
        timerRunning = true;
        ctx.executor().schedule(() -> checkDeadline(ctx), timeoutNanos, TimeUnit.NANOSECONDS);
      }
    }
    partialLength = length;
    if (reserved == 0 && length > UNBUDGETED_FRAME_BYTES) {
      if (!budget.tryReserve(length)) {
        throw new FerryException(
            ErrorCode.UNAVAILABLE,
            "no room for a frame of "
                + length
                + " bytes: frames partly received already hold "
                + budget.used()
                + " of the "
                + budget.limit()
                + " bytes allowed");
      }
      reserved = length;
    }
  }

  /** No partial frame any more: the one waiting finished, or the connection is gone. */
  private void finished() {
    partialLength = NONE;
    if (reserved > 0) {
      budget.release(reserved);
      reserved = 0;
    }
  }

  // One timer per connection, re-armed for whatever frame is partial when it fires, rather than
  // one scheduled and cancelled for every frame that spans two reads.
  private void checkDeadline(ChannelHandlerContext ctx) {
    timerRunning = false;
    if (partialLength == NONE || !ctx.channel().isActive()) {
      return;
    }
    long waited = ctx.executor().ticker().nanoTime() - partialSinceNanos;
    if (waited >= timeoutNanos) {
      ctx.fireExceptionCaught(
          new FerryException(
              ErrorCode.TIMEOUT,
              "a frame of "
                  + partialLength
                  + " bytes did not finish within "
                  + Duration.ofNanos(timeoutNanos).toSeconds()
                  + "s"));
    } else {
      timerRunning = true;
      ctx.executor()
          .schedule(() -> checkDeadline(ctx), timeoutNanos - waited, TimeUnit.NANOSECONDS);
    }
  }

  @Override
  public void channelInactive(ChannelHandlerContext ctx) throws Exception {
    try {
      super.channelInactive(ctx); // frees the buffered bytes
    } finally {
      finished();
    }
  }

  @Override
  protected void handlerRemoved0(ChannelHandlerContext ctx) {
    finished();
  }
}
