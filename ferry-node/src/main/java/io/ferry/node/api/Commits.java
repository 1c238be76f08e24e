package io.ferry.node.api;

import com.fasterxml.jackson.core.JsonProcessingException;
import com.fasterxml.jackson.databind.ObjectMapper;
import com.fasterxml.jackson.databind.node.ObjectNode;
import com.google.protobuf.ByteString;
import io.ferry.core.FerryException;
import io.ferry.merkledb.Batch;
import io.ferry.merkledb.Revision;
import io.ferry.node.api.ApiError.Code;
import io.ferry.wire.v1.CommitResponse;
import java.nio.charset.StandardCharsets;
import java.util.Objects;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * One {@code POST /v1/commit} whose head passed the checks and whose body has arrived: the body is
 * parsed ({@link CommitParser}), committed into the {@link CommitTarget}, and the outcome turned
 * into an answer: the new height and root, or an {@link ApiError}. No Netty here; the server calls
 * it on a worker thread. Thread-safe.
 */
final class Commits {
  private static final Logger log = LoggerFactory.getLogger(Commits.class);
  private static final ObjectMapper JSON = new ObjectMapper();

  /** The body formats of the API. */
  enum Format {
    JSON("application/json"),
    PROTOBUF("application/x-protobuf");

    final String mediaType;

    Format(String mediaType) {
      this.mediaType = mediaType;
    }
  }

  /** An answer: a status and a body of a media type. */
  record Answer(int status, String contentType, byte[] body) {
    static Answer of(ApiError e) {
      return new Answer(e.status(), Format.JSON.mediaType, e.toJson());
    }
  }

  private final CommitTarget target;

  Commits(CommitTarget target) {
    this.target = Objects.requireNonNull(target, "target");
  }

  /** The 409 a node that does not produce answers, naming its producer when it has one. */
  static ApiError notProducer(CommitTarget target) {
    return target
        .producer()
        .map(
            p ->
                new ApiError(
                    Code.NOT_PRODUCER,
                    "this node follows producer " + p + "; send writes there",
                    p.toString()))
        .orElseGet(
            () ->
                new ApiError(Code.NOT_PRODUCER, "this node does not produce; it takes no writes"));
  }

  /** Parses {@code body} as {@code in}, commits it, and answers in {@code out}. */
  Answer commit(byte[] body, Format in, Format out) {
    Revision r;
    try {
      Batch batch = in == Format.JSON ? CommitParser.json(body) : CommitParser.protobuf(body);
      r = target.commit(batch);
    } catch (ApiError.Refused e) {
      return Answer.of(e.error());
    } catch (FerryException e) {
      return Answer.of(refusal(e));
    } catch (RuntimeException e) {
      log.warn("a commit through the API failed", e);
      return Answer.of(new ApiError(Code.INTERNAL, "the commit failed: " + e));
    }
    return out == Format.PROTOBUF
        ? new Answer(
            200,
            out.mediaType,
            CommitResponse.newBuilder()
                .setHeight(r.height())
                .setRoot(ByteString.copyFrom(r.root().toBytes()))
                .build()
                .toByteArray())
        : new Answer(200, out.mediaType, json(r));
  }

  private ApiError refusal(FerryException e) {
    return switch (e.code()) {
      case ILLEGAL_STATE ->
          target.produces()
              ? new ApiError(Code.UNAVAILABLE, "the node is stopping: " + e.getMessage())
              : notProducer(target);
      // The one argument Node.commit refuses: the parser lets no other bad batch through.
      case INVALID_ARGUMENT -> new ApiError(Code.EMPTY_BATCH, e.getMessage());
      case LIMIT_EXCEEDED -> new ApiError(Code.TOO_LARGE, e.getMessage());
      default -> {
        log.warn("a commit through the API failed: {}", e.getMessage());
        yield new ApiError(Code.INTERNAL, "the commit failed: " + e.getMessage());
      }
    };
  }

  private static byte[] json(Revision r) {
    ObjectNode o = JSON.createObjectNode().put("height", r.height()).put("root", r.root().toHex());
    try {
      return JSON.writeValueAsString(o).getBytes(StandardCharsets.UTF_8);
    } catch (JsonProcessingException e) {
      throw new IllegalStateException("a revision does not encode", e);
    }
  }
}
