package io.ferry.net.tls;

import io.ferry.core.identity.NodeId;
import io.ferry.net.tls.PeerCertificateException.Reason;
import java.security.cert.Certificate;
import java.security.cert.X509Certificate;
import java.time.Instant;
import javax.net.ssl.SSLPeerUnverifiedException;
import javax.net.ssl.SSLSession;

/**
 * Reads the peer's node id from a completed TLS session. Call it once the handshake has succeeded
 * (for Netty, when {@code SslHandler.handshakeFuture()} completes successfully).
 *
 * <p>The certificate is verified again rather than trusted because the session carries it, so the
 * answer never depends on which trust manager built the session. Stateless and thread-safe.
 */
public final class PeerIdentity {
  private PeerIdentity() {}

  /**
   * The node the peer of {@code session} proved to be.
   *
   * @throws PeerCertificateException if the peer sent no certificate or one that proves no node
   */
  public static NodeId of(SSLSession session) {
    return of(session, Instant.now());
  }

  /** As {@link #of(SSLSession)}, checking the certificate's validity at {@code now}. */
  public static NodeId of(SSLSession session, Instant now) {
    Certificate[] certificates;
    try {
      certificates = session.getPeerCertificates();
    } catch (SSLPeerUnverifiedException e) {
      throw new PeerCertificateException(
          Reason.CHAIN_LENGTH, "the peer presented no certificate", e);
    }
    X509Certificate[] chain = new X509Certificate[certificates.length];
    for (int i = 0; i < certificates.length; i++) {
      if (!(certificates[i] instanceof X509Certificate x509)) {
        throw new PeerCertificateException(
            Reason.MALFORMED_CERTIFICATE,
            "the peer's certificate is of type " + certificates[i].getType() + ", not X.509");
      }
      chain[i] = x509;
    }
    return PeerCertificateVerifier.verify(chain, now);
  }

  /**
   * The peer's node id, which must be {@code expected}: a dialler checks that it reached the node
   * it meant to, as the spec requires.
   *
   * @throws PeerCertificateException {@link Reason#UNEXPECTED_PEER} (code PERMISSION_DENIED) if the
   *     peer is another node
   */
  public static NodeId require(SSLSession session, NodeId expected) {
    NodeId actual = of(session);
    if (!actual.equals(expected)) {
      throw new PeerCertificateException(
          Reason.UNEXPECTED_PEER, "dialled node " + expected + " but the peer is node " + actual);
    }
    return actual;
  }
}
