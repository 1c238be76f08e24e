package io.ferry.merkledb;

import io.ferry.core.Bytes;
import io.ferry.core.Hash;
import io.ferry.core.KeyRange;
import io.ferry.merkledb.trie.Node;
import io.ferry.merkledb.trie.NodeHasher;
import io.ferry.merkledb.trie.NodeSource;
import io.ferry.merkledb.trie.Path;
import io.ferry.merkledb.trie.SortedBuilder;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.function.Predicate;

/**
 * The hashed trie of a sorted list of key-values, built in memory in one pass: what a range proof
 * claims, ready for the verifier to hash against its boundary nodes. Building it costs one stack
 * walk and one hash per node, where a {@link View} on the empty trie would sort the keys again and
 * track every node as dirty; the nodes and ids are the same.
 *
 * <p>Immutable once built; safe to read from several threads.
 */
public final class SortedTrie implements TrieReader {
  private final List<KeyValue> keyValues;
  private final byte[][] digests;
  private final Map<Path, Node> nodes;
  private final Node root;
  private final BranchFactor bf;

  private SortedTrie(
      List<KeyValue> keyValues,
      byte[][] digests,
      Map<Path, Node> nodes,
      Node root,
      BranchFactor bf) {
    this.keyValues = keyValues;
    this.digests = digests;
    this.nodes = nodes;
    this.root = root;
    this.bf = bf;
  }

  /**
   * Builds the trie of {@code sorted}; the trie keeps an unmodifiable copy of the list (the list
   * itself when it is already unmodifiable).
   *
   * @throws IllegalArgumentException if the keys are not strictly increasing
   */
  public static SortedTrie of(List<KeyValue> sorted, BranchFactor bf) {
    // Two nodes per key at most: the leaf, and the branch it may open.
    Map<Path, Node> nodes = HashMap.newHashMap(sorted.size() * 2);
    SortedBuilder builder = new SortedBuilder(bf, n -> nodes.put(n.key(), n));
    byte[][] digests = new byte[sorted.size()][];
    int i = 0;
    for (KeyValue kv : sorted) {
      digests[i] = NodeHasher.valueDigest(kv.value().unsafeArray());
      builder.add(Path.ofKey(kv.key(), bf), digests[i++]);
    }
    return new SortedTrie(List.copyOf(sorted), digests, nodes, builder.finish(), bf);
  }

  /**
   * The value digest of the {@code index}-th key-value, as hashed into the trie: a bulk load can
   * take it instead of hashing the value again ({@link MerkleDB#bulkLoadDigested}). The array is
   * the trie's own; callers must not modify it.
   */
  public byte[] valueDigest(int index) {
    return digests[index];
  }

  @Override
  public Optional<Bytes> get(Bytes key) {
    int i = indexOf(key);
    return i >= 0 ? Optional.of(keyValues.get(i).value()) : Optional.empty();
  }

  @Override
  public void scan(KeyRange range, Predicate<KeyValue> visitor) {
    int from = range.start().map(this::indexOf).map(i -> i >= 0 ? i : -i - 1).orElse(0);
    for (int i = from; i < keyValues.size(); i++) {
      KeyValue kv = keyValues.get(i);
      if (range.endsBefore(kv.key()) || !visitor.test(kv)) {
        return;
      }
    }
  }

  @Override
  public Hash root() {
    return root == null ? Hash.ZERO : root.id();
  }

  @Override
  public NodeSource nodes() {
    return new NodeSource() {
      @Override
      public Node node(Path path, Hash idHint) {
        return nodes.get(path);
      }

      @Override
      public Path rootPath() {
        return root == null ? null : root.key();
      }

      @Override
      public BranchFactor branchFactor() {
        return bf;
      }
    };
  }

  /** The index of {@code key}, or {@code -(insertion point) - 1}. */
  private int indexOf(Bytes key) {
    int lo = 0;
    int hi = keyValues.size() - 1;
    while (lo <= hi) {
      int mid = (lo + hi) >>> 1;
      int c = keyValues.get(mid).key().compareTo(key);
      if (c < 0) {
        lo = mid + 1;
      } else if (c > 0) {
        hi = mid - 1;
      } else {
        return mid;
      }
    }
    return -lo - 1;
  }
}
