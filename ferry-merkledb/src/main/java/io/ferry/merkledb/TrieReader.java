package io.ferry.merkledb;

import io.ferry.core.Bytes;
import io.ferry.core.Hash;
import io.ferry.core.KeyRange;
import io.ferry.merkledb.trie.NodeSource;
import java.util.Optional;
import java.util.function.Predicate;

/**
 * Read access to one state of the trie, hashed: a committed revision or a view. What proof
 * generation and verification read.
 *
 * <p>Implementations are thread-safe for reads.
 */
public interface TrieReader {
  /** The value at {@code key}, or empty. */
  Optional<Bytes> get(Bytes key);

  /**
   * Passes the key-values in {@code range} to {@code visitor} in key order until it returns false
   * or the range ends.
   */
  void scan(KeyRange range, Predicate<KeyValue> visitor);

  /** The root id; {@link Hash#ZERO} if empty. */
  Hash root();

  /** The trie's nodes, every id computed. */
  NodeSource nodes();

  /** The trie with no keys. */
  static TrieReader empty(BranchFactor bf) {
    return new EmptyTrie(bf);
  }

  default BranchFactor branchFactor() {
    return nodes().branchFactor();
  }
}
