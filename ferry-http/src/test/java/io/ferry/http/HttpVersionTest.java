package io.ferry.http;

import static org.assertj.core.api.Assertions.assertThat;

import java.io.IOException;
import java.nio.file.Path;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Timeout;
import org.junit.jupiter.api.io.TempDir;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.ValueSource;

/** Request lines of another HTTP major version get 505 and the connection closes. */
@Timeout(30)
class HttpVersionTest {
  @TempDir Path tmp;
  ServerFixture f;

  @BeforeEach
  void start() throws IOException {
    f = new ServerFixture(tmp);
  }

  @AfterEach
  void stop() {
    f.close();
  }

  @ParameterizedTest
  @ValueSource(strings = {"HTTP/2.0", "HTTP/9.9", "HTTP/0.9", "HTTP/3.1"})
  void anotherMajorVersionIs505AndTheConnectionCloses(String version) throws IOException {
    // raw() reads until the server closes: returning at all means it closed.
    String response = f.raw("GET /health " + version + "\r\nHost: x\r\n\r\n");
    assertThat(ServerFixture.status(response)).as(response).isEqualTo(505);
    assertThat(response).containsIgnoringCase("connection: close").doesNotContain("unknown");
  }

  @ParameterizedTest
  @ValueSource(strings = {"HTTP/1.0", "HTTP/1.1"})
  void http1IsServed(String version) throws IOException {
    String response = f.raw("GET /health " + version + "\r\nConnection: close\r\n\r\n");
    assertThat(ServerFixture.status(response)).as(response).isEqualTo(200);
    assertThat(response).endsWith("\r\n\r\nunknown");
  }
}
