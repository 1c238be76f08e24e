package io.ferry.merkledb.proof;

import io.ferry.core.Bytes;
import java.util.List;
import java.util.Optional;

/**
 * A proof that {@code key} has {@code value} (inclusion), or no value (exclusion), under a root:
 * the nodes on the path from the root toward the key. Immutable.
 */
public record Proof(Bytes key, Optional<Bytes> value, List<ProofNode> path) {
  public Proof {
    path = List.copyOf(path);
  }
}
