package io.ferry.merkledb.trie;

import io.ferry.core.Hash;
import io.ferry.merkledb.BranchFactor;

/** A trie with no nodes: the base for tries built from scratch. Stateless. */
public record EmptySource(BranchFactor branchFactor) implements NodeSource {
  @Override
  public Node node(Path path, Hash idHint) {
    return null;
  }

  @Override
  public Path rootPath() {
    return null;
  }
}
