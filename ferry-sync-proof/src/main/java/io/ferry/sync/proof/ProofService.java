package io.ferry.sync.proof;

import com.google.protobuf.ByteString;
import com.google.protobuf.CodedOutputStream;
import io.ferry.core.ErrorCode;
import io.ferry.core.FerryException;
import io.ferry.core.Hash;
import io.ferry.core.KeyRange;
import io.ferry.merkledb.MerkleDB;
import io.ferry.merkledb.proof.ProofCodec;
import io.ferry.wire.v1.GetChangeProofResponse;
import io.ferry.wire.v1.RangeProof;
import java.util.function.LongConsumer;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * Answers a {@link ProofQuery} from a {@link MerkleDB}: the encoded {@code RangeProof} for a range
 * query, the encoded {@code GetChangeProofResponse} for a change query. The whole response fits the
 * query's byte limit, and is cut at the end of the range, never the start (MerkleDB's proof
 * generator halves the key count until it fits).
 *
 * <p>Errors, as {@link FerryException} codes for the peer: a root this store never had (or forgot
 * on reopen) is {@link ErrorCode#NOT_FOUND}; one that has left the history window is {@link
 * ErrorCode#INSUFFICIENT_HISTORY}; a limit too small for even one key-value is {@link
 * ErrorCode#LIMIT_EXCEEDED}. A change query whose start root is not in the history, but whose end
 * root is, gets a range proof at the end root, as AvalancheGo's server does.
 *
 * <p>Thread-safe: the MerkleDB serves any number of concurrent proofs.
 */
final class ProofService {
  private static final Logger log = LoggerFactory.getLogger(ProofService.class);

  private final MerkleDB db;

  ProofService(MerkleDB db) {
    this.db = db;
  }

  /**
   * The response to {@code query}: what the peer receives. Blocks while the proof is built; tells
   * {@code historyRead} how many history records a change proof read, the peer's cost.
   */
  ByteString answer(ProofQuery query, LongConsumer historyRead) {
    return switch (query) {
      case ProofQuery.Range r ->
          rangeProof(r.root(), r.range(), r.keyLimit(), r.byteLimit()).toByteString();
      case ProofQuery.Change c -> changeProof(c, historyRead).toByteString();
    };
  }

  private RangeProof rangeProof(Hash root, KeyRange range, int keyLimit, int byteLimit) {
    requireRetained(root, "root");
    return ProofCodec.encode(db.rangeProof(root, range, keyLimit, byteLimit));
  }

  private GetChangeProofResponse changeProof(ProofQuery.Change c, LongConsumer historyRead) {
    requireRetained(c.endRoot(), "end root");
    int byteLimit = wrappedLimit(c.byteLimit());
    try {
      var proof =
          db.changeProof(
              c.startRoot(), c.endRoot(), c.range(), c.keyLimit(), byteLimit, historyRead);
      return GetChangeProofResponse.newBuilder().setChangeProof(ProofCodec.encode(proof)).build();
    } catch (FerryException e) {
      if (e.code() != ErrorCode.INSUFFICIENT_HISTORY) {
        throw e;
      }
      log.debug("no history from start root {}: a range proof at the end root", c.startRoot());
      return GetChangeProofResponse.newBuilder()
          .setRangeProof(rangeProof(c.endRoot(), c.range(), c.keyLimit(), byteLimit))
          .build();
    }
  }

  /** Throws the error a peer should get for a root that is not among the retained revisions. */
  private void requireRetained(Hash root, String what) {
    if (db.hasRoot(root)) {
      return;
    }
    if (db.wasPruned(root)) {
      throw new FerryException(
          ErrorCode.INSUFFICIENT_HISTORY,
          what
              + " "
              + root
              + " is older than the last "
              + db.config().historyLength()
              + " revisions this server keeps");
    }
    throw new FerryException(ErrorCode.NOT_FOUND, what + " " + root + " is not known here");
  }

  /**
   * The byte limit for a proof that travels inside a {@code GetChangeProofResponse}: the limit less
   * the field's tag and length prefix, so that the whole response fits.
   */
  static int wrappedLimit(int byteLimit) {
    int overhead = 1 + CodedOutputStream.computeUInt32SizeNoTag(byteLimit);
    return Math.max(1, byteLimit - overhead);
  }
}
