package io.ferry.net.tls;

import io.ferry.core.identity.NodeId;
import io.ferry.core.identity.NodeKey;
import io.ferry.net.tls.PeerCertificateException.Reason;
import java.nio.charset.StandardCharsets;
import org.bouncycastle.asn1.ASN1ObjectIdentifier;

/**
 * The libp2p public key extension: binds a certificate's key to a node's Ed25519 key by a signature
 * of the node key over {@code "libp2p-tls-handshake:" || SubjectPublicKeyInfo(DER)}.
 */
final class Libp2pExtension {
  /** The extension's OID, allocated by IANA to libp2p. */
  static final ASN1ObjectIdentifier OID = new ASN1ObjectIdentifier("1.3.6.1.4.1.53594.1.1");

  private static final byte[] SIGNING_PREFIX =
      "libp2p-tls-handshake:".getBytes(StandardCharsets.US_ASCII);

  private Libp2pExtension() {}

  /** The DER SignedKey by which {@code key} vouches for the certificate key {@code spki}. */
  static byte[] sign(NodeKey key, byte[] spki) {
    return new SignedKey(HostPublicKey.ed25519(key.id()).encode(), key.sign(signedMessage(spki)))
        .toDer();
  }

  /**
   * The node that vouches for the certificate key {@code spki} in the extension value {@code
   * signedKeyDer}.
   *
   * @throws PeerCertificateException MALFORMED_EXTENSION, UNSUPPORTED_KEY_TYPE or BAD_KEY_SIGNATURE
   */
  static NodeId verify(byte[] signedKeyDer, byte[] spki) {
    SignedKey signedKey = SignedKey.fromDer(signedKeyDer);
    NodeId id = HostPublicKey.decode(signedKey.publicKey()).toNodeId();
    if (!id.verify(signedMessage(spki), signedKey.signature())) {
      throw new PeerCertificateException(
          Reason.BAD_KEY_SIGNATURE,
          "the signature in the certificate extension is not by node "
              + id
              + " over the certificate's public key");
    }
    return id;
  }

  static byte[] signedMessage(byte[] spki) {
    byte[] message = new byte[SIGNING_PREFIX.length + spki.length];
    System.arraycopy(SIGNING_PREFIX, 0, message, 0, SIGNING_PREFIX.length);
    System.arraycopy(spki, 0, message, SIGNING_PREFIX.length, spki.length);
    return message;
  }
}
