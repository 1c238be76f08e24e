package io.ferry.merkledb.proof;

import io.ferry.merkledb.KeyValue;
import java.util.List;

/**
 * Every key-value of a root in {@code [start, L]}, where L is the last key-value's key (or the
 * requested end if there are none), with the paths to start and to L that bind them to the root. As
 * merkledb does, nodes the two paths share are sent once, in the end proof. Immutable.
 */
public record RangeProof(
    List<ProofNode> startProof, List<ProofNode> endProof, List<KeyValue> keyValues) {
  public RangeProof {
    startProof = List.copyOf(startProof);
    endProof = List.copyOf(endProof);
    keyValues = List.copyOf(keyValues);
  }
}
