package io.ferry.net;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import io.ferry.core.ErrorCode;
import io.ferry.core.FerryException;
import io.ferry.core.identity.NodeId;
import io.ferry.core.identity.NodeKey;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.ValueSource;

class PeerAddressTest {
  @Test
  void parsesWithAndWithoutId() {
    NodeId id = NodeKey.generate().id();
    PeerAddress a = PeerAddress.parse(id + "@10.0.0.2:7400");
    assertThat(a.expectedId()).contains(id);
    assertThat(a.host()).isEqualTo("10.0.0.2");
    assertThat(a.port()).isEqualTo(7400);
    assertThat(PeerAddress.parse(a.toString())).isEqualTo(a);
    PeerAddress b = PeerAddress.parse("node.example:1");
    assertThat(b.expectedId()).isEmpty();
    assertThat(b.hostPort()).isEqualTo("node.example:1");
    PeerAddress v6 = PeerAddress.parse("[::1]:8000");
    assertThat(v6.host()).isEqualTo("::1");
    assertThat(v6.hostPort()).isEqualTo("[::1]:8000");
  }

  @ParameterizedTest
  @ValueSource(
      strings = {
        "",
        "host",
        "host:",
        ":80",
        "host:0",
        "host:65536",
        "host:x",
        "::1:80",
        "[::1]80",
        "notbase58!@host:80",
        "abc@host:80"
      })
  void rejectsBadAddressesWithATypedError(String text) {
    assertThatThrownBy(() -> PeerAddress.parse(text))
        .isInstanceOfSatisfying(
            FerryException.class, e -> assertThat(e.code()).isEqualTo(ErrorCode.INVALID_ARGUMENT))
        .hasMessageContaining("[ID@]HOST:PORT");
  }
}
