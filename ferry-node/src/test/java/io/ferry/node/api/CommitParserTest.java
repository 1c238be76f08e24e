package io.ferry.node.api;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import com.google.protobuf.ByteString;
import com.google.protobuf.CodedOutputStream;
import io.ferry.core.Bytes;
import io.ferry.core.Limits;
import io.ferry.merkledb.Batch;
import io.ferry.node.api.ApiError.Code;
import io.ferry.wire.v1.CommitRequest;
import io.ferry.wire.v1.KeyValue;
import java.io.ByteArrayOutputStream;
import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.util.Optional;
import org.assertj.core.api.ThrowableAssert.ThrowingCallable;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.CsvSource;

class CommitParserTest {
  private static byte[] utf8(String s) {
    return s.getBytes(StandardCharsets.UTF_8);
  }

  private static Batch json(String body) {
    return CommitParser.json(utf8(body));
  }

  private static void refused(ThrowingCallable call, Code code, String messagePart) {
    assertThatThrownBy(call)
        .isInstanceOfSatisfying(
            ApiError.Refused.class,
            e -> {
              assertThat(e.error().code()).isEqualTo(code);
              assertThat(e.error().message()).containsIgnoringCase(messagePart);
            });
  }

  @Test
  void jsonPutsAndDeletes() {
    Batch b = json("{\"put\": {\"0a0b\": \"ff\", \"0C\": \"\"}, \"delete\": [\"01\"]}");
    assertThat(b.operations())
        .containsExactly(
            java.util.Map.entry(Bytes.fromHex("01"), Optional.empty()),
            java.util.Map.entry(Bytes.fromHex("0a0b"), Optional.of(Bytes.fromHex("ff"))),
            java.util.Map.entry(Bytes.fromHex("0c"), Optional.of(Bytes.EMPTY)));
  }

  @Test
  void jsonWithOnlyOneOfTheFields() {
    assertThat(json("{\"delete\": [\"01\", \"02\"]}").size()).isEqualTo(2);
    assertThat(json("{\"put\": {\"01\": \"02\"}}").size()).isEqualTo(1);
  }

  @ParameterizedTest
  @CsvSource(
      delimiter = '|',
      value = {
        "[1,2]|not a JSON object",
        "{\"put\": [\"01\"]}|\"put\" is an object",
        "{\"put\": {\"01\": 5}}|hex string",
        "{\"delete\": {\"01\": \"02\"}}|\"delete\" is an array",
        "{\"delete\": [1]}|hex strings only",
        "{\"put\": {\"01\": \"02\"}, \"put\": {}}|appears twice",
        "{\"upsert\": {}}|unknown field",
        "{\"put\": {\"01\": \"02\"}} {}|after the JSON object",
        "{\"put\": {\"01\": \"02\"|not JSON",
        "|the body is empty",
      })
  void badJsonIsA400(String body, String why) {
    refused(() -> json(body == null ? "" : body), Code.INVALID_JSON, why);
  }

  @Test
  void badHexIsA400() {
    refused(() -> json("{\"put\": {\"0g\": \"00\"}}"), Code.INVALID_HEX, "key");
    refused(() -> json("{\"put\": {\"00\": \"abc\"}}"), Code.INVALID_HEX, "value");
    refused(() -> json("{\"delete\": [\"xyz1\"]}"), Code.INVALID_HEX, "key");
  }

  @Test
  void anEmptyBatchIsA400() {
    refused(() -> json("{}"), Code.EMPTY_BATCH, "nothing");
    refused(() -> json("{\"put\": {}, \"delete\": []}"), Code.EMPTY_BATCH, "nothing");
    refused(() -> CommitParser.protobuf(new byte[0]), Code.EMPTY_BATCH, "nothing");
  }

  @Test
  void aKeyTwiceIsA400() {
    refused(
        () -> json("{\"put\": {\"01\": \"02\"}, \"delete\": [\"01\"]}"), Code.DUPLICATE_KEY, "01");
    refused(() -> json("{\"put\": {\"01\": \"02\", \"01\": \"03\"}}"), Code.DUPLICATE_KEY, "01");
    // The same key in two spellings is the same key.
    refused(() -> json("{\"delete\": [\"ab\", \"AB\"]}"), Code.DUPLICATE_KEY, "ab");
    CommitRequest twice =
        CommitRequest.newBuilder().addDelete(bs(1)).addPut(kv(bs(1), bs(2))).build();
    refused(() -> CommitParser.protobuf(twice.toByteArray()), Code.DUPLICATE_KEY, "01");
  }

  @Test
  void moreOperationsThanTheLimitAreA413() {
    StringBuilder b = new StringBuilder("{\"delete\": [");
    for (int i = 0; i <= Limits.MAX_COMMIT_OPERATIONS; i++) {
      b.append(i == 0 ? "" : ",").append('"').append(String.format("%08x", i)).append('"');
    }
    b.append("]}");
    refused(() -> json(b.toString()), Code.TOO_LARGE, "operations");
    CommitRequest.Builder p = CommitRequest.newBuilder();
    for (int i = 0; i <= Limits.MAX_COMMIT_OPERATIONS; i++) {
      p.addDelete(ByteString.copyFromUtf8(Integer.toString(i)));
    }
    refused(() -> CommitParser.protobuf(p.build().toByteArray()), Code.TOO_LARGE, "operations");
    CommitRequest.Builder exact = CommitRequest.newBuilder();
    for (int i = 0; i < Limits.MAX_COMMIT_OPERATIONS; i++) {
      exact.addDelete(ByteString.copyFromUtf8(Integer.toString(i)));
    }
    assertThat(CommitParser.protobuf(exact.build().toByteArray()).size())
        .isEqualTo(Limits.MAX_COMMIT_OPERATIONS);
  }

  @Test
  void anOversizedKeyOrValueIsA413() {
    String bigValue = "00".repeat(Limits.MAX_VALUE_BYTES + 1);
    refused(() -> json("{\"put\": {\"01\": \"" + bigValue + "\"}}"), Code.TOO_LARGE, "value");
    String bigKey = "00".repeat(Limits.MAX_KEY_BYTES + 1);
    refused(() -> json("{\"delete\": [\"" + bigKey + "\"]}"), Code.TOO_LARGE, "key");
    // As a JSON name a long key runs into the parser's name limit first: a 413 all the same.
    refused(() -> json("{\"put\": {\"" + bigKey + "\": \"00\"}}"), Code.TOO_LARGE, "");
    CommitRequest p =
        CommitRequest.newBuilder()
            .addPut(kv(bs(1), ByteString.copyFrom(new byte[Limits.MAX_VALUE_BYTES + 1])))
            .build();
    refused(() -> CommitParser.protobuf(p.toByteArray()), Code.TOO_LARGE, "value");
  }

  @Test
  void moreBytesThanACommitTakesAreA413() {
    CommitRequest.Builder p = CommitRequest.newBuilder();
    ByteString value = ByteString.copyFrom(new byte[Limits.MAX_VALUE_BYTES]);
    for (int i = 0; i <= Limits.MAX_COMMIT_BYTES / Limits.MAX_VALUE_BYTES; i++) {
      p.addPut(kv(bs(i), value));
    }
    refused(() -> CommitParser.protobuf(p.build().toByteArray()), Code.TOO_LARGE, "bytes");
  }

  @Test
  void protobufPutsAndDeletes() {
    CommitRequest r =
        CommitRequest.newBuilder()
            .addPut(kv(bs(1), bs(9)))
            .addPut(kv(bs(2), ByteString.EMPTY))
            .addDelete(bs(3))
            .build();
    Batch b = CommitParser.protobuf(r.toByteArray());
    assertThat(b.operations())
        .containsExactly(
            java.util.Map.entry(Bytes.fromHex("01"), Optional.of(Bytes.fromHex("09"))),
            java.util.Map.entry(Bytes.fromHex("02"), Optional.of(Bytes.EMPTY)),
            java.util.Map.entry(Bytes.fromHex("03"), Optional.empty()));
  }

  @Test
  void badProtobufIsA400() throws IOException {
    refused(() -> CommitParser.protobuf(new byte[] {0x0a, 0x05, 0x01}), Code.INVALID_PROTOBUF, "");
    // Field 2 (delete) as a varint: the wrong wire type.
    refused(
        () -> CommitParser.protobuf(new byte[] {0x10, 0x01}), Code.INVALID_PROTOBUF, "wire type");
    // A field this version does not know is skipped, as proto3 says.
    ByteArrayOutputStream bytes = new ByteArrayOutputStream();
    CodedOutputStream out = CodedOutputStream.newInstance(bytes);
    out.writeUInt64(9, 42);
    out.writeBytes(2, bs(7));
    out.flush();
    assertThat(CommitParser.protobuf(bytes.toByteArray()).size()).isEqualTo(1);
  }

  private static ByteString bs(int b) {
    return ByteString.copyFrom(new byte[] {(byte) b});
  }

  private static KeyValue kv(ByteString k, ByteString v) {
    return KeyValue.newBuilder().setKey(k).setValue(v).build();
  }
}
