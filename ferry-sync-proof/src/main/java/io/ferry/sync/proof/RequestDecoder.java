package io.ferry.sync.proof;

import com.google.protobuf.ByteString;
import com.google.protobuf.InvalidProtocolBufferException;
import io.ferry.core.Bytes;
import io.ferry.core.ErrorCode;
import io.ferry.core.FerryException;
import io.ferry.core.Hash;
import io.ferry.core.KeyRange;
import io.ferry.core.Limits;
import io.ferry.wire.v1.GetChangeProofRequest;
import io.ferry.wire.v1.GetRangeProofRequest;
import io.ferry.wire.v1.MaybeBytes;
import io.ferry.wire.v1.Request;
import java.util.Optional;
import java.util.OptionalLong;

/**
 * Turns a peer's {@code Request} bytes into a {@link ProofQuery}, checking what AvalancheGo's
 * server checks and clamping the limits to the server's. Failures are {@link FerryException}s whose
 * code goes back to the peer: bytes that do not parse are {@link ErrorCode#INVALID_ENCODING}; a
 * zero limit, a root that is not 32 bytes, the empty root, a bound that is "nothing" with a value,
 * a start key after the end key, or a height of 2^63 or more are {@link
 * ErrorCode#INVALID_ARGUMENT}; a bound longer than any key is {@link ErrorCode#LIMIT_EXCEEDED}; a
 * message with no request set is {@link ErrorCode#UNSUPPORTED} (perhaps a kind newer than this
 * server). Stateless.
 */
final class RequestDecoder {
  private RequestDecoder() {}

  static ProofQuery decode(ByteString payload, ProofServerConfig config) {
    Request request;
    try {
      request = Request.parseFrom(payload);
    } catch (InvalidProtocolBufferException e) {
      throw new FerryException(
          ErrorCode.INVALID_ENCODING, "malformed proof sync request: " + e.getMessage());
    }
    return switch (request.getMessageCase()) {
      case RANGE_PROOF_REQUEST -> range(request.getRangeProofRequest(), config);
      case CHANGE_PROOF_REQUEST -> change(request.getChangeProofRequest(), config);
      case MESSAGE_NOT_SET ->
          throw new FerryException(
              ErrorCode.UNSUPPORTED, "the request holds no range or change proof request");
    };
  }

  private static ProofQuery.Range range(GetRangeProofRequest r, ProofServerConfig config) {
    int keys = keyLimit(r.getKeyLimit(), config);
    int bytes = byteLimit(r.getBytesLimit(), config);
    Hash root = root(r.getRootHash(), "root");
    requireNotEmpty(root, "root");
    KeyRange range =
        range(r.hasStartKey() ? r.getStartKey() : null, r.hasEndKey() ? r.getEndKey() : null);
    return new ProofQuery.Range(root, range, keys, bytes);
  }

  private static ProofQuery.Change change(GetChangeProofRequest r, ProofServerConfig config) {
    int keys = keyLimit(r.getKeyLimit(), config);
    int bytes = byteLimit(r.getBytesLimit(), config);
    // As in AvalancheGo, the start root may be any 32 bytes: one this server lacks gets a range
    // proof at the end root instead.
    Hash start = root(r.getStartRootHash(), "start root");
    Hash end = root(r.getEndRootHash(), "end root");
    requireNotEmpty(end, "end root");
    if (start.equals(end)) {
      throw invalid("start and end root are the same: " + end);
    }
    KeyRange range =
        range(r.hasStartKey() ? r.getStartKey() : null, r.hasEndKey() ? r.getEndKey() : null);
    return new ProofQuery.Change(
        start,
        end,
        range,
        keys,
        bytes,
        r.hasStartHeight() ? height(r.getStartHeight(), "start height") : OptionalLong.empty(),
        r.hasEndHeight() ? height(r.getEndHeight(), "end height") : OptionalLong.empty());
  }

  /** A height from the wire: a uint64 that fits a long, as every height does. */
  private static OptionalLong height(long wire, String what) {
    if (wire < 0) {
      throw invalid(what + " " + Long.toUnsignedString(wire) + " is beyond any height");
    }
    return OptionalLong.of(wire);
  }

  private static int keyLimit(int asked, ProofServerConfig config) {
    return clamp(asked, config.maxKeyLimit(), "key limit");
  }

  private static int byteLimit(int asked, ProofServerConfig config) {
    return clamp(asked, config.maxByteLimit(), "byte limit");
  }

  /** An unsigned 32-bit limit from the wire, at most {@code max}. */
  private static int clamp(int asked, int max, String what) {
    if (asked == 0) {
      throw invalid(what + " must be positive");
    }
    return (int) Math.min(Integer.toUnsignedLong(asked), max);
  }

  private static Hash root(ByteString b, String what) {
    if (b.size() != Hash.LENGTH) {
      throw invalid(what + " must be " + Hash.LENGTH + " bytes, not " + b.size());
    }
    return Hash.of(b.toByteArray());
  }

  private static void requireNotEmpty(Hash root, String what) {
    if (root.isZero()) {
      throw invalid(what + " is the empty trie's root: it has no proof, and nothing to sync");
    }
  }

  private static KeyRange range(MaybeBytes start, MaybeBytes end) {
    Optional<Bytes> s = bound(start, "start key");
    Optional<Bytes> e = bound(end, "end key");
    if (s.isPresent() && e.isPresent() && s.get().compareTo(e.get()) > 0) {
      throw invalid("start key " + s.get() + " is after end key " + e.get());
    }
    return new KeyRange(s, e);
  }

  /** A range bound: absent or "nothing" is unbounded. */
  private static Optional<Bytes> bound(MaybeBytes m, String what) {
    if (m == null) {
      return Optional.empty();
    }
    if (m.getIsNothing()) {
      if (!m.getValue().isEmpty()) {
        throw invalid(what + " is nothing but has a value");
      }
      return Optional.empty();
    }
    if (m.getValue().size() > Limits.MAX_KEY_BYTES) {
      throw new FerryException(
          ErrorCode.LIMIT_EXCEEDED,
          what + " of " + m.getValue().size() + " bytes is longer than any key");
    }
    return Optional.of(Bytes.wrap(m.getValue().toByteArray()));
  }

  private static FerryException invalid(String message) {
    return new FerryException(ErrorCode.INVALID_ARGUMENT, message);
  }
}
