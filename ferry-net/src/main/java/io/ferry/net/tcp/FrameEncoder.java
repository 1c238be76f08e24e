package io.ferry.net.tcp;

import com.google.protobuf.CodedOutputStream;
import io.ferry.wire.v1.Envelope;
import io.netty.buffer.ByteBuf;
import io.netty.channel.ChannelHandler.Sharable;
import io.netty.channel.ChannelHandlerContext;
import io.netty.handler.codec.MessageToByteEncoder;
import java.io.IOException;
import java.nio.ByteBuffer;

/**
 * Writes an {@link Envelope} as one frame: a 4-byte big-endian length and the protobuf bytes, into
 * a buffer sized exactly. The engine has already checked the size against the frame limit.
 * Stateless and sharable.
 */
@Sharable
final class FrameEncoder extends MessageToByteEncoder<Envelope> {
  static final FrameEncoder INSTANCE = new FrameEncoder();

  private FrameEncoder() {
    super(Envelope.class);
  }

  @Override
  protected ByteBuf allocateBuffer(ChannelHandlerContext ctx, Envelope msg, boolean preferDirect) {
    int size = FrameDecoder.HEADER_BYTES + msg.getSerializedSize();
    return preferDirect ? ctx.alloc().ioBuffer(size, size) : ctx.alloc().heapBuffer(size, size);
  }

  @Override
  protected void encode(ChannelHandlerContext ctx, Envelope msg, ByteBuf out) throws IOException {
    int size = msg.getSerializedSize();
    out.writeInt(size);
    ByteBuffer target = out.nioBuffer(out.writerIndex(), size);
    CodedOutputStream cos = CodedOutputStream.newInstance(target);
    msg.writeTo(cos);
    cos.checkNoSpaceLeft();
    out.writerIndex(out.writerIndex() + size);
  }
}
