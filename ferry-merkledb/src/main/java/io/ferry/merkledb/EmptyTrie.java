package io.ferry.merkledb;

import io.ferry.core.Bytes;
import io.ferry.core.Hash;
import io.ferry.core.KeyRange;
import io.ferry.merkledb.trie.EmptySource;
import io.ferry.merkledb.trie.NodeSource;
import java.util.Optional;
import java.util.function.Predicate;

/** The trie with no keys. Stateless. */
record EmptyTrie(BranchFactor bf) implements TrieReader {
  @Override
  public Optional<Bytes> get(Bytes key) {
    return Optional.empty();
  }

  @Override
  public void scan(KeyRange range, Predicate<KeyValue> visitor) {}

  @Override
  public Hash root() {
    return Hash.ZERO;
  }

  @Override
  public NodeSource nodes() {
    return new EmptySource(bf);
  }
}
