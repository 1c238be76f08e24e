package io.ferry.net.tls;

import io.ferry.core.identity.NodeId;
import io.ferry.core.identity.NodeKey;
import java.math.BigInteger;
import java.security.KeyPair;
import java.security.KeyPairGenerator;
import java.security.PrivateKey;
import java.security.cert.X509Certificate;
import java.security.spec.ECGenParameterSpec;
import java.time.Duration;
import java.time.Instant;
import java.util.Date;
import java.util.function.Consumer;
import org.bouncycastle.asn1.x500.X500Name;
import org.bouncycastle.asn1.x509.SubjectPublicKeyInfo;
import org.bouncycastle.cert.X509v3CertificateBuilder;
import org.bouncycastle.cert.jcajce.JcaX509CertificateConverter;
import org.bouncycastle.operator.jcajce.JcaContentSignerBuilder;

/** Builds certificates that break chosen rules, for tests. */
final class TestCertificates {
  static final X500Name NAME = new X500Name("O=test");

  private TestCertificates() {}

  static KeyPair ecKey(String curve) {
    try {
      KeyPairGenerator generator = KeyPairGenerator.getInstance("EC");
      generator.initialize(new ECGenParameterSpec(curve));
      return generator.generateKeyPair();
    } catch (Exception e) {
      throw new AssertionError(e);
    }
  }

  static KeyPair keyPair(String algorithm) {
    try {
      return KeyPairGenerator.getInstance(algorithm).generateKeyPair();
    } catch (Exception e) {
      throw new AssertionError(e);
    }
  }

  /** An extension value in which {@code signer} signs for {@code claimed}. */
  static byte[] signedKey(NodeKey signer, NodeId claimed, byte[] spki) {
    return new SignedKey(
            HostPublicKey.ed25519(claimed).encode(),
            signer.sign(Libp2pExtension.signedMessage(spki)))
        .toDer();
  }

  /** A builder for a one-hour-old certificate of {@code spki}, valid for a day. */
  static X509v3CertificateBuilder builder(SubjectPublicKeyInfo spki) {
    Instant now = Instant.now();
    return new X509v3CertificateBuilder(
        NAME,
        BigInteger.valueOf(now.toEpochMilli()),
        Date.from(now.minus(Duration.ofHours(1))),
        Date.from(now.plus(Duration.ofDays(1))),
        NAME,
        spki);
  }

  /** The DER of a certificate for {@code key}, signed with {@code signatureAlgorithm}. */
  static byte[] der(
      KeyPair key, String signatureAlgorithm, Consumer<X509v3CertificateBuilder> customize) {
    return der(
        SubjectPublicKeyInfo.getInstance(key.getPublic().getEncoded()),
        key.getPrivate(),
        signatureAlgorithm,
        customize);
  }

  static byte[] der(
      SubjectPublicKeyInfo spki,
      PrivateKey signingKey,
      String signatureAlgorithm,
      Consumer<X509v3CertificateBuilder> customize) {
    try {
      X509v3CertificateBuilder builder = builder(spki);
      customize.accept(builder);
      return builder
          .build(new JcaContentSignerBuilder(signatureAlgorithm).build(signingKey))
          .getEncoded();
    } catch (Exception e) {
      throw new AssertionError(e);
    }
  }

  static X509Certificate x509(byte[] der) {
    try {
      return new JcaX509CertificateConverter()
          .getCertificate(new org.bouncycastle.cert.X509CertificateHolder(der));
    } catch (Exception e) {
      throw new AssertionError(e);
    }
  }

  /**
   * A P-256 certificate whose libp2p extension claims {@code claimed} but is signed by {@code
   * signer}.
   */
  static PeerCertificate forged(NodeKey signer, NodeId claimed) {
    KeyPair key = ecKey("secp256r1");
    byte[] der =
        der(
            key,
            "SHA256withECDSA",
            b -> addExtension(b, signedKey(signer, claimed, key.getPublic().getEncoded()), true));
    return new PeerCertificate(x509(der), key.getPrivate(), claimed);
  }

  /** A plain self-signed P-256 certificate without the libp2p extension. */
  static PeerCertificate plain(NodeId pretendedId) {
    KeyPair key = ecKey("secp256r1");
    return new PeerCertificate(
        x509(der(key, "SHA256withECDSA", b -> {})), key.getPrivate(), pretendedId);
  }

  static void addExtension(X509v3CertificateBuilder builder, byte[] value, boolean critical) {
    try {
      builder.addExtension(Libp2pExtension.OID, critical, value);
    } catch (Exception e) {
      throw new AssertionError(e);
    }
  }
}
