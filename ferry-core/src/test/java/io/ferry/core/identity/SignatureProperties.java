package io.ferry.core.identity;

import static org.assertj.core.api.Assertions.assertThat;

import net.jqwik.api.Arbitraries;
import net.jqwik.api.Arbitrary;
import net.jqwik.api.ForAll;
import net.jqwik.api.Property;
import net.jqwik.api.Provide;
import net.jqwik.api.constraints.IntRange;
import net.jqwik.api.constraints.Size;

class SignatureProperties {
  @Provide
  Arbitrary<byte[]> seeds() {
    return Arbitraries.bytes().array(byte[].class).ofSize(32);
  }

  @Provide
  Arbitrary<byte[]> messages() {
    return Arbitraries.bytes().array(byte[].class).ofMinSize(1).ofMaxSize(200);
  }

  @Property(tries = 200)
  void signThenVerify(@ForAll("seeds") byte[] seed, @ForAll @Size(max = 200) byte[] message) {
    NodeKey key = NodeKey.fromSeed(seed);
    byte[] sig = key.sign(message);
    assertThat(sig).hasSize(64);
    assertThat(key.id().verify(message, sig)).isTrue();
    // The id alone, as a peer knows it, verifies too.
    assertThat(NodeId.parse(key.id().toString()).verify(message, sig)).isTrue();
  }

  @Property(tries = 200)
  void anyFlippedMessageBitFails(
      @ForAll("seeds") byte[] seed,
      @ForAll("messages") byte[] message,
      @ForAll @IntRange(min = 0, max = Integer.MAX_VALUE - 1) int bitSeed) {
    NodeKey key = NodeKey.fromSeed(seed);
    byte[] sig = key.sign(message);
    int bit = bitSeed % (message.length * 8);
    byte[] tampered = message.clone();
    tampered[bit / 8] ^= (byte) (1 << (bit % 8));
    assertThat(key.id().verify(tampered, sig)).isFalse();
  }

  @Property(tries = 200)
  void anyFlippedSignatureBitFails(
      @ForAll("seeds") byte[] seed,
      @ForAll @Size(max = 64) byte[] message,
      @ForAll @IntRange(min = 0, max = 511) int bit) {
    NodeKey key = NodeKey.fromSeed(seed);
    byte[] sig = key.sign(message);
    sig[bit / 8] ^= (byte) (1 << (bit % 8));
    assertThat(key.id().verify(message, sig)).isFalse();
  }

  @Property(tries = 200)
  void anotherKeysSignatureFails(
      @ForAll("seeds") byte[] a, @ForAll("seeds") byte[] b, @ForAll @Size(max = 64) byte[] msg) {
    NodeKey alice = NodeKey.fromSeed(a);
    NodeKey bob = NodeKey.fromSeed(b);
    if (alice.id().equals(bob.id())) {
      return;
    }
    assertThat(bob.id().verify(msg, alice.sign(msg))).isFalse();
  }

  /**
   * Random bytes as a public key (often not a curve point) and random signatures (often
   * non-canonical) must be rejected with false, never an exception.
   */
  @Property(tries = 200)
  void garbageKeysAndSignaturesAreFalseNotExceptions(
      @ForAll("seeds") byte[] publicKey,
      @ForAll @Size(min = 64, max = 64) byte[] signature,
      @ForAll @Size(max = 32) byte[] message) {
    assertThat(NodeId.of(publicKey).verify(message, signature)).isFalse();
  }
}
