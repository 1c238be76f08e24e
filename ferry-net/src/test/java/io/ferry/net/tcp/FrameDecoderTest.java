package io.ferry.net.tcp;

import static org.assertj.core.api.Assertions.assertThat;

import com.google.protobuf.ByteString;
import io.ferry.core.ErrorCode;
import io.ferry.core.FerryException;
import io.ferry.wire.v1.Envelope;
import io.ferry.wire.v1.Kind;
import io.netty.buffer.ByteBuf;
import io.netty.buffer.UnpooledByteBufAllocator;
import io.netty.channel.ChannelHandlerContext;
import io.netty.channel.ChannelInboundHandlerAdapter;
import io.netty.channel.embedded.EmbeddedChannel;
import java.time.Duration;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicReference;
import org.junit.jupiter.api.Test;

/** The frame decoder alone, on an embedded channel whose time moves only when told. */
class FrameDecoderTest {
  private static final int MAX = 1 << 20;
  private static final Duration TIMEOUT = Duration.ofSeconds(30);

  // Counts what is allocated and not yet released, so a test can see the buffers go.
  private final UnpooledByteBufAllocator alloc = new UnpooledByteBufAllocator(false, true);
  private final AtomicReference<Throwable> failure = new AtomicReference<>();

  /** A channel with the decoder, and a last handler that closes on failure as the real one does. */
  private EmbeddedChannel channel(FrameBudget budget) {
    EmbeddedChannel ch = new EmbeddedChannel();
    ch.config().setAllocator(alloc);
    ch.freezeTime();
    ch.pipeline()
        .addLast(new FrameDecoder(MAX, budget, TIMEOUT))
        .addLast(
            new ChannelInboundHandlerAdapter() {
              @Override
              public void exceptionCaught(ChannelHandlerContext ctx, Throwable cause) {
                failure.set(cause.getCause() instanceof FerryException fe ? fe : cause);
                ctx.close();
              }
            });
    return ch;
  }

  private ByteBuf bytes(int header, int body) {
    ByteBuf b = alloc.heapBuffer(4 + body);
    b.writeInt(header).writeZero(body);
    return b;
  }

  private long held() {
    return alloc.metric().usedHeapMemory();
  }

  @Test
  void aFrameThatStallsIsClosedAtTheDeadlineAndItsBufferFreed() {
    FrameBudget budget = new FrameBudget(8L * MAX);
    EmbeddedChannel ch = channel(budget);
    ch.writeInbound(bytes(MAX, 200_000));
    assertThat(budget.used()).isEqualTo(MAX);
    assertThat(held()).isGreaterThanOrEqualTo(200_000);

    // Trickling does not move the deadline: one byte a second for 29 s, then the 30th.
    for (int s = 1; s < 30; s++) {
      ch.advanceTimeBy(1, TimeUnit.SECONDS);
      ch.writeInbound(alloc.heapBuffer(1).writeByte(0));
      ch.runScheduledPendingTasks();
      assertThat(ch.isOpen()).as("open after %d s", s).isTrue();
    }
    ch.advanceTimeBy(1, TimeUnit.SECONDS);
    ch.runScheduledPendingTasks();

    assertThat(ch.isOpen()).isFalse();
    assertThat(failure.get())
        .isInstanceOfSatisfying(
            FerryException.class, e -> assertThat(e.code()).isEqualTo(ErrorCode.TIMEOUT));
    assertThat(budget.used()).isZero();
    assertThat(held()).isZero();
  }

  @Test
  void eachFrameGetsItsOwnDeadline() {
    EmbeddedChannel ch = channel(new FrameBudget(8L * MAX));
    byte[] frame =
        Envelope.newBuilder()
            .setKind(Kind.KIND_PING)
            .setPayload(ByteString.copyFrom(new byte[1000]))
            .build()
            .toByteArray();
    for (int i = 0; i < 10; i++) {
      // Each frame arrives in two parts, 20 s apart: slow, but every frame is within its time.
      ByteBuf first = alloc.heapBuffer().writeInt(frame.length).writeBytes(frame, 0, 500);
      ch.writeInbound(first);
      ch.advanceTimeBy(20, TimeUnit.SECONDS);
      ch.runScheduledPendingTasks();
      ch.writeInbound(alloc.heapBuffer().writeBytes(frame, 500, frame.length - 500));
      assertThat((Envelope) ch.readInbound()).isNotNull();
      ch.runScheduledPendingTasks();
    }
    assertThat(ch.isOpen()).isTrue();
    assertThat(failure.get()).isNull();
    ch.finishAndReleaseAll();
  }

  @Test
  void aFullBudgetRefusesTheNextLargeFrameButNotSmallOnes() {
    FrameBudget budget = new FrameBudget(2L * MAX);
    EmbeddedChannel a = channel(budget);
    EmbeddedChannel b = channel(budget);
    a.writeInbound(bytes(MAX, 10));
    b.writeInbound(bytes(MAX, 10));
    assertThat(budget.used()).isEqualTo(2L * MAX);

    EmbeddedChannel small = channel(budget);
    small.writeInbound(bytes(FrameDecoder.UNBUDGETED_FRAME_BYTES, 10));
    assertThat(small.isOpen()).isTrue();

    EmbeddedChannel c = channel(budget);
    c.writeInbound(bytes(MAX / 2, 10));
    assertThat(c.isOpen()).isFalse();
    assertThat(failure.get())
        .isInstanceOfSatisfying(
            FerryException.class,
            e -> {
              assertThat(e.code()).isEqualTo(ErrorCode.UNAVAILABLE);
              assertThat(e.getMessage()).contains("partly received");
            });
    assertThat(budget.used()).isEqualTo(2L * MAX);

    a.close();
    assertThat(budget.used()).isEqualTo(MAX);
    b.close();
    small.close();
    assertThat(budget.used()).isZero();
    assertThat(held()).isZero();
  }
}
