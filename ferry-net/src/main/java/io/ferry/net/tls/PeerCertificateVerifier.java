package io.ferry.net.tls;

import io.ferry.core.identity.NodeId;
import io.ferry.net.tls.PeerCertificateException.Reason;
import java.io.IOException;
import java.security.GeneralSecurityException;
import java.security.KeyFactory;
import java.security.PublicKey;
import java.security.cert.CertificateEncodingException;
import java.security.cert.X509Certificate;
import java.security.spec.X509EncodedKeySpec;
import java.time.Instant;
import java.util.Arrays;
import java.util.Map;
import java.util.Set;
import org.bouncycastle.asn1.ASN1Encoding;
import org.bouncycastle.asn1.ASN1ObjectIdentifier;
import org.bouncycastle.asn1.ASN1Primitive;
import org.bouncycastle.asn1.edec.EdECObjectIdentifiers;
import org.bouncycastle.asn1.sec.SECObjectIdentifiers;
import org.bouncycastle.asn1.x509.AlgorithmIdentifier;
import org.bouncycastle.asn1.x509.Certificate;
import org.bouncycastle.asn1.x509.Extension;
import org.bouncycastle.asn1.x509.Extensions;
import org.bouncycastle.asn1.x509.SubjectPublicKeyInfo;
import org.bouncycastle.asn1.x509.TBSCertificate;
import org.bouncycastle.asn1.x9.X9ObjectIdentifiers;
import org.bouncycastle.cert.CertException;
import org.bouncycastle.cert.X509CertificateHolder;
import org.bouncycastle.operator.OperatorCreationException;
import org.bouncycastle.operator.jcajce.JcaContentVerifierProviderBuilder;

/**
 * Checks a peer's certificate chain against the libp2p TLS handshake spec and returns the node it
 * proves. There is no certificate authority: the chain must be exactly one self-signed certificate,
 * valid now, with a sound self-signature (ECDSA on P-256, P-384 or P-521 with SHA-2, or Ed25519;
 * never SHA-1 or explicit curve parameters), no deprecated unique ids, no critical extension other
 * than the libp2p one, and a libp2p extension in which an Ed25519 node key signs {@code
 * "libp2p-tls-handshake:" || SubjectPublicKeyInfo}.
 *
 * <p>Certificates are parsed from their DER bytes by BouncyCastle, so the check does not depend on
 * which TLS provider built the {@link X509Certificate}. Stateless and thread-safe.
 */
public final class PeerCertificateVerifier {
  private static final Set<ASN1ObjectIdentifier> ECDSA_SIGNATURES =
      Set.of(
          X9ObjectIdentifiers.ecdsa_with_SHA256,
          X9ObjectIdentifiers.ecdsa_with_SHA384,
          X9ObjectIdentifiers.ecdsa_with_SHA512);
  private static final Map<ASN1ObjectIdentifier, String> NAMED_CURVES =
      Map.of(
          SECObjectIdentifiers.secp256r1, "P-256",
          SECObjectIdentifiers.secp384r1, "P-384",
          SECObjectIdentifiers.secp521r1, "P-521");

  private PeerCertificateVerifier() {}

  /**
   * The node proven by {@code chain}, checked at time {@code now}.
   *
   * @throws PeerCertificateException with the {@link Reason} for the first rule the chain breaks
   */
  public static NodeId verify(X509Certificate[] chain, Instant now) {
    if (chain == null || chain.length != 1) {
      throw new PeerCertificateException(
          Reason.CHAIN_LENGTH,
          "expected exactly one certificate, got " + (chain == null ? 0 : chain.length));
    }
    byte[] der;
    try {
      der = chain[0].getEncoded();
    } catch (CertificateEncodingException e) {
      throw new PeerCertificateException(
          Reason.MALFORMED_CERTIFICATE, "the certificate cannot be encoded", e);
    }
    return verifyDer(der, now);
  }

  /** The node proven by the DER certificate {@code der}, checked at time {@code now}. */
  static NodeId verifyDer(byte[] der, Instant now) {
    Certificate certificate = parse(der);
    TBSCertificate tbs = certificate.getTBSCertificate();
    checkValidity(tbs, now);
    if (tbs.getIssuerUniqueId() != null || tbs.getSubjectUniqueId() != null) {
      throw new PeerCertificateException(
          Reason.UNIQUE_ID_PRESENT, "the certificate has a deprecated issuer or subject unique id");
    }
    checkAlgorithms(certificate);
    checkSelfSignature(certificate);
    byte[] extension = libp2pExtension(tbs.getExtensions());
    return Libp2pExtension.verify(extension, encode(tbs.getSubjectPublicKeyInfo()));
  }

  private static Certificate parse(byte[] der) {
    Certificate certificate;
    try {
      ASN1Primitive parsed = ASN1Primitive.fromByteArray(der);
      certificate = Certificate.getInstance(parsed);
      // The signatures cover DER; a BER variant could show a peer different bytes than we check.
      if (!Arrays.equals(certificate.getEncoded(ASN1Encoding.DER), der)) {
        throw malformed("the certificate is not DER encoded", null);
      }
    } catch (PeerCertificateException e) {
      throw e;
    } catch (IOException | RuntimeException e) {
      // BouncyCastle reports bad input as IOException, IllegalArgumentException or
      // IllegalStateException depending on where parsing stops.
      throw malformed("not an X.509 certificate: " + e.getMessage(), e);
    }
    if (certificate.getVersionNumber() != 3) {
      throw malformed("expected an X.509 v3 certificate, got v" + certificate.getVersionNumber());
    }
    return certificate;
  }

  private static void checkValidity(TBSCertificate tbs, Instant now) {
    Instant notBefore = tbs.getStartDate().getDate().toInstant();
    Instant notAfter = tbs.getEndDate().getDate().toInstant();
    if (now.isBefore(notBefore)) {
      throw new PeerCertificateException(
          Reason.NOT_YET_VALID, "the certificate is valid from " + notBefore + ", now is " + now);
    }
    if (now.isAfter(notAfter)) {
      throw new PeerCertificateException(
          Reason.EXPIRED, "the certificate expired at " + notAfter + ", now is " + now);
    }
  }

  private static void checkAlgorithms(Certificate certificate) {
    AlgorithmIdentifier signature = certificate.getSignatureAlgorithm();
    if (!signature.equals(certificate.getTBSCertificate().getSignature())) {
      throw malformed("the signature algorithm inside and outside the signed part differ");
    }
    ASN1ObjectIdentifier signatureOid = signature.getAlgorithm();
    boolean ecdsa = ECDSA_SIGNATURES.contains(signatureOid);
    boolean ed25519 = EdECObjectIdentifiers.id_Ed25519.equals(signatureOid);
    if (!(ecdsa || ed25519) || signature.getParameters() != null) {
      throw new PeerCertificateException(
          Reason.UNSUPPORTED_SIGNATURE_ALGORITHM,
          "signature algorithm "
              + signatureOid
              + " is not ECDSA with SHA-256/384/512 or Ed25519 (without parameters)");
    }
    AlgorithmIdentifier key = certificate.getSubjectPublicKeyInfo().getAlgorithm();
    if (X9ObjectIdentifiers.id_ecPublicKey.equals(key.getAlgorithm())) {
      // Explicit curve parameters would let a peer pick its own curve ("Whose Curve Is It
      // Anyway"), so only a named curve from a short list is accepted.
      if (!(key.getParameters() instanceof ASN1ObjectIdentifier curve)
          || !NAMED_CURVES.containsKey(curve)) {
        throw new PeerCertificateException(
            Reason.UNSUPPORTED_CERTIFICATE_KEY,
            "an EC certificate key must name one of the curves P-256, P-384, P-521");
      }
      if (!ecdsa) {
        throw new PeerCertificateException(
            Reason.UNSUPPORTED_SIGNATURE_ALGORITHM, "an EC certificate key must sign with ECDSA");
      }
    } else if (EdECObjectIdentifiers.id_Ed25519.equals(key.getAlgorithm())) {
      if (!ed25519) {
        throw new PeerCertificateException(
            Reason.UNSUPPORTED_SIGNATURE_ALGORITHM,
            "an Ed25519 certificate key must sign with Ed25519");
      }
    } else {
      throw new PeerCertificateException(
          Reason.UNSUPPORTED_CERTIFICATE_KEY,
          "certificate key algorithm " + key.getAlgorithm() + " is not ECDSA or Ed25519");
    }
  }

  private static void checkSelfSignature(Certificate certificate) {
    SubjectPublicKeyInfo spki = certificate.getSubjectPublicKeyInfo();
    String keyAlgorithm =
        X9ObjectIdentifiers.id_ecPublicKey.equals(spki.getAlgorithm().getAlgorithm())
            ? "EC"
            : "Ed25519";
    try {
      PublicKey key =
          KeyFactory.getInstance(keyAlgorithm).generatePublic(new X509EncodedKeySpec(encode(spki)));
      boolean valid =
          new X509CertificateHolder(certificate)
              .isSignatureValid(new JcaContentVerifierProviderBuilder().build(key));
      if (!valid) {
        throw new PeerCertificateException(
            Reason.BAD_SELF_SIGNATURE, "the certificate's signature is not by its own key");
      }
    } catch (GeneralSecurityException | OperatorCreationException | CertException e) {
      throw new PeerCertificateException(
          Reason.BAD_SELF_SIGNATURE, "the certificate's self-signature cannot be checked: " + e, e);
    }
  }

  private static byte[] libp2pExtension(Extensions extensions) {
    if (extensions == null) {
      throw missingExtension();
    }
    byte[] value = null;
    for (ASN1ObjectIdentifier oid : extensions.getExtensionOIDs()) {
      Extension extension = extensions.getExtension(oid);
      if (Libp2pExtension.OID.equals(oid)) {
        value = extension.getExtnValue().getOctets(); // BouncyCastle refuses repeated extensions
      } else if (extension.isCritical()) {
        throw new PeerCertificateException(
            Reason.UNKNOWN_CRITICAL_EXTENSION,
            "the certificate has critical extension " + oid + ", which Ferry does not understand");
      }
      // Non-critical extensions with other OIDs are ignored, as the spec requires.
    }
    if (value == null) {
      throw missingExtension();
    }
    return value;
  }

  private static byte[] encode(SubjectPublicKeyInfo spki) {
    try {
      return spki.getEncoded(ASN1Encoding.DER);
    } catch (IOException e) {
      throw malformed("the certificate's public key cannot be encoded", e);
    }
  }

  private static PeerCertificateException missingExtension() {
    return new PeerCertificateException(
        Reason.MISSING_EXTENSION,
        "the certificate lacks the libp2p public key extension " + Libp2pExtension.OID);
  }

  private static PeerCertificateException malformed(String message) {
    return malformed(message, null);
  }

  private static PeerCertificateException malformed(String message, Throwable cause) {
    return new PeerCertificateException(Reason.MALFORMED_CERTIFICATE, message, cause);
  }
}
