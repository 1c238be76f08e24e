package io.ferry.sync.proof.client;

import io.ferry.core.Bytes;
import io.ferry.core.KeyRange;
import io.ferry.merkledb.BranchFactor;
import io.ferry.merkledb.proof.ProofNode;
import io.ferry.merkledb.trie.Path;
import java.util.List;
import java.util.Optional;

/**
 * Reads a verified range proof's end proof for what follows its last key, as AvalancheGo's sync
 * does: the end proof is the path from the root to the last key, and each of its nodes lists every
 * child it has. A child after that path holds only keys after the last one; if every such child
 * lies wholly beyond the range's end, the range holds no key after the last one, and it is done
 * without asking again.
 *
 * <p>Only for proofs that verified: the verifier hashes every end-proof node into the root, child
 * list included, so a server cannot hide a child there. Stateless.
 */
final class EndProofs {
  private EndProofs() {}

  /**
   * Whether the verified end proof {@code endProof} of a proof whose last key is {@code last} shows
   * that {@code range} holds no key after {@code last}. False when it cannot tell (an end proof
   * that does not run down to {@code last}).
   */
  static boolean nothingAfter(
      List<ProofNode> endProof, Bytes last, KeyRange range, BranchFactor bf) {
    if (endProof.isEmpty()) {
      return false;
    }
    Path lastPath = Path.ofKey(last, bf);
    if (!endProof.get(endProof.size() - 1).key().equals(lastPath)) {
      return false;
    }
    Optional<Path> end = range.end().map(e -> Path.ofKey(e, bf));
    for (ProofNode n : endProof) {
      Path key = n.key();
      if (!key.isPrefixOf(lastPath)) {
        return false;
      }
      // The children after the path to the last key (every child of the last key's own node).
      int from = key.length() == lastPath.length() ? 0 : lastPath.token(key.length()) + 1;
      for (int i : n.children().tailMap(from).keySet()) {
        if (end.isEmpty() || !whollyAfter(key.append(i), end.get())) {
          return false;
        }
      }
    }
    return true;
  }

  /** Whether every key under {@code prefix} comes after {@code end}. */
  private static boolean whollyAfter(Path prefix, Path end) {
    return !prefix.isPrefixOf(end) && prefix.compareTo(end) > 0;
  }
}
