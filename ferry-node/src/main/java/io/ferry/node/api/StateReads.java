package io.ferry.node.api;

import com.fasterxml.jackson.databind.ObjectMapper;
import io.ferry.core.Bytes;
import io.ferry.core.FerryException;
import io.ferry.core.Hex;
import io.ferry.core.Limits;
import io.ferry.gossip.head.SignedHead;
import io.ferry.http.HttpRoute;
import io.ferry.merkledb.MerkleDB;
import io.ferry.merkledb.StateSnapshot;
import io.ferry.merkledb.proof.Proof;
import io.ferry.merkledb.proof.ProofGenerator;
import java.util.Objects;
import java.util.Optional;
import java.util.function.Supplier;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * Verified reads, {@code GET /v1/state/<hex key>} on a node's HTTP port: the key's value or its
 * absence, proved against a signed head of the producer (a {@link StateAnswer}). The value and the
 * proof come from one {@link StateSnapshot}, and the head is the one among {@link RecentHeads}
 * whose root that snapshot has; when none has it (a follower between heads, a producer before its
 * first commit), the answer is 503 {@code NO_SIGNED_HEAD}, to be retried. Thread-safe.
 */
public final class StateReads implements HttpRoute.Handler {
  private static final Logger log = LoggerFactory.getLogger(StateReads.class);
  private static final ObjectMapper JSON = new ObjectMapper();

  /** The route's prefix. */
  public static final String PREFIX = "/v1/state/";

  private final Supplier<MerkleDB> store;
  private final RecentHeads heads;
  private final Supplier<Optional<SignedHead>> newest;

  /**
   * @param store the node's live store (a follower may replace it)
   * @param heads the heads this node held, by root
   * @param newest the newest head this node holds, remembered at each read as well
   */
  public StateReads(
      Supplier<MerkleDB> store, RecentHeads heads, Supplier<Optional<SignedHead>> newest) {
    this.store = Objects.requireNonNull(store, "store");
    this.heads = Objects.requireNonNull(heads, "heads");
    this.newest = Objects.requireNonNull(newest, "newest");
  }

  /** The route to add to the node's HTTP server. */
  public HttpRoute route() {
    return new HttpRoute(PREFIX, "state", this);
  }

  @Override
  public HttpRoute.Answer answer(String rest) {
    Bytes key;
    try {
      key = Bytes.wrap(Hex.decode(rest));
    } catch (FerryException e) {
      return error(400, "INVALID_HEX", "the path names a key in hex: " + e.getMessage());
    }
    if (key.length() > Limits.MAX_KEY_BYTES) {
      return error(413, "TOO_LARGE", "a key is at most " + Limits.MAX_KEY_BYTES + " bytes");
    }
    newest.get().ifPresent(heads::remember);
    try (StateSnapshot s = store.get().snapshot()) {
      Optional<SignedHead> head = heads.forRoot(s.root());
      if (head.isEmpty()) {
        return error(
                503,
                "NO_SIGNED_HEAD",
                "the store is at height "
                    + s.revision().height()
                    + ", a state no signed head this node holds names; try again")
            .retryAfter(1);
      }
      Proof proof = ProofGenerator.proof(s, key);
      return new HttpRoute.Answer(
          200, "application/json", StateAnswer.of(proof, head.get(), s.branchFactor()).toJson(), 0);
    } catch (FerryException e) {
      // The store closed or was replaced under the read: the node is stopping or restoring.
      log.debug("verified read of {} failed: {}", key, e.getMessage());
      return error(503, "UNAVAILABLE", "the store is not readable now: " + e.getMessage())
          .retryAfter(1);
    }
  }

  private static HttpRoute.Answer error(int status, String code, String message) {
    return HttpRoute.Answer.json(
        status, JSON.createObjectNode().put("error", code).put("message", message).toString());
  }
}
