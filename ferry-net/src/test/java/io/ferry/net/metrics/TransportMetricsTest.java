package io.ferry.net.metrics;

import static org.assertj.core.api.Assertions.assertThat;

import org.junit.jupiter.api.Test;

class TransportMetricsTest {
  @Test
  void bytesTotalSumsEveryProtocolOfOneDirection() {
    TransportMetrics m = TransportMetrics.standalone();
    assertThat(m.bytesTotal("in")).isZero();
    m.frameIn("proof", "request", 100);
    m.frameIn("gossip", "message", 20);
    m.frameIn(TransportMetrics.UNKNOWN_PROTOCOL, "message", 3);
    m.frameOut("proof", "response", 5000);

    assertThat(m.bytesTotal("in")).isEqualTo(123);
    assertThat(m.bytesTotal("out")).isEqualTo(5000);
    assertThat(m.bytesTotal("sideways")).isZero();
  }
}
