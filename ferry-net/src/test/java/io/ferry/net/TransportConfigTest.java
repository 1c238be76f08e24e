package io.ferry.net;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import io.ferry.core.Limits;
import java.time.Duration;
import org.junit.jupiter.api.Test;

class TransportConfigTest {
  @Test
  void defaults() {
    TransportConfig d = TransportConfig.DEFAULT;
    assertThat(d.maxFrameBytes()).isEqualTo(Limits.MAX_FRAME_BYTES);
    assertThat(d.maxPartialFrameBytes()).isEqualTo(128L << 20);
    assertThat(d.frameTimeout()).isEqualTo(Duration.ofSeconds(30));
    // Room for several maximal frames at once, and a maximal frame need only arrive at ~560 KB/s.
    assertThat(d.maxPartialFrameBytes() / d.maxFrameBytes()).isGreaterThanOrEqualTo(4);
    assertThat(d.frameTimeout()).isLessThan(d.idleTimeout());
    assertThat(d.inboundHandshakeTimeout()).isEqualTo(Duration.ofSeconds(5));
    assertThat(d.inboundHandshakeTimeout()).isLessThan(d.connectTimeout());
  }

  @Test
  void thePartialFrameBudgetHoldsAtLeastOneFrame() {
    assertThatThrownBy(
            () ->
                TransportConfig.DEFAULT.withPartialFrames(
                    Limits.MAX_FRAME_BYTES - 1L, Duration.ofSeconds(1)))
        .isInstanceOf(IllegalArgumentException.class);
    assertThatThrownBy(() -> TransportConfig.DEFAULT.withPartialFrames(1L << 30, Duration.ZERO))
        .isInstanceOf(IllegalArgumentException.class);
    // Shrinking the frame keeps the budget; a budget is never below one frame.
    TransportConfig small = TransportConfig.DEFAULT.withMaxFrameBytes(1 << 20);
    assertThat(small.maxPartialFrameBytes())
        .isEqualTo(TransportConfig.DEFAULT_MAX_PARTIAL_FRAME_BYTES);
    assertThat(small.withPartialFrames(1 << 20, Duration.ofSeconds(1)).maxPartialFrameBytes())
        .isEqualTo(1 << 20);
  }
}
