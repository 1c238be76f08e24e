package io.ferry.merkledb.trie;

import io.ferry.core.Hash;
import io.ferry.merkledb.BranchFactor;

/**
 * Read access to a trie's nodes: a committed revision in the store, or a view on top of one.
 *
 * <p>Implementations are safe to read from several threads at once.
 */
public interface NodeSource {
  /**
   * The node at {@code path}, or null if there is none.
   *
   * @param idHint the node's id if the caller knows it (from the parent's child entry), else null;
   *     lets a content-addressed cache answer without reading the store
   */
  Node node(Path path, Hash idHint);

  /** The root node's path, or null if the trie is empty. */
  Path rootPath();

  BranchFactor branchFactor();

  /** The root node, or null if the trie is empty. */
  default Node rootNode() {
    Path p = rootPath();
    return p == null ? null : node(p, null);
  }
}
