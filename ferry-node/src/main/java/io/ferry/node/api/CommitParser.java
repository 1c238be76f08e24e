package io.ferry.node.api;

import com.fasterxml.jackson.core.JsonFactory;
import com.fasterxml.jackson.core.JsonParser;
import com.fasterxml.jackson.core.JsonProcessingException;
import com.fasterxml.jackson.core.JsonToken;
import com.fasterxml.jackson.core.StreamReadConstraints;
import com.fasterxml.jackson.core.exc.StreamConstraintsException;
import com.google.protobuf.ByteString;
import com.google.protobuf.CodedInputStream;
import com.google.protobuf.InvalidProtocolBufferException;
import com.google.protobuf.WireFormat;
import io.ferry.core.Bytes;
import io.ferry.core.FerryException;
import io.ferry.core.Hex;
import io.ferry.core.Limits;
import io.ferry.merkledb.Batch;
import io.ferry.node.api.ApiError.Code;
import io.ferry.wire.v1.KeyValue;
import java.io.IOException;
import java.util.Optional;

/**
 * Reads a {@code POST /v1/commit} body into a {@link Batch}, as JSON ({@code {"put": {"<hex key>":
 * "<hex value>"}, "delete": ["<hex key>"]}}) or as a protobuf {@code CommitRequest}. Both are read
 * as a stream, so the limits ({@link Limits#MAX_COMMIT_OPERATIONS}, {@link
 * Limits#MAX_COMMIT_BYTES}, and each key and value's) stop a request at the first operation over
 * them, before the rest is decoded. A key may appear once: put twice, deleted twice, or both is a
 * {@link Code#DUPLICATE_KEY}, since the batch would not say which one the writer meant.
 *
 * <p>Every problem is an {@link ApiError.Refused}. Stateless and thread-safe.
 */
public final class CommitParser {
  private static final JsonFactory JSON =
      JsonFactory.builder()
          // A 10,000-key object would fill the factory's shared name table with names seen once.
          .disable(JsonFactory.Feature.CANONICALIZE_FIELD_NAMES)
          .streamReadConstraints(
              StreamReadConstraints.builder()
                  // Hex doubles a key or value; "0x" may lead it.
                  .maxNameLength(2 * Limits.MAX_KEY_BYTES + 2)
                  .maxStringLength(2 * Limits.MAX_VALUE_BYTES + 2)
                  .maxNestingDepth(8)
                  .build())
          .build();

  private static final int PUT = 1;
  private static final int DELETE = 2;

  private CommitParser() {}

  /** A JSON body. */
  public static Batch json(byte[] body) {
    if (body.length == 0) {
      throw new ApiError(Code.INVALID_JSON, "the body is empty; a commit is a JSON object")
          .refused();
    }
    Collector c = new Collector();
    try (JsonParser p = JSON.createParser(body)) {
      expect(p.nextToken() == JsonToken.START_OBJECT, "the body is not a JSON object");
      boolean puts = false;
      boolean deletes = false;
      for (JsonToken t = p.nextToken(); t != JsonToken.END_OBJECT; t = p.nextToken()) {
        String field = p.currentName();
        switch (field) {
          case "put" -> {
            expect(!puts, "\"put\" appears twice");
            puts = true;
            expect(p.nextToken() == JsonToken.START_OBJECT, "\"put\" is an object of hex keys");
            for (JsonToken k = p.nextToken(); k != JsonToken.END_OBJECT; k = p.nextToken()) {
              Bytes key = hex(p.currentName(), "key");
              expect(p.nextToken() == JsonToken.VALUE_STRING, "the value of a put is a hex string");
              c.add(key, Optional.of(hex(p.getText(), "value")));
            }
          }
          case "delete" -> {
            expect(!deletes, "\"delete\" appears twice");
            deletes = true;
            expect(p.nextToken() == JsonToken.START_ARRAY, "\"delete\" is an array of hex keys");
            for (JsonToken k = p.nextToken(); k != JsonToken.END_ARRAY; k = p.nextToken()) {
              expect(k == JsonToken.VALUE_STRING, "\"delete\" holds hex strings only");
              c.add(hex(p.getText(), "key"), Optional.empty());
            }
          }
          default ->
              throw new ApiError(
                      Code.INVALID_JSON,
                      "unknown field \"" + field + "\"; a commit has \"put\" and \"delete\"")
                  .refused();
        }
      }
      expect(p.nextToken() == null, "text after the JSON object");
    } catch (StreamConstraintsException e) {
      throw new ApiError(Code.TOO_LARGE, e.getOriginalMessage()).refused();
    } catch (JsonProcessingException e) {
      throw new ApiError(Code.INVALID_JSON, "not JSON: " + e.getOriginalMessage()).refused();
    } catch (IOException e) {
      throw new ApiError(Code.INVALID_JSON, "not JSON: " + e.getMessage()).refused();
    }
    return c.batch();
  }

  /** A protobuf {@code CommitRequest} body. */
  public static Batch protobuf(byte[] body) {
    Collector c = new Collector();
    CodedInputStream in = CodedInputStream.newInstance(body);
    try {
      for (int tag = in.readTag(); tag != 0; tag = in.readTag()) {
        int field = WireFormat.getTagFieldNumber(tag);
        if (field != PUT && field != DELETE) {
          in.skipField(tag); // proto3: a field this version does not know is skipped
          continue;
        }
        if (WireFormat.getTagWireType(tag) != WireFormat.WIRETYPE_LENGTH_DELIMITED) {
          throw new ApiError(Code.INVALID_PROTOBUF, "field " + field + " has the wrong wire type")
              .refused();
        }
        if (field == PUT) {
          ByteString encoded = in.readBytes();
          KeyValue kv = KeyValue.parseFrom(encoded);
          c.add(
              Bytes.wrap(kv.getKey().toByteArray()),
              Optional.of(Bytes.wrap(kv.getValue().toByteArray())));
        } else {
          c.add(Bytes.wrap(in.readByteArray()), Optional.empty());
        }
      }
    } catch (InvalidProtocolBufferException e) {
      throw new ApiError(Code.INVALID_PROTOBUF, "not a CommitRequest: " + e.getMessage()).refused();
    } catch (IOException e) {
      throw new ApiError(Code.INVALID_PROTOBUF, "not a CommitRequest: " + e).refused();
    }
    return c.batch();
  }

  private static void expect(boolean ok, String what) {
    if (!ok) {
      throw new ApiError(Code.INVALID_JSON, what).refused();
    }
  }

  private static Bytes hex(String text, String what) {
    try {
      return Bytes.wrap(Hex.decode(text));
    } catch (FerryException e) {
      throw new ApiError(Code.INVALID_HEX, "a " + what + " is not hex: " + e.getMessage())
          .refused();
    }
  }

  /** The batch as it is read, with the limits checked at each operation. */
  private static final class Collector {
    private final Batch batch = new Batch();
    private long bytes;

    void add(Bytes key, Optional<Bytes> value) {
      if (batch.size() == Limits.MAX_COMMIT_OPERATIONS) {
        throw new ApiError(
                Code.TOO_LARGE,
                "more than " + Limits.MAX_COMMIT_OPERATIONS + " operations in one commit")
            .refused();
      }
      try {
        Batch.checkLimits(key, value);
      } catch (FerryException e) {
        throw new ApiError(Code.TOO_LARGE, e.getMessage()).refused();
      }
      bytes += key.length() + value.map(Bytes::length).orElse(0);
      if (bytes > Limits.MAX_COMMIT_BYTES) {
        throw new ApiError(
                Code.TOO_LARGE,
                "more than " + Limits.MAX_COMMIT_BYTES + " bytes of keys and values in one commit")
            .refused();
      }
      if (batch.operations().containsKey(key)) {
        throw new ApiError(Code.DUPLICATE_KEY, "key " + key.toHex() + " appears twice").refused();
      }
      batch.set(key, value);
    }

    Batch batch() {
      if (batch.isEmpty()) {
        throw new ApiError(Code.EMPTY_BATCH, "the commit puts and deletes nothing").refused();
      }
      return batch;
    }
  }
}
