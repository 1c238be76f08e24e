package io.ferry.net.tcp;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.catchThrowableOfType;

import io.ferry.core.ErrorCode;
import io.ferry.core.FerryException;
import io.ferry.core.identity.NodeKey;
import io.ferry.net.TransportConfig;
import java.net.InetAddress;
import java.net.InetSocketAddress;
import java.net.ServerSocket;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;

/** A port that cannot be bound is a typed error that names the address and says why. */
@Timeout(30)
class NettyTransportBindTest {
  @Test
  void aPortInUseIsAnIoErrorNamingTheAddress() throws Exception {
    try (ServerSocket taken = new ServerSocket(0, 1, InetAddress.getLoopbackAddress())) {
      InetSocketAddress bind = new InetSocketAddress("127.0.0.1", taken.getLocalPort());

      FerryException e =
          catchThrowableOfType(
              FerryException.class,
              () -> NettyTransport.start(NodeKey.generate(), bind, TransportConfig.DEFAULT));

      assertThat(e).as("a typed error, not Netty's exception").isNotNull();
      assertThat(e.code()).isEqualTo(ErrorCode.IO_ERROR);
      assertThat(e.getMessage())
          .isEqualTo(
              "cannot listen for peers on 127.0.0.1:"
                  + taken.getLocalPort()
                  + ": address already in use");
    }
  }

  @Test
  void anUnresolvedHostSaysSoInsteadOfNull() {
    InetSocketAddress bind = InetSocketAddress.createUnresolved("nosuch.invalid", 0);

    FerryException e =
        catchThrowableOfType(
            FerryException.class,
            () -> NettyTransport.start(NodeKey.generate(), bind, TransportConfig.DEFAULT));

    assertThat(e).isNotNull();
    assertThat(e.code()).isEqualTo(ErrorCode.IO_ERROR);
    assertThat(e.getMessage())
        .isEqualTo("cannot listen for peers on nosuch.invalid:0: unknown host");
  }
}
