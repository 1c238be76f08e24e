package io.ferry.net.tls;

import io.ferry.core.ErrorCode;
import io.ferry.core.FerryException;
import io.ferry.core.identity.NodeId;
import io.ferry.core.identity.NodeKey;
import java.math.BigInteger;
import java.security.GeneralSecurityException;
import java.security.KeyPair;
import java.security.KeyPairGenerator;
import java.security.PrivateKey;
import java.security.SecureRandom;
import java.security.cert.X509Certificate;
import java.security.spec.ECGenParameterSpec;
import java.time.Duration;
import java.time.Instant;
import java.time.temporal.ChronoUnit;
import java.util.Date;
import org.bouncycastle.asn1.x500.X500Name;
import org.bouncycastle.cert.CertIOException;
import org.bouncycastle.cert.X509v3CertificateBuilder;
import org.bouncycastle.cert.jcajce.JcaX509CertificateConverter;
import org.bouncycastle.cert.jcajce.JcaX509v3CertificateBuilder;
import org.bouncycastle.operator.OperatorCreationException;
import org.bouncycastle.operator.jcajce.JcaContentSignerBuilder;

/**
 * A node's TLS credential under the libp2p TLS handshake spec: a fresh ECDSA P-256 key and a
 * self-signed X.509 certificate for it whose critical extension 1.3.6.1.4.1.53594.1.1 carries the
 * node's Ed25519 public key and its signature over the certificate's SubjectPublicKeyInfo.
 *
 * <p>The certificate key is unrelated to the node key and lives only in memory: make one per
 * process or transport instance. The certificate is valid from one hour before it was made (to
 * tolerate peers whose clocks run behind) for {@link #LIFETIME}. Immutable and thread-safe.
 */
public final class PeerCertificate {
  /** How long before its creation a certificate is already valid. */
  public static final Duration BACKDATE = Duration.ofHours(1);

  /** How long after its creation a certificate stays valid. */
  public static final Duration LIFETIME = Duration.ofDays(365);

  // The subject says nothing about identity: peers trust only the extension, never the name.
  private static final X500Name NAME = new X500Name("O=ferry");
  private static final String CURVE = "secp256r1";
  private static final String SIGNATURE_ALGORITHM = "SHA256withECDSA";
  // At most 159 bits keeps the DER serial within RFC 5280's 20 octets.
  private static final int SERIAL_BITS = 159;

  private final X509Certificate certificate;
  private final PrivateKey privateKey;
  private final NodeId nodeId;

  // Package-private so tests can pair a deliberately broken certificate with its key.
  PeerCertificate(X509Certificate certificate, PrivateKey privateKey, NodeId nodeId) {
    this.certificate = certificate;
    this.privateKey = privateKey;
    this.nodeId = nodeId;
  }

  /** A new certificate and key for {@code key}, valid from an hour ago for {@link #LIFETIME}. */
  public static PeerCertificate generate(NodeKey key) {
    return generate(key, Instant.now(), new SecureRandom());
  }

  /**
   * A new certificate and key for {@code key} as if made at {@code now}; {@code random} draws the
   * certificate key, serial number and ECDSA nonce.
   */
  public static PeerCertificate generate(NodeKey key, Instant now, SecureRandom random) {
    try {
      KeyPairGenerator generator = KeyPairGenerator.getInstance("EC");
      generator.initialize(new ECGenParameterSpec(CURVE), random);
      KeyPair certificateKey = generator.generateKeyPair();
      // The JDK encodes EC public keys with a named curve, as the spec requires.
      byte[] spki = certificateKey.getPublic().getEncoded();

      Instant start = now.truncatedTo(ChronoUnit.SECONDS);
      X509v3CertificateBuilder builder =
          new JcaX509v3CertificateBuilder(
              NAME,
              new BigInteger(SERIAL_BITS, random).setBit(0), // positive, never zero
              Date.from(start.minus(BACKDATE)),
              Date.from(start.plus(LIFETIME)),
              NAME,
              certificateKey.getPublic());
      // Critical (the spec allows either), so a TLS stack that does not know the binding refuses
      // the certificate rather than trusting it for some other purpose.
      builder.addExtension(Libp2pExtension.OID, true, Libp2pExtension.sign(key, spki));
      X509Certificate certificate =
          new JcaX509CertificateConverter()
              .getCertificate(
                  builder.build(
                      new JcaContentSignerBuilder(SIGNATURE_ALGORITHM)
                          .setSecureRandom(random)
                          .build(certificateKey.getPrivate())));
      return new PeerCertificate(certificate, certificateKey.getPrivate(), key.id());
    } catch (GeneralSecurityException | OperatorCreationException | CertIOException e) {
      throw new FerryException(ErrorCode.INTERNAL, "cannot make a TLS certificate: " + e, e);
    }
  }

  /** The self-signed certificate to present to peers. */
  public X509Certificate certificate() {
    return certificate;
  }

  /** The certificate's private key (ECDSA P-256), for the TLS stack only. */
  public PrivateKey privateKey() {
    return privateKey;
  }

  /** The node this certificate proves. */
  public NodeId nodeId() {
    return nodeId;
  }

  /** Names the node and the expiry; never the key. */
  @Override
  public String toString() {
    return "PeerCertificate(" + nodeId + ", until " + certificate.getNotAfter().toInstant() + ")";
  }
}
