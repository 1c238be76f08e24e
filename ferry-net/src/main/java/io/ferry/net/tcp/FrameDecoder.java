package io.ferry.net.tcp;

import com.google.protobuf.CodedInputStream;
import io.ferry.core.ErrorCode;
import io.ferry.core.FerryException;
import io.ferry.wire.v1.Envelope;
import io.netty.buffer.ByteBuf;
import io.netty.channel.ChannelHandlerContext;
import io.netty.handler.codec.ByteToMessageDecoder;
import java.util.List;

/**
 * Splits the decrypted byte stream into frames: a 4-byte big-endian length, then that many bytes of
 * protobuf {@link Envelope}. The length is checked against the limit as soon as its 4 bytes arrive,
 * so a peer announcing an oversized frame is cut off before any of the frame is buffered. Not
 * sharable: one instance per channel.
 */
final class FrameDecoder extends ByteToMessageDecoder {
  static final int HEADER_BYTES = 4;

  private final int maxFrameBytes;

  FrameDecoder(int maxFrameBytes) {
    this.maxFrameBytes = maxFrameBytes;
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
        return;
      }
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
  }
}
