package io.ferry.net.tls;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import io.ferry.core.Hex;
import io.ferry.core.identity.NodeKey;
import io.ferry.net.tls.PeerCertificateException.Reason;
import org.junit.jupiter.api.Test;

/** The SignedKey DER and PublicKey protobuf encodings inside the libp2p extension. */
class CertificateExtensionCodecTest {
  private static final NodeKey NODE = NodeKey.fromSeed(new byte[32]);

  @Test
  void anEd25519HostKeyEncodesAsLibp2pDoes() {
    byte[] encoded = HostPublicKey.ed25519(NODE.id()).encode();

    assertThat(Hex.encode(encoded)).isEqualTo("08011220" + Hex.encode(NODE.id().publicKey()));
    assertThat(HostPublicKey.decode(encoded).toNodeId()).isEqualTo(NODE.id());
  }

  @Test
  void unknownProtobufFieldsAreSkippedAndFieldOrderDoesNotMatter() {
    byte[] reordered =
        Hex.decode("1220" + Hex.encode(NODE.id().publicKey()) + "1801" + "0801"); // Data, 3, Type

    assertThat(HostPublicKey.decode(reordered).toNodeId()).isEqualTo(NODE.id());
  }

  @Test
  void aHostKeyMissingAFieldOrNotProtobufIsMalformed() {
    for (String hex : new String[] {"0801", "1220" + "00".repeat(32), "ff", "0a05"}) {
      assertThatThrownBy(() -> HostPublicKey.decode(Hex.decode(hex)))
          .isInstanceOfSatisfying(
              PeerCertificateException.class,
              e -> assertThat(e.reason()).isEqualTo(Reason.MALFORMED_EXTENSION));
    }
  }

  @Test
  void otherHostKeyTypesAreUnsupported() {
    for (int type : new int[] {0, 2, 3, 9}) {
      HostPublicKey key = HostPublicKey.decode(new HostPublicKey(type, new byte[33]).encode());
      assertThatThrownBy(key::toNodeId)
          .isInstanceOfSatisfying(
              PeerCertificateException.class,
              e -> {
                assertThat(e.reason()).isEqualTo(Reason.UNSUPPORTED_KEY_TYPE);
                assertThat(e.getMessage())
                    .contains("unsupported key type " + HostPublicKey.typeName(type));
              });
    }
  }

  @Test
  void signedKeyIsASequenceOfTwoOctetStrings() {
    byte[] der = new SignedKey(new byte[] {1, 2}, new byte[] {3}).toDer();

    assertThat(Hex.encode(der)).isEqualTo("3007" + "04020102" + "040103");
    SignedKey parsed = SignedKey.fromDer(der);
    assertThat(parsed.publicKey()).containsExactly(1, 2);
    assertThat(parsed.signature()).containsExactly(3);
  }

  @Test
  void signedKeyRejectsOtherShapesAndNonDer() {
    String[] bad = {
      "", // empty
      "3003040101", // one field
      "3009040101040101040101", // three fields
      "3006030101030101", // BIT STRINGs, as an early draft had
      "3080040101040101" + "0000", // indefinite length (BER)
      "3006040101040101" + "00" // trailing byte
    };
    for (String hex : bad) {
      assertThatThrownBy(() -> SignedKey.fromDer(Hex.decode(hex)))
          .as(hex)
          .isInstanceOfSatisfying(
              PeerCertificateException.class,
              e -> assertThat(e.reason()).isEqualTo(Reason.MALFORMED_EXTENSION));
    }
  }

  @Test
  void theSignatureCoversPrefixAndSubjectPublicKeyInfo() {
    byte[] spki = {0x30, 0x00};
    byte[] message = Libp2pExtension.signedMessage(spki);

    assertThat(new String(message, 0, 21, java.nio.charset.StandardCharsets.US_ASCII))
        .isEqualTo("libp2p-tls-handshake:");
    assertThat(Libp2pExtension.verify(Libp2pExtension.sign(NODE, spki), spki)).isEqualTo(NODE.id());
    assertThatThrownBy(
            () -> Libp2pExtension.verify(Libp2pExtension.sign(NODE, spki), new byte[] {0x30, 0x01}))
        .isInstanceOfSatisfying(
            PeerCertificateException.class,
            e -> assertThat(e.reason()).isEqualTo(Reason.BAD_KEY_SIGNATURE));
  }
}
