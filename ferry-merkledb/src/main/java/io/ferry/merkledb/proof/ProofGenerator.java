package io.ferry.merkledb.proof;

import io.ferry.core.Bytes;
import io.ferry.core.ErrorCode;
import io.ferry.core.FerryException;
import io.ferry.core.KeyRange;
import io.ferry.merkledb.KeyChange;
import io.ferry.merkledb.KeyValue;
import io.ferry.merkledb.TrieReader;
import io.ferry.merkledb.trie.Child;
import io.ferry.merkledb.trie.Node;
import io.ferry.merkledb.trie.NodeSource;
import io.ferry.merkledb.trie.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.Optional;
import java.util.SortedMap;
import java.util.TreeMap;

/**
 * Builds proofs from a trie. Responses are cut at the end of the range, never the start: when a
 * proof is over the byte limit, the key limit is halved until it fits, and if even one key does not
 * fit the request fails with {@link ProofError#MIN_PROOF_SIZE_TOO_LARGE}. Stateless.
 */
public final class ProofGenerator {
  private ProofGenerator() {}

  /** The nodes from the root toward {@code key}: up to its node, or to where its path ends. */
  public static List<ProofNode> path(NodeSource nodes, Path key) {
    List<ProofNode> out = new ArrayList<>();
    Node n = nodes.rootNode();
    while (n != null) {
      out.add(toProofNode(n));
      if (!n.key().isStrictPrefixOf(key)) {
        break;
      }
      int t = key.token(n.key().length());
      Child c = n.child(t);
      if (c == null) {
        break;
      }
      n = nodes.node(n.key().extend(t, c.compressedKey()), c.id());
    }
    return out;
  }

  public static ProofNode toProofNode(Node n) {
    SortedMap<Integer, io.ferry.core.Hash> children = new TreeMap<>();
    for (int i = 0; i < n.width(); i++) {
      Child c = n.child(i);
      if (c != null) {
        children.put(i, c.id());
      }
    }
    Optional<Bytes> digest = Optional.ofNullable(n.valueDigest()).map(Bytes::of);
    return new ProofNode(n.key(), digest, children);
  }

  /** An inclusion or exclusion proof for {@code key}. */
  public static Proof proof(TrieReader trie, Bytes key) {
    return new Proof(key, trie.get(key), path(trie.nodes(), Path.ofKey(key, trie.branchFactor())));
  }

  /**
   * A range proof of {@code trie} for {@code range}, at most {@code keyLimit} key-values and {@code
   * byteLimit} encoded bytes.
   */
  public static RangeProof rangeProof(
      TrieReader trie, KeyRange range, int keyLimit, int byteLimit) {
    checkLimits(keyLimit, byteLimit);
    List<KeyValue> kvs = new ArrayList<>(Math.min(keyLimit, 4096));
    trie.scan(
        range,
        kv -> {
          kvs.add(kv);
          return kvs.size() < keyLimit;
        });
    while (true) {
      Optional<Bytes> last =
          kvs.isEmpty() ? range.end() : Optional.of(kvs.get(kvs.size() - 1).key());
      List<ProofNode>[] paths = boundaryPaths(trie, range.start(), last);
      RangeProof proof = new RangeProof(paths[0], paths[1], kvs);
      int size = ProofCodec.encode(proof).getSerializedSize();
      if (size <= byteLimit) {
        return proof;
      }
      shrink(kvs, size, byteLimit);
    }
  }

  /**
   * A change proof from {@code changes} (every change between the two roots in the range, sorted by
   * key), bound to {@code endTrie}, the trie at the end root.
   */
  public static ChangeProof changeProof(
      TrieReader endTrie, List<KeyChange> changes, KeyRange range, int keyLimit, int byteLimit) {
    checkLimits(keyLimit, byteLimit);
    List<KeyChange> taken = new ArrayList<>(changes.subList(0, Math.min(keyLimit, changes.size())));
    while (true) {
      Optional<Bytes> last =
          taken.isEmpty() ? range.end() : Optional.of(taken.get(taken.size() - 1).key());
      List<ProofNode>[] paths = boundaryPaths(endTrie, range.start(), last);
      ChangeProof proof = new ChangeProof(paths[0], paths[1], taken);
      int size = ProofCodec.encode(proof).getSerializedSize();
      if (size <= byteLimit) {
        return proof;
      }
      shrink(taken, size, byteLimit);
    }
  }

  private static void shrink(List<?> items, int size, int byteLimit) {
    if (items.size() <= 1) {
      throw new ProofException(
          ProofError.MIN_PROOF_SIZE_TOO_LARGE,
          "the smallest proof is " + size + " bytes, over the limit of " + byteLimit);
    }
    items.subList(items.size() / 2, items.size()).clear();
  }

  /** The start path (without the nodes it shares with the end path) and the end path. */
  @SuppressWarnings("unchecked")
  private static List<ProofNode>[] boundaryPaths(
      TrieReader trie, Optional<Bytes> start, Optional<Bytes> last) {
    NodeSource nodes = trie.nodes();
    List<ProofNode> end =
        last.map(l -> path(nodes, Path.ofKey(l, trie.branchFactor()))).orElse(List.of());
    List<ProofNode> startPath =
        start.map(s -> path(nodes, Path.ofKey(s, trie.branchFactor()))).orElse(List.of());
    int shared = 0;
    while (shared < startPath.size()
        && shared < end.size()
        && startPath.get(shared).key().equals(end.get(shared).key())) {
      shared++;
    }
    return new List[] {startPath.subList(shared, startPath.size()), end};
  }

  private static void checkLimits(int keyLimit, int byteLimit) {
    if (keyLimit <= 0 || byteLimit <= 0) {
      throw new FerryException(
          ErrorCode.INVALID_ARGUMENT,
          "key and byte limits must be positive (got " + keyLimit + ", " + byteLimit + ")");
    }
  }
}
