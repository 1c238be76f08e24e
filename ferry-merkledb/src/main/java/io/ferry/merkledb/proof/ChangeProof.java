package io.ferry.merkledb.proof;

import io.ferry.merkledb.KeyChange;
import java.util.List;

/**
 * Every key that changed between a start root and an end root in {@code [start, L]} with its new
 * state, and the paths in the end root to start and to L. Applied to a store that holds the start
 * root's key-values in that range, it yields the end root's. Immutable.
 */
public record ChangeProof(
    List<ProofNode> startProof, List<ProofNode> endProof, List<KeyChange> keyChanges) {
  public ChangeProof {
    startProof = List.copyOf(startProof);
    endProof = List.copyOf(endProof);
    keyChanges = List.copyOf(keyChanges);
  }
}
