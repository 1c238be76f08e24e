package io.ferry.http;

import static io.ferry.http.ServerFixture.HASH;
import static org.assertj.core.api.Assertions.assertThat;

import io.netty.handler.ssl.SslContext;
import io.netty.handler.ssl.SslContextBuilder;
import io.netty.handler.ssl.util.InsecureTrustManagerFactory;
import io.netty.handler.ssl.util.SelfSignedCertificate;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.nio.file.Path;
import java.security.SecureRandom;
import java.util.Arrays;
import javax.net.ssl.SSLContext;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/** Under TLS the body goes in chunks instead of sendfile; ranges work the same. */
class TlsTest {
  @TempDir Path tmp;

  @Test
  void servesArchivesOverTls() throws Exception {
    SelfSignedCertificate cert = new SelfSignedCertificate("localhost", "EC", 256);
    SslContext tls = SslContextBuilder.forServer(cert.certificate(), cert.privateKey()).build();
    try (ServerFixture f = new ServerFixture(tmp, HealthSource.UNKNOWN, c -> c.withTls(tls))) {
      String name = "snapshot-3-" + HASH + ".tar.zst";
      byte[] data = f.archive(name, 1_000_000);
      SSLContext trustAll = SSLContext.getInstance("TLS");
      trustAll.init(
          null, InsecureTrustManagerFactory.INSTANCE.getTrustManagers(), new SecureRandom());
      try (HttpClient client = HttpClient.newBuilder().sslContext(trustAll).build()) {
        String base = "https://127.0.0.1:" + f.address.getPort() + "/";
        HttpResponse<byte[]> r =
            client.send(
                HttpRequest.newBuilder(java.net.URI.create(base + name)).build(),
                HttpResponse.BodyHandlers.ofByteArray());
        assertThat(r.statusCode()).isEqualTo(200);
        assertThat(r.body()).isEqualTo(data);
        r =
            client.send(
                HttpRequest.newBuilder(java.net.URI.create(base + name))
                    .header("Range", "bytes=500000-500099")
                    .build(),
                HttpResponse.BodyHandlers.ofByteArray());
        assertThat(r.statusCode()).isEqualTo(206);
        assertThat(r.body()).isEqualTo(Arrays.copyOfRange(data, 500_000, 500_100));
      }
    } finally {
      cert.delete();
    }
  }
}
