package io.ferry.http;

import static io.ferry.http.ServerFixture.HASH;
import static org.assertj.core.api.Assertions.assertThat;

import java.io.InputStream;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.function.UnaryOperator;
import org.junit.jupiter.api.io.TempDir;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.ValueSource;

/**
 * Retention may delete an archive while it is being downloaded: the download still completes,
 * because the server streams from the channel it opened (an unlinked open file stays readable).
 */
class RetentionTest {
  @TempDir Path tmp;

  @ParameterizedTest
  @ValueSource(strings = {"sendfile", "chunked"})
  void aFileDeletedMidDownloadIsStillServedCompletely(String mode) throws Exception {
    UnaryOperator<HttpServerConfig> tweak =
        mode.equals("sendfile") ? c -> c : c -> c.withEgressLimits(0, 1L << 40);
    try (ServerFixture f = new ServerFixture(tmp, HealthSource.UNKNOWN, tweak)) {
      String name = "snapshot-7-" + HASH + ".tar.zst";
      byte[] data = f.archive(name, 24 * 1024 * 1024);
      HttpResponse<InputStream> r =
          f.client.send(
              HttpRequest.newBuilder(f.uri("/" + name)).timeout(Duration.ofSeconds(20)).build(),
              HttpResponse.BodyHandlers.ofInputStream());
      assertThat(r.statusCode()).isEqualTo(200);
      try (InputStream in = r.body()) {
        byte[] start = in.readNBytes(1024 * 1024);
        Files.delete(f.dir.resolve(name));
        assertThat(f.dir.resolve(name)).doesNotExist();
        assertThat(f.get("/" + name).statusCode()).isEqualTo(404);
        byte[] rest = in.readAllBytes();
        assertThat(start.length + rest.length).isEqualTo(data.length);
        byte[] all = new byte[data.length];
        System.arraycopy(start, 0, all, 0, start.length);
        System.arraycopy(rest, 0, all, start.length, rest.length);
        assertThat(all).isEqualTo(data);
      }
    }
  }
}
