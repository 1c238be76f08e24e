package io.ferry.net.tls;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatCode;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import io.ferry.core.identity.NodeKey;
import io.ferry.net.tls.PeerCertificateException.Reason;
import java.security.SecureRandom;
import java.security.cert.CertificateException;
import java.security.cert.X509Certificate;
import java.time.Clock;
import java.time.Instant;
import java.time.ZoneOffset;
import org.junit.jupiter.api.Test;

class PeerTrustManagerTest {
  private static final NodeKey NODE = NodeKey.generate();
  private final PeerTrustManager trust = new PeerTrustManager();

  @Test
  void acceptsAValidPeerCertificateAsClientOrServer() {
    X509Certificate[] chain = {PeerCertificate.generate(NODE).certificate()};

    assertThatCode(() -> trust.checkClientTrusted(chain, "EC")).doesNotThrowAnyException();
    assertThatCode(() -> trust.checkServerTrusted(chain, "EC")).doesNotThrowAnyException();
    assertThatCode(() -> trust.checkClientTrusted(chain, "EC", (javax.net.ssl.SSLEngine) null))
        .doesNotThrowAnyException();
    assertThatCode(() -> trust.checkServerTrusted(chain, "EC", (java.net.Socket) null))
        .doesNotThrowAnyException();
    assertThat(trust.getAcceptedIssuers()).isEmpty();
  }

  @Test
  void rejectsWithTheReasonAsCause() {
    X509Certificate[] forged = {
      TestCertificates.forged(NodeKey.generate(), NODE.id()).certificate()
    };
    X509Certificate[] plain = {TestCertificates.plain(NODE.id()).certificate()};

    assertRejected(() -> trust.checkClientTrusted(forged, "EC"), Reason.BAD_KEY_SIGNATURE);
    assertRejected(() -> trust.checkServerTrusted(forged, "EC"), Reason.BAD_KEY_SIGNATURE);
    assertRejected(() -> trust.checkServerTrusted(plain, "EC"), Reason.MISSING_EXTENSION);
    assertRejected(
        () -> trust.checkClientTrusted(new X509Certificate[0], "EC"), Reason.CHAIN_LENGTH);
  }

  @Test
  void checksValidityAgainstItsClock() {
    Instant made = Instant.parse("2030-01-01T00:00:00Z");
    X509Certificate[] chain = {
      PeerCertificate.generate(NODE, made, new SecureRandom()).certificate()
    };
    PeerTrustManager later =
        new PeerTrustManager(
            Clock.fixed(made.plus(PeerCertificate.LIFETIME).plusSeconds(60), ZoneOffset.UTC));

    assertRejected(() -> later.checkServerTrusted(chain, "EC"), Reason.EXPIRED);
  }

  private static void assertRejected(
      org.assertj.core.api.ThrowableAssert.ThrowingCallable call, Reason reason) {
    assertThatThrownBy(call)
        .isInstanceOf(CertificateException.class)
        .cause()
        .isInstanceOfSatisfying(
            PeerCertificateException.class, e -> assertThat(e.reason()).isEqualTo(reason));
  }
}
