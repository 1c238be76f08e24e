package io.ferry.gossip.value;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import com.google.protobuf.ByteString;
import io.ferry.core.Bytes;
import io.ferry.core.ErrorCode;
import io.ferry.core.FerryException;
import io.ferry.core.Limits;
import io.ferry.core.identity.NodeKey;
import java.nio.charset.StandardCharsets;
import java.util.Arrays;
import java.util.function.UnaryOperator;
import org.junit.jupiter.api.Test;

class SignedValueTest {
  private static final NodeKey KEY = NodeKey.fromSeed(new byte[32]);
  private static final Bytes PAYLOAD = new ContactInfo("h:1", "", "test", "1").encode();

  private static SignedValue value() {
    return SignedValue.sign(KEY, "test", ValueKind.CONTACT_INFO, 1_000, Bytes.EMPTY, PAYLOAD);
  }

  private static void assertShapeError(UnaryOperator<io.ferry.wire.v1.SignedValue.Builder> edit) {
    io.ferry.wire.v1.SignedValue proto = edit.apply(value().toProto().toBuilder()).build();
    assertThatThrownBy(() -> SignedValue.fromProto(proto))
        .isInstanceOfSatisfying(
            FerryException.class, e -> assertThat(e.code()).isEqualTo(ErrorCode.INVALID_ENCODING));
  }

  @Test
  void aValueSurvivesTheWireAndVerifiesOnlyInItsNetwork() {
    SignedValue v = value();
    SignedValue back = SignedValue.fromProto(v.toProto());
    assertThat(back).isEqualTo(v);
    assertThat(back.hash()).isEqualTo(v.hash());
    assertThat(back.verifies("test")).isTrue();
    assertThat(back.verifies("tes")).isFalse();
    assertThat(back.verifies("test2")).isFalse();
    assertThat(v.key()).isEqualTo(new ValueKey(KEY.id(), ValueKind.CONTACT_INFO, Bytes.EMPTY));
    // Another wallclock is another value.
    SignedValue later =
        SignedValue.sign(KEY, "test", ValueKind.CONTACT_INFO, 1_001, Bytes.EMPTY, PAYLOAD);
    assertThat(later.hash()).isNotEqualTo(v.hash());
    assertThat(later.key()).isEqualTo(v.key());
  }

  @Test
  void theSignatureCoversTheDomainNetworkAndEveryField() {
    byte[] signed =
        SignedValue.signedBytes("test", ValueKind.CONTACT_INFO, 1_000, Bytes.EMPTY, PAYLOAD);
    byte[] domain = "ferry/gossip/value/v1".getBytes(StandardCharsets.US_ASCII);
    assertThat(Arrays.copyOf(signed, domain.length)).isEqualTo(domain);
    assertThat(signed[domain.length]).isEqualTo((byte) 4);
    assertThat(signed).hasSize(domain.length + 1 + 4 + 4 + 8 + 2 + 0 + 4 + PAYLOAD.length());
    // The lengths keep fields from sliding into each other: index "a" with payload "bc" is not
    // index "ab" with payload "c".
    byte[] a =
        SignedValue.signedBytes(
            "t",
            ValueKind.PROVIDER,
            1,
            Bytes.wrap(new byte[] {'a'}),
            Bytes.wrap(new byte[] {'b', 'c'}));
    byte[] b =
        SignedValue.signedBytes(
            "t",
            ValueKind.PROVIDER,
            1,
            Bytes.wrap(new byte[] {'a', 'b'}),
            Bytes.wrap(new byte[] {'c'}));
    assertThat(a).isNotEqualTo(b);
    assertThatThrownBy(
            () ->
                SignedValue.sign(
                    KEY,
                    "n".repeat(Limits.MAX_NETWORK_NAME_BYTES + 1),
                    ValueKind.CONTACT_INFO,
                    1,
                    Bytes.EMPTY,
                    PAYLOAD))
        .isInstanceOf(IllegalArgumentException.class);
  }

  @Test
  void fromProtoRefusesWrongShapesAsEncodingErrors() {
    assertShapeError(b -> b.setOrigin(ByteString.copyFrom(new byte[31])));
    assertShapeError(b -> b.setOrigin(ByteString.EMPTY));
    assertShapeError(b -> b.setSignature(ByteString.copyFrom(new byte[63])));
    assertShapeError(b -> b.setSignature(ByteString.copyFrom(new byte[65])));
    assertShapeError(b -> b.setIndex(ByteString.copyFrom(new byte[] {1})));
    assertShapeError(
        b -> b.setKind(io.ferry.wire.v1.ValueKind.VALUE_KIND_PROVIDER).setIndex(ByteString.EMPTY));
    assertShapeError(
        b ->
            b.setKind(io.ferry.wire.v1.ValueKind.VALUE_KIND_PROVIDER)
                .setIndex(ByteString.copyFrom(new byte[Limits.MAX_GOSSIP_INDEX_BYTES + 1])));
    assertShapeError(
        b -> b.setPayload(ByteString.copyFrom(new byte[Limits.MAX_GOSSIP_PAYLOAD_BYTES + 1])));
    assertShapeError(b -> b.setKind(io.ferry.wire.v1.ValueKind.VALUE_KIND_UNSPECIFIED));
    assertShapeError(b -> b.setKindValue(99));
    // A uint64 wallclock above 2^63 - 1 reads negative.
    assertShapeError(b -> b.setWallclock(-1));
  }

  @Test
  void shapesAtTheLimitsAreTaken() {
    io.ferry.wire.v1.SignedValue proto =
        value().toProto().toBuilder()
            .setKind(io.ferry.wire.v1.ValueKind.VALUE_KIND_PROVIDER)
            .setIndex(ByteString.copyFrom(new byte[Limits.MAX_GOSSIP_INDEX_BYTES]))
            .setPayload(ByteString.copyFrom(new byte[Limits.MAX_GOSSIP_PAYLOAD_BYTES]))
            .build();
    SignedValue v = SignedValue.fromProto(proto);
    assertThat(v.index().length()).isEqualTo(Limits.MAX_GOSSIP_INDEX_BYTES);
    assertThat(v.verifies("test")).isFalse();
  }
}
