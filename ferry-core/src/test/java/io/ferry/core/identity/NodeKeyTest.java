package io.ferry.core.identity;

import static io.ferry.core.FerryAssertions.assertFerryError;
import static org.assertj.core.api.Assertions.assertThat;

import io.ferry.core.ErrorCode;
import io.ferry.core.Hex;
import java.nio.charset.StandardCharsets;
import java.security.Signature;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.CsvSource;
import org.junit.jupiter.params.provider.ValueSource;

class NodeKeyTest {
  // RFC 8032 section 7.1, tests 1 and 2.
  static final String RFC_SEED_1 =
      "9d61b19deffd5a60ba844af492ec2cc44449c5697b326919703bac031cae7f60";
  static final String RFC_PUBLIC_1 =
      "d75a980182b10ab7d54bfed3c964073a0ee172f3daa62325af021a68f707511a";
  static final String RFC_ID_1 = "FVen3X669xLzsi6N2V91DoiyzHzg1uAgqiT8jZ9nS96Z";

  @ParameterizedTest
  @CsvSource({
    RFC_SEED_1
        + ","
        + RFC_PUBLIC_1
        + ",'',"
        + "e5564300c360ac729086e2cc806e828a84877f1eb8e5d974d873e065224901555fb8821590a33bacc61e39701cf9b46bd25bf5f0595bbe24655141438e7a100b",
    "4ccd089b28ff96da9db6c346ec114e0f5b8a319f35aba624da8cf6ed4fb8a6fb,"
        + "3d4017c3e843895a92b70aa74d1b7ebc9c982ccf2ec4968cc0cd55f12af4660c,72,"
        + "92a009a9f0d4cab8720e820b5f642540a2b27b5416503f8fb3762223ebdb69da085ac1e43e15996e458f3613d0f11d8c387b2eaeb4302aeeb00d291612bb0c00"
  })
  void rfc8032Vectors(String seed, String publicKey, String message, String signature) {
    NodeKey key = NodeKey.fromSeed(Hex.decode(seed));
    assertThat(Hex.encode(key.id().publicKey())).isEqualTo(publicKey);
    byte[] msg = Hex.decode(message);
    assertThat(Hex.encode(key.sign(msg))).isEqualTo(signature);
    assertThat(key.id().verify(msg, Hex.decode(signature))).isTrue();
    assertThat(NodeId.of(Hex.decode(publicKey)).verify(msg, Hex.decode(signature))).isTrue();
  }

  @Test
  void rfcVectorIdText() {
    NodeKey key = NodeKey.fromSeed(Hex.decode(RFC_SEED_1));
    assertThat(key.id()).hasToString(RFC_ID_1);
    assertThat(key.id().shortString()).isEqualTo(RFC_ID_1.substring(0, 8));
    assertThat(key).hasToString("NodeKey(" + RFC_ID_1 + ")");
  }

  @Test
  void fromSeedIsDeterministic() {
    byte[] seed = new byte[32];
    seed[5] = 42;
    NodeKey a = NodeKey.fromSeed(seed);
    NodeKey b = NodeKey.fromSeed(seed.clone());
    assertThat(a.id()).isEqualTo(b.id());
    assertThat(a).isEqualTo(b).hasSameHashCodeAs(b);
    byte[] other = seed.clone();
    other[5] = 43;
    assertThat(NodeKey.fromSeed(other).id()).isNotEqualTo(a.id());
    assertThat(NodeKey.fromSeed(other)).isNotEqualTo(a);
  }

  @Test
  void fromSeedCopiesTheSeed() {
    byte[] seed = Hex.decode(RFC_SEED_1);
    NodeKey key = NodeKey.fromSeed(seed);
    seed[0] ^= 1;
    assertThat(key.id()).hasToString(RFC_ID_1);
    assertThat(Hex.encode(key.toPkcs8())).endsWith(RFC_SEED_1);
  }

  @Test
  void generatedKeysDiffer() {
    NodeKey a = NodeKey.generate();
    NodeKey b = NodeKey.generate();
    assertThat(a.id()).isNotEqualTo(b.id());
    byte[] msg = "hello".getBytes(StandardCharsets.UTF_8);
    assertThat(a.id().verify(msg, a.sign(msg))).isTrue();
  }

  @Test
  void pkcs8IsTheRfc8410Encoding() {
    NodeKey key = NodeKey.fromSeed(Hex.decode(RFC_SEED_1));
    assertThat(Hex.encode(key.toPkcs8()))
        .isEqualTo("302e020100300506032b657004220420" + RFC_SEED_1);
    assertThat(NodeKey.fromPkcs8(key.toPkcs8())).isEqualTo(key);
  }

  @Test
  void toStringDoesNotLeakTheSeed() {
    NodeKey key = NodeKey.fromSeed(Hex.decode(RFC_SEED_1));
    assertThat(key.toString()).doesNotContainIgnoringCase(RFC_SEED_1.substring(0, 16));
  }

  @Test
  void jdkPrivateKeySignsTheSame() throws Exception {
    NodeKey key = NodeKey.fromSeed(Hex.decode(RFC_SEED_1));
    byte[] msg = "commit".getBytes(StandardCharsets.UTF_8);
    Signature jdk = Signature.getInstance("Ed25519");
    jdk.initSign(key.privateKey());
    jdk.update(msg);
    assertThat(jdk.sign()).isEqualTo(key.sign(msg));
  }

  @Test
  void signatureIsDeterministicAndSixtyFourBytes() {
    NodeKey key = NodeKey.fromSeed(Hex.decode(RFC_SEED_1));
    byte[] msg = new byte[1000];
    assertThat(key.sign(msg)).hasSize(64).isEqualTo(key.sign(msg));
  }

  @Test
  void tamperedMessageOrSignatureFails() {
    NodeKey key = NodeKey.fromSeed(Hex.decode(RFC_SEED_1));
    byte[] msg = "height=1 put k1=v1".getBytes(StandardCharsets.UTF_8);
    byte[] sig = key.sign(msg);
    assertThat(key.id().verify(msg, sig)).isTrue();

    byte[] tamperedMsg = msg.clone();
    tamperedMsg[0] ^= 1;
    assertThat(key.id().verify(tamperedMsg, sig)).isFalse();

    byte[] tamperedSig = sig.clone();
    tamperedSig[63] ^= 0x40;
    assertThat(key.id().verify(msg, tamperedSig)).isFalse();
    assertThat(key.id().verify(msg, new byte[64])).isFalse();
    assertThat(key.id().verify(new byte[0], sig)).isFalse();
  }

  @Test
  void signatureUnderAnotherKeyFails() {
    NodeKey alice = NodeKey.fromSeed(Hex.decode(RFC_SEED_1));
    NodeKey bob = NodeKey.fromSeed(new byte[32]);
    byte[] msg = "hello".getBytes(StandardCharsets.UTF_8);
    assertThat(bob.id().verify(msg, alice.sign(msg))).isFalse();
    assertThat(alice.id().verify(msg, bob.sign(msg))).isFalse();
  }

  @ParameterizedTest
  @ValueSource(ints = {0, 1, 32, 63, 65, 128})
  void wrongLengthSignatureIsFalseNotAnException(int length) {
    NodeKey key = NodeKey.fromSeed(Hex.decode(RFC_SEED_1));
    byte[] msg = "hello".getBytes(StandardCharsets.UTF_8);
    byte[] sig = key.sign(msg);
    byte[] wrong = java.util.Arrays.copyOf(sig, length); // a prefix or a zero-padded copy
    assertThat(key.id().verify(msg, wrong)).isFalse();
  }

  @ParameterizedTest
  @ValueSource(ints = {0, 16, 31, 33, 64})
  void seedOfWrongLengthIsInvalidEncoding(int length) {
    assertFerryError(() -> NodeKey.fromSeed(new byte[length]), ErrorCode.INVALID_ENCODING)
        .contains("32 bytes");
  }

  @Test
  void pkcs8OfWrongShapeIsCorruptData() {
    assertFerryError(() -> NodeKey.fromPkcs8(new byte[48]), ErrorCode.CORRUPT_DATA)
        .contains("PKCS#8");
    assertFerryError(() -> NodeKey.fromPkcs8(new byte[0]), ErrorCode.CORRUPT_DATA);
    byte[] x25519 = Hex.decode("302e020100300506032b656e04220420" + RFC_SEED_1);
    assertFerryError(() -> NodeKey.fromPkcs8(x25519), ErrorCode.CORRUPT_DATA);
  }
}
