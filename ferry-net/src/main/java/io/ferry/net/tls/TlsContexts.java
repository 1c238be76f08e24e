package io.ferry.net.tls;

import io.ferry.core.ErrorCode;
import io.ferry.core.FerryException;
import io.ferry.core.identity.NodeId;
import io.ferry.core.identity.NodeKey;
import io.netty.buffer.ByteBufAllocator;
import io.netty.handler.ssl.ClientAuth;
import io.netty.handler.ssl.OpenSsl;
import io.netty.handler.ssl.SslContext;
import io.netty.handler.ssl.SslContextBuilder;
import io.netty.handler.ssl.SslHandler;
import io.netty.handler.ssl.SslProvider;
import io.netty.handler.ssl.SupportedCipherSuiteFilter;
import java.util.List;
import javax.net.ssl.SSLException;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * The Netty TLS contexts of one node: TLS 1.3 only, AEAD cipher suites only, and mutual
 * authentication through {@link PeerCertificate} and {@link PeerTrustManager}, so every finished
 * handshake has proved both ends' node ids.
 *
 * <p>OpenSSL (BoringSSL from netty-tcnative) is used when it loads, supports TLS 1.3 and accepts
 * the key material; otherwise the JDK's TLS. {@link #provider()} says which. Netty calls the trust
 * manager from either provider, so both refuse bad certificates during the handshake.
 *
 * <p>Make handlers with {@link #newServerHandler} and {@link #newClientHandler}: the client handler
 * names no peer host, so no Server Name Indication is sent (the spec forbids it). Immutable and
 * thread-safe.
 */
public final class TlsContexts {
  private static final Logger log = LoggerFactory.getLogger(TlsContexts.class);

  /** The only protocol offered or accepted. */
  public static final List<String> PROTOCOLS = List.of("TLSv1.3");

  /** The cipher suites offered, in order of preference. */
  public static final List<String> CIPHERS =
      List.of("TLS_AES_128_GCM_SHA256", "TLS_AES_256_GCM_SHA384", "TLS_CHACHA20_POLY1305_SHA256");

  private final PeerCertificate certificate;
  private final SslProvider provider;
  private final SslContext server;
  private final SslContext client;

  private TlsContexts(
      PeerCertificate certificate, SslProvider provider, SslContext server, SslContext client) {
    this.certificate = certificate;
    this.provider = provider;
    this.server = server;
    this.client = client;
  }

  /** Contexts for {@code key} with a fresh certificate and the best available provider. */
  public static TlsContexts create(NodeKey key) {
    return create(PeerCertificate.generate(key), preferredProvider());
  }

  /**
   * Contexts presenting {@code certificate}, built with {@code provider} ({@link SslProvider#JDK}
   * or {@link SslProvider#OPENSSL}); OpenSSL falls back to the JDK when it cannot be used.
   */
  public static TlsContexts create(PeerCertificate certificate, SslProvider provider) {
    // OPENSSL_REFCNT would make callers release the contexts; plain OPENSSL frees them itself.
    provider = provider == SslProvider.JDK ? SslProvider.JDK : SslProvider.OPENSSL;
    if (provider == SslProvider.OPENSSL && !openSslUsable()) {
      log.info(
          "OpenSSL TLS is not available ({}); using the JDK's TLS",
          OpenSsl.isAvailable() ? "no TLS 1.3" : OpenSsl.unavailabilityCause());
      provider = SslProvider.JDK;
    }
    if (provider == SslProvider.OPENSSL) {
      try {
        return build(certificate, provider);
      } catch (SSLException | RuntimeException e) {
        log.warn("OpenSSL TLS refused the node's key material ({}); using the JDK's TLS", e);
      }
    }
    try {
      return build(certificate, SslProvider.JDK);
    } catch (SSLException e) {
      throw new FerryException(ErrorCode.INTERNAL, "cannot build the JDK TLS contexts: " + e, e);
    }
  }

  /** OpenSSL when it is usable for TLS 1.3, else the JDK. */
  public static SslProvider preferredProvider() {
    return openSslUsable() ? SslProvider.OPENSSL : SslProvider.JDK;
  }

  private static boolean openSslUsable() {
    return OpenSsl.isAvailable() && SslProvider.isTlsv13Supported(SslProvider.OPENSSL);
  }

  private static TlsContexts build(PeerCertificate certificate, SslProvider provider)
      throws SSLException {
    PeerTrustManager trust = new PeerTrustManager();
    SslContext server =
        SslContextBuilder.forServer(certificate.privateKey(), certificate.certificate())
            .sslProvider(provider)
            .protocols(PROTOCOLS)
            .ciphers(CIPHERS, SupportedCipherSuiteFilter.INSTANCE)
            .clientAuth(ClientAuth.REQUIRE)
            .trustManager(trust)
            .build();
    SslContext client =
        SslContextBuilder.forClient()
            .keyManager(certificate.privateKey(), certificate.certificate())
            .sslProvider(provider)
            .protocols(PROTOCOLS)
            .ciphers(CIPHERS, SupportedCipherSuiteFilter.INSTANCE)
            .trustManager(trust)
            // A peer is its node id, not a host name; Netty 4.2 would otherwise check names.
            .endpointIdentificationAlgorithm(null)
            .build();
    log.debug("TLS contexts for node {} use {}", certificate.nodeId(), provider);
    return new TlsContexts(certificate, provider, server, client);
  }

  /** The provider both contexts use: {@link SslProvider#OPENSSL} or {@link SslProvider#JDK}. */
  public SslProvider provider() {
    return provider;
  }

  /** The node these contexts prove. */
  public NodeId nodeId() {
    return certificate.nodeId();
  }

  /** The certificate presented to peers. */
  public PeerCertificate certificate() {
    return certificate;
  }

  /** The context for accepted connections; it requires a client certificate. */
  public SslContext server() {
    return server;
  }

  /** The context for dialled connections. */
  public SslContext client() {
    return client;
  }

  /** A handler for an accepted connection. */
  public SslHandler newServerHandler(ByteBufAllocator alloc) {
    return server.newHandler(alloc);
  }

  /** A handler for a dialled connection; it sends no SNI. */
  public SslHandler newClientHandler(ByteBufAllocator alloc) {
    return client.newHandler(alloc);
  }
}
