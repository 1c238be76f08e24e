package io.ferry.gossip;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import io.ferry.core.identity.NodeId;
import io.ferry.core.identity.NodeKey;
import io.ferry.core.runtime.ManualClock;
import java.time.Duration;
import org.junit.jupiter.api.Test;

class PeerRateLimitTest {
  private final ManualClock clock = new ManualClock();
  private final NodeId a = NodeKey.generate().id();
  private final NodeId b = NodeKey.generate().id();

  private static int takes(PeerRateLimit limit, NodeId peer, int tries) {
    int n = 0;
    for (int i = 0; i < tries; i++) {
      if (limit.tryTake(peer)) {
        n++;
      }
    }
    return n;
  }

  @Test
  void aBurstThenTheRate() {
    PeerRateLimit limit = new PeerRateLimit(clock, 10, 5, 100);
    assertThat(takes(limit, a, 20)).isEqualTo(5);
    clock.advance(Duration.ofMillis(100)); // one token
    assertThat(takes(limit, a, 20)).isEqualTo(1);
    clock.advance(Duration.ofSeconds(1)); // ten tokens, capped at the burst
    assertThat(takes(limit, a, 20)).isEqualTo(5);
    clock.advance(Duration.ofMillis(50)); // half a token is not one
    assertThat(limit.tryTake(a)).isFalse();
  }

  @Test
  void peersHaveTheirOwnBuckets() {
    PeerRateLimit limit = new PeerRateLimit(clock, 10, 3, 100);
    assertThat(takes(limit, a, 10)).isEqualTo(3);
    assertThat(takes(limit, b, 10)).isEqualTo(3);
  }

  @Test
  void trackedPeersAreBounded() {
    PeerRateLimit limit = new PeerRateLimit(clock, 10, 3, 8);
    for (int i = 0; i < 100; i++) {
      limit.tryTake(NodeKey.generate().id());
    }
    assertThat(limit.tracked()).isEqualTo(8);
  }

  @Test
  void badSettingsAreRefused() {
    assertThatThrownBy(() -> new PeerRateLimit(clock, 0, 1, 1))
        .isInstanceOf(IllegalArgumentException.class);
    assertThatThrownBy(() -> new PeerRateLimit(clock, 1, 0, 1))
        .isInstanceOf(IllegalArgumentException.class);
  }
}
