package io.ferry.wire;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import com.google.protobuf.ByteString;
import com.google.protobuf.InvalidProtocolBufferException;
import io.ferry.wire.v1.Envelope;
import io.ferry.wire.v1.Error;
import io.ferry.wire.v1.Kind;
import io.ferry.wire.v1.Protocol;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.ValueSource;

class EnvelopeTest {
  private static Envelope sample() {
    return Envelope.newBuilder()
        .setProtocol(Protocol.PROTOCOL_PROOF_SYNC)
        .setRequestId(0xFFFF_FFFF_FFFF_FFFFL) // uint64 max, negative as a Java long
        .setKind(Kind.KIND_ERROR)
        .setPayload(ByteString.copyFrom(new byte[] {0, 1, 2, (byte) 0xff}))
        .setError(Error.newBuilder().setCode(5).setMessage("corrupt chunk \u2603"))
        .build();
  }

  @Test
  void roundTripsThroughBytes() throws Exception {
    Envelope original = sample();
    byte[] bytes = original.toByteArray();
    Envelope parsed = Envelope.parseFrom(bytes);
    assertThat(parsed).isEqualTo(original);
    assertThat(parsed.getProtocol()).isEqualTo(Protocol.PROTOCOL_PROOF_SYNC);
    assertThat(parsed.getRequestId()).isEqualTo(-1L);
    assertThat(parsed.getKind()).isEqualTo(Kind.KIND_ERROR);
    assertThat(parsed.getPayload().toByteArray()).containsExactly(0, 1, 2, 0xff);
    assertThat(parsed.hasError()).isTrue();
    assertThat(parsed.getError().getCode()).isEqualTo(5);
    assertThat(parsed.getError().getMessage()).isEqualTo("corrupt chunk \u2603");
    assertThat(parsed.getSerializedSize()).isEqualTo(bytes.length);
  }

  @Test
  void emptyEnvelopeIsZeroBytesAndDefaults() throws Exception {
    Envelope empty = Envelope.getDefaultInstance();
    assertThat(empty.toByteArray()).isEmpty();
    Envelope parsed = Envelope.parseFrom(new byte[0]);
    assertThat(parsed.getProtocol()).isEqualTo(Protocol.PROTOCOL_UNSPECIFIED);
    assertThat(parsed.getKind()).isEqualTo(Kind.KIND_UNSPECIFIED);
    assertThat(parsed.getRequestId()).isZero();
    assertThat(parsed.getPayload().isEmpty()).isTrue();
    assertThat(parsed.hasError()).isFalse();
  }

  @Test
  void enumNumbersAreStable() {
    assertThat(Protocol.PROTOCOL_PROOF_SYNC.getNumber()).isEqualTo(1);
    assertThat(Protocol.PROTOCOL_SNAPSHOT_SYNC.getNumber()).isEqualTo(2);
    assertThat(Protocol.PROTOCOL_GOSSIP.getNumber()).isEqualTo(3);
    assertThat(Protocol.PROTOCOL_PUSH_SYNC.getNumber()).isEqualTo(4);
    assertThat(Protocol.PROTOCOL_BLOCK_EXCHANGE.getNumber()).isEqualTo(5);
    assertThat(Kind.KIND_MESSAGE.getNumber()).isEqualTo(1);
    assertThat(Kind.KIND_REQUEST.getNumber()).isEqualTo(2);
    assertThat(Kind.KIND_RESPONSE.getNumber()).isEqualTo(3);
    assertThat(Kind.KIND_ERROR.getNumber()).isEqualTo(4);
    assertThat(Kind.KIND_CANCEL.getNumber()).isEqualTo(5);
  }

  @Test
  void unknownProtocolValueIsPreserved() throws Exception {
    // An embedder's protocol (1000 and up) or one from a newer peer: carried, not lost.
    Envelope original =
        Envelope.newBuilder().setProtocolValue(1234).setKindValue(99).setRequestId(7).build();
    Envelope parsed = Envelope.parseFrom(original.toByteArray());
    assertThat(parsed.getProtocol()).isEqualTo(Protocol.UNRECOGNIZED);
    assertThat(parsed.getProtocolValue()).isEqualTo(1234);
    assertThat(parsed.getKind()).isEqualTo(Kind.UNRECOGNIZED);
    assertThat(parsed.getKindValue()).isEqualTo(99);
    // Forwarding it re-encodes the same bytes.
    assertThat(parsed.toByteArray()).isEqualTo(original.toByteArray());
  }

  @Test
  void unknownFieldsSurviveARoundTrip() throws Exception {
    // Field 15 (a newer peer's addition), varint 42, after a normal envelope.
    byte[] known = sample().toByteArray();
    byte[] withUnknown = new byte[known.length + 2];
    System.arraycopy(known, 0, withUnknown, 0, known.length);
    withUnknown[known.length] = (byte) (15 << 3);
    withUnknown[known.length + 1] = 42;
    Envelope parsed = Envelope.parseFrom(withUnknown);
    assertThat(parsed.getProtocol()).isEqualTo(Protocol.PROTOCOL_PROOF_SYNC);
    assertThat(parsed.getUnknownFields().hasField(15)).isTrue();
    assertThat(parsed.toByteArray()).isEqualTo(withUnknown);
  }

  @ParameterizedTest
  @ValueSource(
      strings = {
        "00", // field number 0 is never valid
        "0f", // wire type 7 does not exist
        "2210", // payload says 16 bytes, none follow
        "22ffffffff0f", // payload longer than the input
        "08ffffffffffffffffffff01", // varint longer than ten bytes
        "2a05", // error message truncated
        "ffffffffffffffffffffff" // junk
      })
  void garbageIsInvalidProtocolBuffer(String hex) {
    byte[] bytes = java.util.HexFormat.of().parseHex(hex);
    assertThatThrownBy(() -> Envelope.parseFrom(bytes))
        .isInstanceOf(InvalidProtocolBufferException.class);
  }
}
