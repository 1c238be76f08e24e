package io.ferry.http;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.catchThrowableOfType;

import io.ferry.core.ErrorCode;
import io.ferry.core.FerryException;
import java.io.IOException;
import java.net.InetSocketAddress;
import java.nio.file.Path;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;
import org.junit.jupiter.api.io.TempDir;

/** An address that cannot be bound is a typed error naming it and the reason. */
@Timeout(30)
class BindFailureTest {
  @TempDir Path tmp;

  @Test
  void aBusyPortIsAnIoErrorNamingTheAddress() throws IOException {
    try (ServerFixture f = new ServerFixture(tmp)) {
      int port = f.address.getPort();
      HttpServerConfig config =
          HttpServerConfig.defaults(f.dir).withBind(new InetSocketAddress("127.0.0.1", port));
      try (SnapshotHttpServer second =
          new SnapshotHttpServer(config, HealthSource.UNKNOWN, HttpMetrics.standalone())) {
        FerryException e = catchThrowableOfType(FerryException.class, second::start);
        assertThat(e).as("a typed error").isNotNull();
        assertThat(e.code()).isEqualTo(ErrorCode.IO_ERROR);
        assertThat(e.getMessage())
            .isEqualTo("cannot listen for HTTP on 127.0.0.1:" + port + ": address already in use");
      }
    }
  }
}
