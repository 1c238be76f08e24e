package io.ferry.node.api;

import static org.assertj.core.api.Assertions.assertThat;

import com.fasterxml.jackson.databind.ObjectMapper;
import com.fasterxml.jackson.databind.node.ArrayNode;
import com.fasterxml.jackson.databind.node.ObjectNode;
import com.google.protobuf.ByteString;
import io.ferry.core.Bytes;
import io.ferry.merkledb.Batch;
import io.ferry.wire.v1.CommitRequest;
import io.ferry.wire.v1.KeyValue;
import java.nio.charset.StandardCharsets;
import java.util.Map;
import java.util.Optional;
import java.util.TreeMap;
import net.jqwik.api.Arbitraries;
import net.jqwik.api.Arbitrary;
import net.jqwik.api.ForAll;
import net.jqwik.api.Property;
import net.jqwik.api.Provide;

class CommitParserProperties {
  private static final ObjectMapper JSON = new ObjectMapper();

  @Provide
  Arbitrary<Map<Bytes, Optional<Bytes>>> batches() {
    Arbitrary<Bytes> bytes = Arbitraries.bytes().array(byte[].class).ofMaxSize(40).map(Bytes::wrap);
    Arbitrary<Optional<Bytes>> values = bytes.optional(0.7);
    return Arbitraries.maps(bytes, values).ofMinSize(1).ofMaxSize(30).map(TreeMap::new);
  }

  /** The same batch written as JSON and as protobuf reads back as itself, both ways. */
  @Property(tries = 300)
  void jsonAndProtobufReadTheSameBatch(@ForAll("batches") Map<Bytes, Optional<Bytes>> ops) {
    ObjectNode json = JSON.createObjectNode();
    ObjectNode put = json.putObject("put");
    ArrayNode delete = json.putArray("delete");
    CommitRequest.Builder proto = CommitRequest.newBuilder();
    ops.forEach(
        (k, v) -> {
          if (v.isPresent()) {
            put.put(k.toHex(), v.get().toHex());
            proto.addPut(
                KeyValue.newBuilder()
                    .setKey(ByteString.copyFrom(k.unsafeArray()))
                    .setValue(ByteString.copyFrom(v.get().unsafeArray())));
          } else {
            delete.add(k.toHex());
            proto.addDelete(ByteString.copyFrom(k.unsafeArray()));
          }
        });
    Batch fromJson = CommitParser.json(json.toString().getBytes(StandardCharsets.UTF_8));
    Batch fromProto = CommitParser.protobuf(proto.build().toByteArray());
    assertThat(fromJson.operations()).isEqualTo(ops);
    assertThat(fromProto.operations()).isEqualTo(ops);
  }

  /** Whatever the bytes, the parsers give a batch or a typed refusal, never anything else. */
  @Property(tries = 1000)
  void anyBodyIsABatchOrARefusal(@ForAll byte[] body) {
    for (int format = 0; format < 2; format++) {
      try {
        Batch b = format == 0 ? CommitParser.json(body) : CommitParser.protobuf(body);
        assertThat(b.isEmpty()).isFalse();
      } catch (ApiError.Refused e) {
        assertThat(e.error().status()).isBetween(400, 499);
      }
    }
  }
}
