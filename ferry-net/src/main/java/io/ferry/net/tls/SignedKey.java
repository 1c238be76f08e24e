package io.ferry.net.tls;

import io.ferry.net.tls.PeerCertificateException.Reason;
import java.io.IOException;
import java.io.UncheckedIOException;
import java.util.Arrays;
import org.bouncycastle.asn1.ASN1Encodable;
import org.bouncycastle.asn1.ASN1Encoding;
import org.bouncycastle.asn1.ASN1OctetString;
import org.bouncycastle.asn1.ASN1Primitive;
import org.bouncycastle.asn1.ASN1Sequence;
import org.bouncycastle.asn1.DEROctetString;
import org.bouncycastle.asn1.DERSequence;

/**
 * The value of the libp2p public key extension: {@code SignedKey ::= SEQUENCE { publicKey OCTET
 * STRING, signature OCTET STRING }}, where publicKey is a protobuf {@link HostPublicKey}.
 */
record SignedKey(byte[] publicKey, byte[] signature) {

  byte[] toDer() {
    ASN1Encodable[] fields = {new DEROctetString(publicKey), new DEROctetString(signature)};
    try {
      return new DERSequence(fields).getEncoded(ASN1Encoding.DER);
    } catch (IOException e) {
      throw new UncheckedIOException("DER encoding in memory cannot fail", e);
    }
  }

  /** Parses a DER SignedKey; BER or trailing bytes are rejected, so one value has one encoding. */
  static SignedKey fromDer(byte[] der) {
    ASN1Sequence sequence;
    try {
      ASN1Primitive parsed = ASN1Primitive.fromByteArray(der);
      if (!Arrays.equals(parsed.getEncoded(ASN1Encoding.DER), der)) {
        throw malformed("the SignedKey is not DER encoded", null);
      }
      sequence = ASN1Sequence.getInstance(parsed);
      if (sequence.size() != 2) {
        throw malformed("a SignedKey has 2 fields, got " + sequence.size(), null);
      }
      return new SignedKey(
          ASN1OctetString.getInstance(sequence.getObjectAt(0)).getOctets(),
          ASN1OctetString.getInstance(sequence.getObjectAt(1)).getOctets());
    } catch (PeerCertificateException e) {
      throw e;
    } catch (IOException | RuntimeException e) {
      // BouncyCastle reports bad input as IOException, IllegalArgumentException or
      // IllegalStateException depending on where parsing stops.
      throw malformed("the extension value is not a DER SignedKey: " + e.getMessage(), e);
    }
  }

  private static PeerCertificateException malformed(String message, Throwable cause) {
    return new PeerCertificateException(Reason.MALFORMED_EXTENSION, message, cause);
  }
}
