package io.ferry.gossip.discovery;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import java.time.Duration;
import org.junit.jupiter.api.Test;

class DiscoveryConfigTest {
  @Test
  void defaultsAndCopies() {
    assertThat(DiscoveryConfig.DEFAULT.maxOutbound()).isEqualTo(8);
    assertThat(DiscoveryConfig.DEFAULT.withMaxOutbound(3).maxOutbound()).isEqualTo(3);
    assertThat(DiscoveryConfig.DEFAULT.withRotateInterval(Duration.ofMinutes(1)).rotateInterval())
        .isEqualTo(Duration.ofMinutes(1));
  }

  @Test
  void refusesWhatCannotWork() {
    assertThatThrownBy(() -> DiscoveryConfig.DEFAULT.withMaxOutbound(0))
        .isInstanceOf(IllegalArgumentException.class)
        .hasMessageContaining("maxOutbound");
    assertThatThrownBy(() -> DiscoveryConfig.DEFAULT.withRotateInterval(Duration.ZERO))
        .isInstanceOf(IllegalArgumentException.class);
    assertThatThrownBy(
            () ->
                new DiscoveryConfig(
                    1,
                    DiscoveryConfig.DEFAULT_BACKOFF,
                    0,
                    Duration.ofSeconds(1),
                    Duration.ofMinutes(1)))
        .hasMessageContaining("maxFailures");
  }
}
