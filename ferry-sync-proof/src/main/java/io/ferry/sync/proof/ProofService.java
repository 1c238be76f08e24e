package io.ferry.sync.proof;

import com.google.protobuf.ByteString;
import com.google.protobuf.CodedOutputStream;
import io.ferry.core.ErrorCode;
import io.ferry.core.FerryException;
import io.ferry.core.Hash;
import io.ferry.core.KeyRange;
import io.ferry.merkledb.MerkleDB;
import io.ferry.merkledb.Revision;
import io.ferry.merkledb.proof.ProofCodec;
import io.ferry.wire.v1.GetChangeProofResponse;
import io.ferry.wire.v1.RangeProof;
import java.util.List;
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
 * root is, gets a range proof at the end root, as AvalancheGo's server does. A change query that
 * carries the heights of its roots and whose end root is missing gets {@code NOT_FOUND} only while
 * this server may still give the change (its head is below the end height, and it holds the start
 * root or is below its height); a server past either height without that root answers {@code
 * INSUFFICIENT_HISTORY}: it never will, so the client need not wait for it.
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
    if (!db.hasRoot(c.endRoot())) {
      // One view of the retained revisions, the head last, in which the head and the roots agree
      // (a commit moves the head before the history, so reading them apart could see a head whose
      // root is not retained yet).
      List<Revision> retained = db.revisions();
      if (!holds(retained, c.endRoot())) {
        throw missingEndRoot(c, retained);
      }
    }
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

  /**
   * The error for a change query whose end root is not among the {@code retained} revisions: {@code
   * NOT_FOUND} when this server may give the change later ("not yet"), {@code INSUFFICIENT_HISTORY}
   * when it never will. Without the query's heights, an end root this server never had is {@code
   * NOT_FOUND}, as before the heights were sent.
   */
  private FerryException missingEndRoot(ProofQuery.Change c, List<Revision> retained) {
    long head = retained.getLast().height();
    if (db.wasPruned(c.endRoot())) {
      return pruned(c.endRoot(), "end root");
    }
    if (c.endHeight().isPresent() && head >= c.endHeight().getAsLong()) {
      return new FerryException(
          ErrorCode.INSUFFICIENT_HISTORY,
          "end root "
              + c.endRoot()
              + " (height "
              + c.endHeight().getAsLong()
              + ") is not among the revisions this server keeps, whose head is at height "
              + head);
    }
    if (c.startHeight().isPresent()
        && head >= c.startHeight().getAsLong()
        && !holds(retained, c.startRoot())) {
      return new FerryException(
          ErrorCode.INSUFFICIENT_HISTORY,
          "start root "
              + c.startRoot()
              + " (height "
              + c.startHeight().getAsLong()
              + ") is not among the revisions this server keeps, whose head is at height "
              + head);
    }
    return new FerryException(
        ErrorCode.NOT_FOUND, "end root " + c.endRoot() + " is not known here yet");
  }

  private static boolean holds(List<Revision> retained, Hash root) {
    for (Revision r : retained) {
      if (r.root().equals(root)) {
        return true;
      }
    }
    return false;
  }

  private FerryException pruned(Hash root, String what) {
    return new FerryException(
        ErrorCode.INSUFFICIENT_HISTORY,
        what
            + " "
            + root
            + " is older than the last "
            + db.config().historyLength()
            + " revisions this server keeps");
  }

  /** Throws the error a peer should get for a root that is not among the retained revisions. */
  private void requireRetained(Hash root, String what) {
    if (db.hasRoot(root)) {
      return;
    }
    if (db.wasPruned(root)) {
      throw pruned(root, what);
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
