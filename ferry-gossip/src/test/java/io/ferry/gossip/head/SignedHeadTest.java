package io.ferry.gossip.head;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import com.google.protobuf.ByteString;
import io.ferry.core.Bytes;
import io.ferry.core.ErrorCode;
import io.ferry.core.FerryException;
import io.ferry.core.Hash;
import io.ferry.core.identity.NodeKey;
import java.util.Optional;
import net.jqwik.api.ForAll;
import net.jqwik.api.Property;
import net.jqwik.api.constraints.IntRange;
import net.jqwik.api.constraints.LongRange;
import org.junit.jupiter.api.Test;

class SignedHeadTest {
  private static final NodeKey PRODUCER = NodeKey.fromSeed(new byte[32]);
  private static final NodeKey OTHER = NodeKey.fromSeed(filled(7));
  private static final Hash ROOT = Hash.of(filled(0x5a));

  private static byte[] filled(int b) {
    byte[] a = new byte[32];
    java.util.Arrays.fill(a, (byte) b);
    return a;
  }

  @Test
  void aSignedHeadVerifiesAndSurvivesTheWire() {
    SignedHead head = SignedHead.sign(PRODUCER, 42, ROOT);
    assertThat(head.verifies()).isTrue();
    SignedHead back = SignedHead.fromProto(head.toProto());
    assertThat(back).isEqualTo(head);
    assertThat(back.verifies()).isTrue();
  }

  @Test
  void theSignatureCoversTheDomainHeightAndRoot() {
    byte[] bytes = SignedHead.signedBytes(1, ROOT);
    assertThat(new String(bytes, 0, 13, java.nio.charset.StandardCharsets.US_ASCII))
        .isEqualTo("ferry/head/v1");
    assertThat(bytes).hasSize(13 + 8 + 32);
    assertThat(bytes[13 + 7]).isEqualTo((byte) 1);
    // A bare signature over height || root (no domain) is not a head signature.
    byte[] bare = java.util.Arrays.copyOfRange(bytes, 13, bytes.length);
    SignedHead undomained = new SignedHead(PRODUCER.id(), 1, ROOT, Bytes.wrap(PRODUCER.sign(bare)));
    assertThat(undomained.verifies()).isFalse();
  }

  @Test
  void anotherKeysSignatureDoesNotVerifyForTheClaimedProducer() {
    SignedHead byOther = SignedHead.sign(OTHER, 5, ROOT);
    SignedHead claimed = new SignedHead(PRODUCER.id(), 5, ROOT, byOther.signature());
    assertThat(claimed.verifies()).isFalse();
  }

  @Test
  void badFieldLengthsAreTypedEncodingErrors() {
    io.ferry.wire.v1.SignedHead good = SignedHead.sign(PRODUCER, 3, ROOT).toProto();
    for (io.ferry.wire.v1.SignedHead bad :
        new io.ferry.wire.v1.SignedHead[] {
          good.toBuilder().setProducer(ByteString.copyFrom(new byte[31])).build(),
          good.toBuilder().setRoot(ByteString.copyFrom(new byte[33])).build(),
          good.toBuilder().setSignature(ByteString.copyFrom(new byte[63])).build(),
          good.toBuilder().setHeight(-1).build(),
          io.ferry.wire.v1.SignedHead.getDefaultInstance()
        }) {
      assertThatThrownBy(() -> SignedHead.fromProto(bad))
          .isInstanceOf(FerryException.class)
          .extracting(e -> ((FerryException) e).code())
          .isEqualTo(ErrorCode.INVALID_ENCODING);
    }
  }

  @Test
  void trustAcceptsTheTrustedProducerRefusesOthersAndCatchesForgeries() {
    HeadTrust trust = HeadTrust.producer(PRODUCER.id());
    SignedHead good = SignedHead.sign(PRODUCER, 9, ROOT);
    assertThat(trust.judge(good)).isEqualTo(HeadTrust.Verdict.ACCEPT);
    assertThat(trust.judge(SignedHead.sign(OTHER, 9, ROOT))).isEqualTo(HeadTrust.Verdict.FOREIGN);
    SignedHead forged = new SignedHead(PRODUCER.id(), 10, ROOT, good.signature());
    assertThat(trust.judge(forged)).isEqualTo(HeadTrust.Verdict.FORGED);
    assertThat(HeadTrust.none().judge(good)).isEqualTo(HeadTrust.Verdict.FOREIGN);
    assertThat(HeadTrust.none().acceptsAny()).isFalse();
  }

  @Test
  void trustingARootAcceptsWhoeverSignsItAndOnlyIt() {
    HeadTrust trust = HeadTrust.root(ROOT);
    assertThat(trust.judge(SignedHead.sign(OTHER, 4, ROOT))).isEqualTo(HeadTrust.Verdict.ACCEPT);
    assertThat(trust.judge(SignedHead.sign(PRODUCER, 5, Hash.of(filled(1)))))
        .isEqualTo(HeadTrust.Verdict.FOREIGN);
    assertThatThrownBy(() -> new HeadTrust(Optional.of(PRODUCER.id()), Optional.of(ROOT)))
        .isInstanceOf(IllegalArgumentException.class);
  }

  /** Flipping any one bit of the signed message or the signature breaks verification. */
  @Property(tries = 300)
  void anyBitFlipBreaksTheSignature(
      @ForAll @LongRange(min = 0, max = Long.MAX_VALUE) long height,
      @ForAll @IntRange(min = 0, max = 8 * (8 + 32 + 64) - 1) int bit) {
    SignedHead head = SignedHead.sign(PRODUCER, height, ROOT);
    int at = bit / 8;
    int mask = 1 << (bit % 8);
    SignedHead flipped;
    if (at < 8) {
      long h = head.height() ^ ((long) mask << (8 * (7 - at)));
      if (h < 0) {
        return; // not a height a message can carry; fromProto rejects it
      }
      flipped = new SignedHead(head.producer(), h, head.root(), head.signature());
    } else if (at < 40) {
      byte[] r = head.root().toBytes();
      r[at - 8] ^= (byte) mask;
      flipped = new SignedHead(head.producer(), head.height(), Hash.of(r), head.signature());
    } else {
      byte[] s = head.signature().toByteArray();
      s[at - 40] ^= (byte) mask;
      flipped = new SignedHead(head.producer(), head.height(), head.root(), Bytes.wrap(s));
    }
    assertThat(flipped.verifies()).isFalse();
  }
}
