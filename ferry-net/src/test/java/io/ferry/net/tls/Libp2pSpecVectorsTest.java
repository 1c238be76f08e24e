package io.ferry.net.tls;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import io.ferry.core.Base58;
import io.ferry.core.Hex;
import io.ferry.core.identity.NodeId;
import io.ferry.net.tls.PeerCertificateException.Reason;
import java.io.ByteArrayInputStream;
import java.io.IOException;
import java.io.InputStream;
import java.nio.charset.StandardCharsets;
import java.security.cert.CertificateFactory;
import java.security.cert.X509Certificate;
import java.time.Instant;
import java.util.Arrays;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.CsvSource;

/** The test vectors of the libp2p TLS handshake spec (see libp2p-tls/README.md). */
class Libp2pSpecVectorsTest {
  // Any time inside the vectors' 1975..4096 validity.
  private static final Instant NOW = Instant.parse("2025-01-01T00:00:00Z");

  @Test
  void theEd25519VectorProvesThePeerIdTheSpecNames() {
    NodeId id = PeerCertificateVerifier.verify(chain("ed25519-valid.hex"), NOW);

    // A libp2p Ed25519 peer id is base58(identity multihash of the protobuf PublicKey):
    // 0x00 (identity), 0x24 (36 bytes), then 08 01 12 20 and the 32-byte key.
    byte[] peerId = Base58.decode("12D3KooWM6CgA9iBFZmcYAHA6A2qvbAxqfkmrYiRQuz3XEsk4Ksv");
    assertThat(Arrays.copyOf(peerId, 6)).isEqualTo(Hex.decode("002408011220"));
    assertThat(id).isEqualTo(NodeId.of(Arrays.copyOfRange(peerId, 6, peerId.length)));
  }

  @Test
  void theEd25519VectorIsAlsoCheckedForValidity() {
    X509Certificate[] chain = chain("ed25519-valid.hex");

    assertThatThrownBy(
            () -> PeerCertificateVerifier.verify(chain, Instant.parse("1974-12-31T00:00:00Z")))
        .isInstanceOfSatisfying(
            PeerCertificateException.class,
            e -> assertThat(e.reason()).isEqualTo(Reason.NOT_YET_VALID));
  }

  @ParameterizedTest
  @CsvSource({
    "ecdsa-valid.hex, ECDSA",
    "secp256k1-valid.hex, Secp256k1",
    "ecdsa-invalid-key-signature.hex, ECDSA"
  })
  void vectorsForOtherHostKeyTypesAreRejectedAsUnsupported(String file, String keyType) {
    X509Certificate[] chain = chain(file);

    assertThatThrownBy(() -> PeerCertificateVerifier.verify(chain, NOW))
        .isInstanceOfSatisfying(
            PeerCertificateException.class,
            e -> {
              assertThat(e.reason()).isEqualTo(Reason.UNSUPPORTED_KEY_TYPE);
              assertThat(e.getMessage()).contains("unsupported key type " + keyType);
            });
  }

  private static X509Certificate[] chain(String file) {
    try (InputStream in = Libp2pSpecVectorsTest.class.getResourceAsStream("/libp2p-tls/" + file)) {
      byte[] der = Hex.decode(new String(in.readAllBytes(), StandardCharsets.US_ASCII).strip());
      return new X509Certificate[] {
        (X509Certificate)
            CertificateFactory.getInstance("X.509")
                .generateCertificate(new ByteArrayInputStream(der))
      };
    } catch (IOException | java.security.cert.CertificateException e) {
      throw new AssertionError("cannot load vector " + file, e);
    }
  }
}
