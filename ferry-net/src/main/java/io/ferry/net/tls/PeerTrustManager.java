package io.ferry.net.tls;

import io.ferry.core.identity.NodeId;
import java.net.Socket;
import java.security.cert.CertificateException;
import java.security.cert.X509Certificate;
import java.time.Clock;
import javax.net.ssl.SSLEngine;
import javax.net.ssl.X509ExtendedTrustManager;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * A trust manager that accepts exactly the certificates {@link PeerCertificateVerifier} accepts,
 * for servers checking clients and clients checking servers alike, so a peer that cannot prove a
 * node id fails the TLS handshake itself.
 *
 * <p>It trusts no certificate authority and does no host name check: a peer is its node id, which
 * the caller reads after the handshake with {@link PeerIdentity}. The rejection, with its {@link
 * PeerCertificateException.Reason}, is the cause of the {@link CertificateException} the TLS stack
 * sees. Immutable and thread-safe.
 */
public final class PeerTrustManager extends X509ExtendedTrustManager {
  private static final Logger log = LoggerFactory.getLogger(PeerTrustManager.class);
  private static final X509Certificate[] NO_ISSUERS = {};

  private final Clock clock;

  /** Checks validity against the system clock. */
  public PeerTrustManager() {
    this(Clock.systemUTC());
  }

  /** Checks validity against {@code clock}. */
  public PeerTrustManager(Clock clock) {
    this.clock = clock;
  }

  @Override
  public void checkClientTrusted(X509Certificate[] chain, String authType)
      throws CertificateException {
    check(chain, "client", null);
  }

  @Override
  public void checkClientTrusted(X509Certificate[] chain, String authType, Socket socket)
      throws CertificateException {
    check(chain, "client", socket == null ? null : socket.getRemoteSocketAddress());
  }

  @Override
  public void checkClientTrusted(X509Certificate[] chain, String authType, SSLEngine engine)
      throws CertificateException {
    check(chain, "client", peerOf(engine));
  }

  @Override
  public void checkServerTrusted(X509Certificate[] chain, String authType)
      throws CertificateException {
    check(chain, "server", null);
  }

  @Override
  public void checkServerTrusted(X509Certificate[] chain, String authType, Socket socket)
      throws CertificateException {
    check(chain, "server", socket == null ? null : socket.getRemoteSocketAddress());
  }

  @Override
  public void checkServerTrusted(X509Certificate[] chain, String authType, SSLEngine engine)
      throws CertificateException {
    check(chain, "server", peerOf(engine));
  }

  /** None: peers are not vouched for by any authority, so a client may present any certificate. */
  @Override
  public X509Certificate[] getAcceptedIssuers() {
    return NO_ISSUERS;
  }

  private void check(X509Certificate[] chain, String role, Object peer)
      throws CertificateException {
    try {
      NodeId id = PeerCertificateVerifier.verify(chain, clock.instant());
      log.debug("{} certificate{} proves node {}", role, at(peer), id);
    } catch (PeerCertificateException e) {
      // Debug, not warn: any stranger can connect and send a bad certificate.
      log.debug("rejected {} certificate{}: {}", role, at(peer), e.getMessage());
      throw new CertificateException(e.getMessage(), e);
    }
  }

  private static Object peerOf(SSLEngine engine) {
    return engine == null || engine.getPeerHost() == null
        ? null
        : engine.getPeerHost() + ":" + engine.getPeerPort();
  }

  private static String at(Object peer) {
    return peer == null ? "" : " from " + peer;
  }
}
