package io.ferry.merkledb.proof;

import io.ferry.core.Bytes;
import io.ferry.core.Hash;
import io.ferry.merkledb.trie.Path;
import java.util.Optional;
import java.util.SortedMap;

/**
 * One trie node as a proof carries it: its path, its value digest (the value if shorter than 32
 * bytes, else the value's hash), and its children's ids by index. Enough to recompute the node's
 * id, nothing more. Immutable.
 */
public record ProofNode(Path key, Optional<Bytes> valueOrHash, SortedMap<Integer, Hash> children) {
  public ProofNode {
    children = java.util.Collections.unmodifiableSortedMap(new java.util.TreeMap<>(children));
  }
}
