package io.ferry.sync.proof.client;

import com.google.protobuf.ByteString;
import com.google.protobuf.InvalidProtocolBufferException;
import io.ferry.core.ErrorCode;
import io.ferry.core.FerryException;
import io.ferry.core.Hash;
import io.ferry.core.KeyRange;
import io.ferry.core.identity.NodeId;
import io.ferry.merkledb.BranchFactor;
import io.ferry.merkledb.Revision;
import io.ferry.merkledb.proof.ChangeProof;
import io.ferry.merkledb.proof.ProofCodec;
import io.ferry.merkledb.proof.ProofError;
import io.ferry.merkledb.proof.ProofException;
import io.ferry.merkledb.proof.RangeProof;
import io.ferry.net.ProtocolId;
import io.ferry.net.Transport;
import io.ferry.wire.v1.GetChangeProofRequest;
import io.ferry.wire.v1.GetChangeProofResponse;
import io.ferry.wire.v1.GetRangeProofRequest;
import io.ferry.wire.v1.Request;
import java.time.Duration;
import java.util.concurrent.CompletableFuture;

/**
 * Asks one server for a proof over the transport and decodes the answer. It does not verify:
 * verification needs the sync's store and target, so the {@link SyncManager} does it on its own
 * thread. Decoding failures are {@link FerryException}s with {@code INVALID_ENCODING}, and an
 * answer larger than the byte limit asked for is a {@link ProofException} ({@link
 * ProofError#OVERSIZED}) before it is parsed; the callers treat both as lies. Thread-safe.
 */
final class ProofClient {
  /** A change-proof request's answer: a change proof, or a range proof at the end root. */
  sealed interface ChangeAnswer {
    record Changes(ChangeProof proof) implements ChangeAnswer {}

    record Range(RangeProof proof) implements ChangeAnswer {}
  }

  private final Transport transport;
  private final BranchFactor bf;
  private final Duration timeout;

  ProofClient(Transport transport, BranchFactor bf, Duration timeout) {
    this.transport = transport;
    this.bf = bf;
    this.timeout = timeout;
  }

  CompletableFuture<RangeProof> rangeProof(
      NodeId server, Hash root, KeyRange range, int keyLimit, int byteLimit) {
    GetRangeProofRequest.Builder r =
        GetRangeProofRequest.newBuilder()
            .setRootHash(ByteString.copyFrom(root.toBytes()))
            .setKeyLimit(keyLimit)
            .setBytesLimit(byteLimit);
    range.start().ifPresent(s -> r.setStartKey(ProofCodec.maybe(s)));
    range.end().ifPresent(e -> r.setEndKey(ProofCodec.maybe(e)));
    Request req = Request.newBuilder().setRangeProofRequest(r).build();
    return transport
        .request(server, ProtocolId.PROOF_SYNC, req.toByteString(), timeout)
        .thenApply(
            bytes -> {
              checkSize(bytes, byteLimit);
              try {
                return ProofCodec.decode(io.ferry.wire.v1.RangeProof.parseFrom(bytes), bf);
              } catch (InvalidProtocolBufferException e) {
                throw new FerryException(
                    ErrorCode.INVALID_ENCODING, "range proof does not parse: " + e.getMessage());
              }
            });
  }

  CompletableFuture<ChangeAnswer> changeProof(
      NodeId server, Hash startRoot, Hash endRoot, KeyRange range, int keyLimit, int byteLimit) {
    return changeProof(
        server, changeRequest(startRoot, endRoot, range, keyLimit, byteLimit), byteLimit);
  }

  /**
   * A change proof request that tells the server the heights of its roots, so that a server without
   * the change says whether it may have it later ({@code NOT_FOUND}) or never will ({@code
   * INSUFFICIENT_HISTORY}).
   */
  CompletableFuture<ChangeAnswer> changeProof(
      NodeId server, Revision start, Revision end, KeyRange range, int keyLimit, int byteLimit) {
    GetChangeProofRequest.Builder r =
        changeRequest(start.root(), end.root(), range, keyLimit, byteLimit)
            .setStartHeight(start.height())
            .setEndHeight(end.height());
    return changeProof(server, r, byteLimit);
  }

  private static GetChangeProofRequest.Builder changeRequest(
      Hash startRoot, Hash endRoot, KeyRange range, int keyLimit, int byteLimit) {
    GetChangeProofRequest.Builder r =
        GetChangeProofRequest.newBuilder()
            .setStartRootHash(ByteString.copyFrom(startRoot.toBytes()))
            .setEndRootHash(ByteString.copyFrom(endRoot.toBytes()))
            .setKeyLimit(keyLimit)
            .setBytesLimit(byteLimit);
    range.start().ifPresent(s -> r.setStartKey(ProofCodec.maybe(s)));
    range.end().ifPresent(e -> r.setEndKey(ProofCodec.maybe(e)));
    return r;
  }

  private CompletableFuture<ChangeAnswer> changeProof(
      NodeId server, GetChangeProofRequest.Builder r, int byteLimit) {
    Request req = Request.newBuilder().setChangeProofRequest(r).build();
    return transport
        .request(server, ProtocolId.PROOF_SYNC, req.toByteString(), timeout)
        .thenApply(
            bytes -> {
              checkSize(bytes, byteLimit);
              GetChangeProofResponse resp;
              try {
                resp = GetChangeProofResponse.parseFrom(bytes);
              } catch (InvalidProtocolBufferException e) {
                throw new FerryException(
                    ErrorCode.INVALID_ENCODING, "change proof does not parse: " + e.getMessage());
              }
              return switch (resp.getResponseCase()) {
                case CHANGE_PROOF ->
                    new ChangeAnswer.Changes(ProofCodec.decode(resp.getChangeProof(), bf));
                case RANGE_PROOF ->
                    new ChangeAnswer.Range(ProofCodec.decode(resp.getRangeProof(), bf));
                case RESPONSE_NOT_SET ->
                    throw new FerryException(
                        ErrorCode.INVALID_ENCODING, "change proof response holds no proof");
              };
            });
  }

  /** An honest server never answers with more than the limit asked for (its own may be lower). */
  private static void checkSize(ByteString answer, int byteLimit) {
    if (answer.size() > byteLimit) {
      throw new ProofException(
          ProofError.OVERSIZED,
          "an answer of " + answer.size() + " bytes to a request for at most " + byteLimit);
    }
  }
}
