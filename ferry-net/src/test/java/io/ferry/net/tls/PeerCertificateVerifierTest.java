package io.ferry.net.tls;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import io.ferry.core.ErrorCode;
import io.ferry.core.identity.NodeKey;
import io.ferry.net.tls.PeerCertificateException.Reason;
import java.math.BigInteger;
import java.security.KeyPair;
import java.security.SecureRandom;
import java.security.cert.X509Certificate;
import java.security.interfaces.ECPublicKey;
import java.time.Duration;
import java.time.Instant;
import java.util.Arrays;
import org.assertj.core.api.ThrowableAssert.ThrowingCallable;
import org.bouncycastle.asn1.ASN1ObjectIdentifier;
import org.bouncycastle.asn1.DEROctetString;
import org.bouncycastle.asn1.x509.AlgorithmIdentifier;
import org.bouncycastle.asn1.x509.SubjectPublicKeyInfo;
import org.bouncycastle.asn1.x9.ECNamedCurveTable;
import org.bouncycastle.asn1.x9.X962Parameters;
import org.bouncycastle.asn1.x9.X9ObjectIdentifiers;
import org.junit.jupiter.api.Test;

class PeerCertificateVerifierTest {
  private static final NodeKey NODE = NodeKey.generate();
  private static final NodeKey OTHER = NodeKey.generate();

  @Test
  void aGeneratedCertificateProvesItsNode() {
    PeerCertificate generated = PeerCertificate.generate(NODE);

    assertThat(verify(generated.certificate())).isEqualTo(NODE.id());
    assertThat(generated.nodeId()).isEqualTo(NODE.id());
  }

  @Test
  void aGeneratedCertificateHasTheSpecifiedShape() throws Exception {
    Instant now = Instant.parse("2030-06-01T12:00:00.123Z");
    X509Certificate certificate =
        PeerCertificate.generate(NODE, now, new SecureRandom()).certificate();

    assertThat(certificate.getCriticalExtensionOIDs()).containsExactly("1.3.6.1.4.1.53594.1.1");
    assertThat(certificate.getNonCriticalExtensionOIDs()).isNullOrEmpty();
    assertThat(certificate.getNotBefore().toInstant())
        .isEqualTo(Instant.parse("2030-06-01T11:00:00Z"));
    assertThat(certificate.getNotAfter().toInstant())
        .isEqualTo(Instant.parse("2030-06-01T12:00:00Z").plus(Duration.ofDays(365)));
    assertThat(certificate.getSerialNumber()).isPositive();
    assertThat(certificate.getSerialNumber().bitLength()).isLessThan(160);
    assertThat(certificate.getSigAlgName()).isEqualToIgnoringCase("SHA256withECDSA");
    assertThat(
            ((ECPublicKey) certificate.getPublicKey())
                .getParams()
                .getCurve()
                .getField()
                .getFieldSize())
        .isEqualTo(256);
    certificate.verify(certificate.getPublicKey()); // self-signed
    assertThat(PeerCertificateVerifier.verify(new X509Certificate[] {certificate}, now))
        .isEqualTo(NODE.id());
  }

  @Test
  void everyCertificateHasItsOwnKeyAndSerial() {
    PeerCertificate a = PeerCertificate.generate(NODE);
    PeerCertificate b = PeerCertificate.generate(NODE);

    assertThat(a.certificate().getPublicKey()).isNotEqualTo(b.certificate().getPublicKey());
    assertThat(a.certificate().getSerialNumber()).isNotEqualTo(b.certificate().getSerialNumber());
    assertThat(a.toString()).contains(NODE.id().toString()).doesNotContain("Private");
  }

  @Test
  void theChainMustBeExactlyOneCertificate() {
    X509Certificate one = PeerCertificate.generate(NODE).certificate();

    assertRejected(
        () -> PeerCertificateVerifier.verify((X509Certificate[]) null, Instant.now()),
        Reason.CHAIN_LENGTH);
    assertRejected(
        () -> PeerCertificateVerifier.verify(new X509Certificate[0], Instant.now()),
        Reason.CHAIN_LENGTH);
    assertRejected(
        () -> PeerCertificateVerifier.verify(new X509Certificate[] {one, one}, Instant.now()),
        Reason.CHAIN_LENGTH);
  }

  @Test
  void theCertificateMustBeValidNow() {
    Instant made = Instant.parse("2030-01-01T00:00:00Z");
    X509Certificate[] chain = {
      PeerCertificate.generate(NODE, made, new SecureRandom()).certificate()
    };

    assertThat(PeerCertificateVerifier.verify(chain, made.minus(PeerCertificate.BACKDATE)))
        .isEqualTo(NODE.id());
    assertThat(PeerCertificateVerifier.verify(chain, made.plus(PeerCertificate.LIFETIME)))
        .isEqualTo(NODE.id());
    assertRejected(
        () -> PeerCertificateVerifier.verify(chain, made.minus(Duration.ofHours(2))),
        Reason.NOT_YET_VALID);
    assertRejected(
        () ->
            PeerCertificateVerifier.verify(
                chain, made.plus(PeerCertificate.LIFETIME).plusSeconds(1)),
        Reason.EXPIRED);
  }

  @Test
  void aBrokenSelfSignatureIsRejected() throws Exception {
    byte[] der = PeerCertificate.generate(NODE).certificate().getEncoded();
    der[der.length - 1] ^= 1; // the last byte of the ECDSA signature's s

    assertRejected(
        () -> PeerCertificateVerifier.verifyDer(der, Instant.now()), Reason.BAD_SELF_SIGNATURE);
  }

  @Test
  void anExtensionSignedByAnotherNodeIsRejected() {
    PeerCertificate forged = TestCertificates.forged(OTHER, NODE.id());

    assertThatThrownBy(() -> verify(forged.certificate()))
        .isInstanceOfSatisfying(
            PeerCertificateException.class,
            e -> {
              assertThat(e.reason()).isEqualTo(Reason.BAD_KEY_SIGNATURE);
              assertThat(e.code()).isEqualTo(ErrorCode.VERIFICATION_FAILED);
              assertThat(e.getMessage()).contains(NODE.id().toString());
            });
  }

  @Test
  void aSignatureOverAnotherCertificateKeyIsRejected() {
    KeyPair key = TestCertificates.ecKey("secp256r1");
    byte[] otherSpki = TestCertificates.ecKey("secp256r1").getPublic().getEncoded();
    byte[] der =
        TestCertificates.der(
            key,
            "SHA256withECDSA",
            b ->
                TestCertificates.addExtension(
                    b, TestCertificates.signedKey(NODE, NODE.id(), otherSpki), true));

    assertRejected(
        () -> PeerCertificateVerifier.verifyDer(der, Instant.now()), Reason.BAD_KEY_SIGNATURE);
  }

  @Test
  void theLibp2pExtensionMayBeCriticalOrNot() {
    for (boolean critical : new boolean[] {true, false}) {
      KeyPair key = TestCertificates.ecKey("secp256r1");
      byte[] value = TestCertificates.signedKey(NODE, NODE.id(), key.getPublic().getEncoded());
      byte[] der =
          TestCertificates.der(
              key, "SHA256withECDSA", b -> TestCertificates.addExtension(b, value, critical));

      assertThat(PeerCertificateVerifier.verifyDer(der, Instant.now())).isEqualTo(NODE.id());
    }
  }

  @Test
  void unknownExtensionsAreIgnoredUnlessCritical() {
    ASN1ObjectIdentifier unknown = new ASN1ObjectIdentifier("1.3.6.1.4.1.99999.1");
    for (boolean critical : new boolean[] {false, true}) {
      KeyPair key = TestCertificates.ecKey("secp256r1");
      byte[] value = TestCertificates.signedKey(NODE, NODE.id(), key.getPublic().getEncoded());
      byte[] der =
          TestCertificates.der(
              key,
              "SHA256withECDSA",
              b -> {
                TestCertificates.addExtension(b, value, true);
                try {
                  b.addExtension(unknown, critical, new DEROctetString(new byte[] {1}));
                } catch (Exception e) {
                  throw new AssertionError(e);
                }
              });

      if (critical) {
        assertRejected(
            () -> PeerCertificateVerifier.verifyDer(der, Instant.now()),
            Reason.UNKNOWN_CRITICAL_EXTENSION);
      } else {
        assertThat(PeerCertificateVerifier.verifyDer(der, Instant.now())).isEqualTo(NODE.id());
      }
    }
  }

  @Test
  void aCertificateWithoutTheExtensionIsRejected() {
    PeerCertificate plain = TestCertificates.plain(NODE.id());

    assertRejected(() -> verify(plain.certificate()), Reason.MISSING_EXTENSION);
  }

  @Test
  void aMalformedExtensionIsRejected() {
    KeyPair key = TestCertificates.ecKey("secp256r1");
    byte[] spki = key.getPublic().getEncoded();
    byte[] shortKey =
        new SignedKey(
                new HostPublicKey(HostPublicKey.ED25519, new byte[31]).encode(),
                NODE.sign(Libp2pExtension.signedMessage(spki)))
            .toDer();
    byte[] notProtobuf =
        new SignedKey(new byte[] {(byte) 0xff}, NODE.sign(Libp2pExtension.signedMessage(spki)))
            .toDer();

    for (byte[] value : new byte[][] {{0x05, 0x00}, shortKey, notProtobuf}) {
      byte[] der =
          TestCertificates.der(
              key, "SHA256withECDSA", b -> TestCertificates.addExtension(b, value, true));
      assertRejected(
          () -> PeerCertificateVerifier.verifyDer(der, Instant.now()), Reason.MALFORMED_EXTENSION);
    }
  }

  @Test
  void deprecatedUniqueIdsAreRejected() {
    KeyPair key = TestCertificates.ecKey("secp256r1");
    byte[] value = TestCertificates.signedKey(NODE, NODE.id(), key.getPublic().getEncoded());
    byte[] der =
        TestCertificates.der(
            key,
            "SHA256withECDSA",
            b -> {
              TestCertificates.addExtension(b, value, true);
              b.setSubjectUniqueID(new boolean[] {true, false, true});
            });

    assertRejected(
        () -> PeerCertificateVerifier.verifyDer(der, Instant.now()), Reason.UNIQUE_ID_PRESENT);
  }

  @Test
  void weakOrUnsupportedSignatureAlgorithmsAreRejected() {
    KeyPair ec = TestCertificates.ecKey("secp256r1");
    byte[] sha1 = withExtension(ec, "SHA1withECDSA");
    KeyPair rsa = TestCertificates.keyPair("RSA");
    byte[] rsaSha256 = withExtension(rsa, "SHA256withRSA");

    assertRejected(
        () -> PeerCertificateVerifier.verifyDer(sha1, Instant.now()),
        Reason.UNSUPPORTED_SIGNATURE_ALGORITHM);
    assertRejected(
        () -> PeerCertificateVerifier.verifyDer(rsaSha256, Instant.now()),
        Reason.UNSUPPORTED_SIGNATURE_ALGORITHM);
  }

  @Test
  void otherAllowedCertificateKeysAreAccepted() {
    assertThat(
            PeerCertificateVerifier.verifyDer(
                withExtension(TestCertificates.keyPair("Ed25519"), "Ed25519"), Instant.now()))
        .isEqualTo(NODE.id());
    assertThat(
            PeerCertificateVerifier.verifyDer(
                withExtension(TestCertificates.ecKey("secp384r1"), "SHA384withECDSA"),
                Instant.now()))
        .isEqualTo(NODE.id());
  }

  @Test
  void explicitCurveParametersAreRejected() {
    KeyPair key = TestCertificates.ecKey("secp256r1");
    SubjectPublicKeyInfo named = SubjectPublicKeyInfo.getInstance(key.getPublic().getEncoded());
    SubjectPublicKeyInfo explicit =
        new SubjectPublicKeyInfo(
            new AlgorithmIdentifier(
                X9ObjectIdentifiers.id_ecPublicKey,
                new X962Parameters(ECNamedCurveTable.getByName("P-256"))),
            named.getPublicKeyData().getBytes());
    byte[] der =
        TestCertificates.der(
            explicit,
            key.getPrivate(),
            "SHA256withECDSA",
            b ->
                TestCertificates.addExtension(
                    b,
                    TestCertificates.signedKey(NODE, NODE.id(), key.getPublic().getEncoded()),
                    true));

    assertRejected(
        () -> PeerCertificateVerifier.verifyDer(der, Instant.now()),
        Reason.UNSUPPORTED_CERTIFICATE_KEY);
  }

  @Test
  void bytesThatAreNotADerCertificateAreRejected() throws Exception {
    byte[] good = PeerCertificate.generate(NODE).certificate().getEncoded();
    byte[] trailing = Arrays.copyOf(good, good.length + 1);
    byte[] truncated = Arrays.copyOf(good, good.length - 1);

    for (byte[] der :
        new byte[][] {
          {}, {0x30, 0x00}, trailing, truncated, new BigInteger("1234").toByteArray()
        }) {
      assertRejected(
          () -> PeerCertificateVerifier.verifyDer(der, Instant.now()),
          Reason.MALFORMED_CERTIFICATE);
    }
  }

  private static byte[] withExtension(KeyPair key, String signatureAlgorithm) {
    byte[] value = TestCertificates.signedKey(NODE, NODE.id(), key.getPublic().getEncoded());
    return TestCertificates.der(
        key, signatureAlgorithm, b -> TestCertificates.addExtension(b, value, true));
  }

  private static io.ferry.core.identity.NodeId verify(X509Certificate certificate) {
    return PeerCertificateVerifier.verify(new X509Certificate[] {certificate}, Instant.now());
  }

  static void assertRejected(ThrowingCallable call, Reason reason) {
    assertThatThrownBy(call)
        .isInstanceOfSatisfying(
            PeerCertificateException.class,
            e -> {
              assertThat(e.reason()).isEqualTo(reason);
              assertThat(e.code()).isEqualTo(ErrorCode.VERIFICATION_FAILED);
              assertThat(e.getMessage()).startsWith(reason + ": ");
            });
  }
}
