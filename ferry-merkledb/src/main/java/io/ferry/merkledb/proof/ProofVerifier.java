package io.ferry.merkledb.proof;

import io.ferry.core.Bytes;
import io.ferry.core.Hash;
import io.ferry.core.KeyRange;
import io.ferry.core.Limits;
import io.ferry.merkledb.Batch;
import io.ferry.merkledb.BranchFactor;
import io.ferry.merkledb.KeyChange;
import io.ferry.merkledb.KeyValue;
import io.ferry.merkledb.SortedTrie;
import io.ferry.merkledb.TrieReader;
import io.ferry.merkledb.View;
import io.ferry.merkledb.trie.Child;
import io.ferry.merkledb.trie.Node;
import io.ferry.merkledb.trie.NodeHasher;
import io.ferry.merkledb.trie.NodeSource;
import io.ferry.merkledb.trie.Path;
import java.util.ArrayDeque;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.Optional;

/**
 * Checks proofs against a trusted root; standalone functions, no database needed for range and
 * single-key proofs.
 *
 * <p>How: a proof claims that, under the root, the keys in an interval I = [start, L] are exactly a
 * given set. The verifier rebuilds the root from three kinds of parts and compares: the proof's
 * boundary nodes (the paths to start and to L), which give the ids of subtrees wholly outside I;
 * subtrees wholly inside I, hashed from the claimed contents (the key-values, or for a change proof
 * the local store with the changes applied); and for a boundary node inside I, its value from the
 * claimed contents, never from the proof. A subtree that straddles a bound must itself be a
 * boundary node, or the proof is incomplete. Claimed keys of I in places the rebuild never hashes
 * (under a child a boundary node does not have, on the compressed edge between two boundary nodes,
 * outside the root node) are refused, and every child id a boundary node lists is compared with the
 * one rebuilt there, so no byte of a proof goes unchecked. So nothing the proof says about I is
 * trusted, only hashed, and a root match means I holds exactly the claimed contents. This closes,
 * by construction, the forged exclusion and inclusion proofs and boundary-change bugs that hit
 * other implementations.
 *
 * <p>A proof path longer than the longest key allows ({@link BranchFactor#maxPathNodes}) is refused
 * before any work, and the rebuild walks the proof with an explicit stack, so however deep a peer
 * nests its nodes the verifier answers with a {@link ProofException}, never a stack overflow.
 *
 * <p>Stateless and thread-safe.
 */
public final class ProofVerifier {
  private ProofVerifier() {}

  /**
   * Verifies a range proof for a request of {@code range} with {@code keyLimit} against {@code
   * root}.
   *
   * @return the trie of the proof's key-values, verified: its value digests can be reused
   * @throws ProofException naming the first problem found
   */
  public static SortedTrie verifyRangeProof(
      RangeProof proof, KeyRange range, int keyLimit, Hash root, BranchFactor bf) {
    checkDepth(bf, proof.startProof(), proof.endProof());
    List<Bytes> keys = new ArrayList<>(proof.keyValues().size());
    proof.keyValues().forEach(kv -> keys.add(kv.key()));
    checkShape(proof.startProof(), proof.endProof(), keys, range, keyLimit, root);
    for (KeyValue kv : proof.keyValues()) {
      if (kv.value().length() > Limits.MAX_VALUE_BYTES) {
        throw new ProofException(ProofError.OVERSIZED, "value of " + kv.key() + " is too large");
      }
    }
    // checkShape saw the keys strictly increasing, as the sorted build needs.
    SortedTrie claimed = SortedTrie.of(proof.keyValues(), bf);
    reconstruct(
        proof.startProof(), proof.endProof(), range.start(), last(keys, range), claimed, root);
    return claimed;
  }

  /**
   * Verifies a change proof for a request of {@code range} against the trusted {@code endRoot},
   * given a local store that holds the start root's key-values in that range. Every change must
   * change that store: a delete of a key it does not hold, or a put of the value it holds, is
   * refused, as no honest server sends one.
   *
   * @return the local store with the changes applied, ready to commit
   * @throws ProofException naming the first problem found
   */
  public static View verifyChangeProof(
      ChangeProof proof, KeyRange range, int keyLimit, Hash endRoot, TrieReader local) {
    checkDepth(local.branchFactor(), proof.startProof(), proof.endProof());
    List<Bytes> keys = new ArrayList<>(proof.keyChanges().size());
    proof.keyChanges().forEach(kc -> keys.add(kc.key()));
    checkShape(proof.startProof(), proof.endProof(), keys, range, keyLimit, endRoot);
    for (KeyChange kc : proof.keyChanges()) {
      if (kc.value().isPresent() && kc.value().get().length() > Limits.MAX_VALUE_BYTES) {
        throw new ProofException(ProofError.OVERSIZED, "value of " + kc.key() + " is too large");
      }
      // An honest server sends only real changes (merkledb drops no-op ones too); a change that
      // changes nothing locally could be added or rewritten without altering the result.
      if (local.get(kc.key()).equals(kc.value())) {
        throw new ProofException(
            ProofError.VALUE_MISMATCH,
            "the change of " + kc.key() + " changes nothing in the local store");
      }
    }
    View applied = View.of(local, Batch.ofChanges(proof.keyChanges()));
    reconstruct(
        proof.startProof(), proof.endProof(), range.start(), last(keys, range), applied, endRoot);
    return applied;
  }

  /**
   * Verifies a single-key proof against {@code root}: the key has the proof's value, or none.
   *
   * @throws ProofException naming the first problem found
   */
  public static void verifyProof(Proof proof, Hash root, BranchFactor bf) {
    checkDepth(bf, proof.path(), List.of());
    List<KeyValue> kvs =
        proof.value().map(v -> List.of(new KeyValue(proof.key(), v))).orElse(List.of());
    if (proof.path().isEmpty()) {
      if (!root.isZero()) {
        throw new ProofException(ProofError.EMPTY_PROOF, "no proof nodes for a non-empty trie");
      }
      if (proof.value().isPresent()) {
        throw new ProofException(ProofError.ROOT_MISMATCH, "the empty trie holds no value");
      }
      return;
    }
    reconstruct(
        List.of(),
        proof.path(),
        Optional.of(proof.key()),
        Optional.of(proof.key()),
        View.of(TrieReader.empty(bf), Batch.of(kvs)),
        root);
  }

  /** Refuses a path with more nodes than the longest key has tokens, plus the root. */
  private static void checkDepth(BranchFactor bf, List<ProofNode> a, List<ProofNode> b) {
    int most = Math.max(a.size(), b.size());
    if (most > bf.maxPathNodes()) {
      throw new ProofException(
          ProofError.PATH_TOO_LONG,
          "a proof path of " + most + " nodes, where the longest key has " + bf.maxPathNodes());
    }
  }

  private static Optional<Bytes> last(List<Bytes> keys, KeyRange range) {
    return keys.isEmpty() ? range.end() : Optional.of(keys.get(keys.size() - 1));
  }

  /** The checks that need no hashing: counts, order, bounds, which proofs must be present. */
  private static void checkShape(
      List<ProofNode> startProof,
      List<ProofNode> endProof,
      List<Bytes> keys,
      KeyRange range,
      int keyLimit,
      Hash root) {
    Optional<Bytes> start = range.start();
    Optional<Bytes> end = range.end();
    if (keys.size() > keyLimit) {
      throw new ProofException(
          ProofError.TOO_MANY_KEYS, keys.size() + " keys for a limit of " + keyLimit);
    }
    if (keys.isEmpty() && startProof.isEmpty() && endProof.isEmpty() && !root.isZero()) {
      boolean unbounded = start.isEmpty() && end.isEmpty();
      if (!unbounded) {
        throw new ProofException(ProofError.EMPTY_PROOF, "no keys and no proof nodes");
      }
    }
    if (start.isEmpty() && !startProof.isEmpty()) {
      throw new ProofException(
          ProofError.UNEXPECTED_START_PROOF, "a start proof for a range with no start");
    }
    if (end.isEmpty() && keys.isEmpty() && !endProof.isEmpty()) {
      throw new ProofException(
          ProofError.UNEXPECTED_END_PROOF, "an end proof with no end and no keys");
    }
    if (endProof.isEmpty() && (end.isPresent() || !keys.isEmpty()) && !root.isZero()) {
      throw new ProofException(ProofError.MISSING_END_PROOF, "no end proof");
    }
    Bytes previous = null;
    for (Bytes k : keys) {
      if (k.length() > Limits.MAX_KEY_BYTES) {
        throw new ProofException(ProofError.OVERSIZED, "a key of " + k.length() + " bytes");
      }
      if (previous != null && previous.compareTo(k) >= 0) {
        throw new ProofException(
            ProofError.KEYS_OUT_OF_ORDER, "key " + k + " does not follow " + previous);
      }
      if (!range.contains(k)) {
        throw new ProofException(ProofError.KEY_OUT_OF_RANGE, "key " + k + " is outside " + range);
      }
      previous = k;
    }
  }

  /**
   * Rebuilds the root from the boundary nodes and the claimed contents of [start, last] and
   * compares it with {@code root}.
   */
  private static void reconstruct(
      List<ProofNode> startProof,
      List<ProofNode> endProof,
      Optional<Bytes> start,
      Optional<Bytes> last,
      TrieReader claimed,
      Hash root) {
    BranchFactor bf = claimed.branchFactor();
    Bounds bounds = new Bounds(start.map(s -> Path.ofKey(s, bf)), last.map(l -> Path.ofKey(l, bf)));
    Map<Path, ProofNode> boundary = new HashMap<>();
    for (List<ProofNode> list : List.of(endProof, startProof)) {
      ProofNode previous = null;
      for (ProofNode n : list) {
        checkNode(n, bf);
        if (previous != null && !previous.key().isStrictPrefixOf(n.key())) {
          throw new ProofException(
              ProofError.DISCONNECTED_PROOF_NODES,
              "proof node " + n.key() + " does not extend " + previous.key());
        }
        ProofNode existing = boundary.putIfAbsent(n.key(), n);
        if (existing != null && !existing.equals(n)) {
          throw new ProofException(
              ProofError.INCONSISTENT_PROOF_NODES, "two different proof nodes at " + n.key());
        }
        previous = n;
      }
    }
    if (boundary.isEmpty()) {
      if (root.isZero()) {
        // The empty trie: the interval must hold nothing. (A change proof's local store may
        // still hold keys outside it, which later proofs of the other ranges delete.)
        Path any = Path.empty(bf);
        if (new Rebuild(bf, bounds, Map.of(), claimed).firstUncovered(any, null) != null) {
          throw new ProofException(
              ProofError.ROOT_MISMATCH, "the claimed contents are not empty, the trie is");
        }
        return;
      }
      // Only a fully unbounded interval can be proven without boundary nodes: the claimed
      // contents are then the whole trie.
      Hash computed = claimed.root();
      if (!computed.equals(root)) {
        throw new ProofException(
            ProofError.ROOT_MISMATCH, "computed root " + computed + ", expected " + root);
      }
      return;
    }
    // The boundary nodes must form one tree: each hangs under its longest proper prefix among
    // them, through a child the parent lists.
    List<Path> sorted = new ArrayList<>(boundary.keySet());
    sorted.sort(null);
    Path top = sorted.get(0);
    Map<Path, ProofNode[]> below = new HashMap<>();
    List<Path> stack = new ArrayList<>();
    for (Path p : sorted) {
      while (!stack.isEmpty() && !stack.get(stack.size() - 1).isStrictPrefixOf(p)) {
        stack.remove(stack.size() - 1);
      }
      if (stack.isEmpty()) {
        if (p != top) {
          throw new ProofException(
              ProofError.DISCONNECTED_PROOF_NODES,
              "proof nodes " + top + " and " + p + " have no common root");
        }
      } else {
        Path parent = stack.get(stack.size() - 1);
        int index = p.token(parent.length());
        ProofNode parentNode = boundary.get(parent);
        if (!parentNode.children().containsKey(index)) {
          throw new ProofException(
              ProofError.DISCONNECTED_PROOF_NODES,
              "proof node "
                  + p
                  + " hangs under child "
                  + index
                  + " that "
                  + parent
                  + " does not have");
        }
        ProofNode[] slots = below.computeIfAbsent(parent, k -> new ProofNode[bf.width()]);
        if (slots[index] != null) {
          throw new ProofException(
              ProofError.PROOF_NODE_OFF_PATH,
              "two proof nodes " + slots[index].key() + " and " + p + " under one child");
        }
        slots[index] = boundary.get(p);
        checkOnPath(p, parent, bounds);
      }
      stack.add(p);
    }
    if (!bounds.onPath(top) && below.containsKey(top)) {
      throw new ProofException(
          ProofError.PROOF_NODE_OFF_PATH, "root proof node " + top + " is off both paths");
    }
    Rebuild rebuild = new Rebuild(bf, bounds, below, claimed);
    // Claimed keys that are not under the root node are in no node the rebuild hashes.
    rebuild.checkNoneClaimed(Path.empty(bf), top);
    Hash computed = rebuild.hash(boundary.get(top));
    if (!computed.equals(root)) {
      throw new ProofException(
          ProofError.ROOT_MISMATCH, "computed root " + computed + ", expected " + root);
    }
  }

  private static void checkNode(ProofNode n, BranchFactor bf) {
    if (n.key().bitLength() > Limits.MAX_KEY_BYTES * 8L) {
      throw new ProofException(
          ProofError.INVALID_PROOF_NODE,
          "proof node key of " + n.key().bitLength() + " bits is longer than any key");
    }
    if (!n.key().isWholeBytes() && n.valueOrHash().isPresent()) {
      throw new ProofException(
          ProofError.INVALID_PROOF_NODE, "proof node " + n.key() + " has a value inside a byte");
    }
    for (int index : n.children().keySet()) {
      if (index < 0 || index >= bf.width()) {
        throw new ProofException(
            ProofError.INVALID_PROOF_NODE, "child index " + index + " is beyond " + bf);
      }
    }
    if (n.valueOrHash().isPresent() && n.valueOrHash().get().length() > Hash.LENGTH) {
      throw new ProofException(ProofError.INVALID_PROOF_NODE, "value digest longer than a hash");
    }
  }

  /**
   * A boundary node must lie on the path to start or to L: its parent's path leads toward one of
   * them through this node's child slot.
   */
  private static void checkOnPath(Path node, Path parent, Bounds bounds) {
    int index = node.token(parent.length());
    boolean towardStart =
        bounds.start.isPresent()
            && parent.isStrictPrefixOf(bounds.start.get())
            && bounds.start.get().token(parent.length()) == index;
    boolean towardLast =
        bounds.last.isPresent()
            && parent.isStrictPrefixOf(bounds.last.get())
            && bounds.last.get().token(parent.length()) == index;
    if (!towardStart && !towardLast) {
      throw new ProofException(
          ProofError.PROOF_NODE_OFF_PATH, "proof node " + node + " is on neither bound's path");
    }
  }

  /** The interval [start, last] as paths; empty means unbounded on that side. */
  private record Bounds(Optional<Path> start, Optional<Path> last) {
    boolean onPath(Path p) {
      return start.map(p::isPrefixOf).orElse(false) || last.map(p::isPrefixOf).orElse(false);
    }

    /** Where all keys under {@code prefix} lie relative to the interval. */
    Side classify(Path prefix) {
      if (start.isPresent()) {
        Path s = start.get();
        if (prefix.isStrictPrefixOf(s)) {
          return Side.STRADDLES_START;
        }
        if (!s.isPrefixOf(prefix) && prefix.compareTo(s) < 0) {
          return Side.OUTSIDE;
        }
      }
      if (last.isPresent()) {
        Path l = last.get();
        if (prefix.isPrefixOf(l)) {
          return Side.STRADDLES_END;
        }
        if (prefix.compareTo(l) > 0) {
          return Side.OUTSIDE;
        }
      }
      return Side.INSIDE;
    }
  }

  private enum Side {
    INSIDE,
    OUTSIDE,
    STRADDLES_START,
    STRADDLES_END
  }

  private enum Walk {
    SKIP,
    REJECT,
    DESCEND
  }

  /**
   * The rebuild of one proof's root. It walks the boundary nodes depth first, children in index
   * order, with an explicit stack rather than recursion: a proof's depth is bounded only by the
   * longest key, far beyond what a thread's stack holds.
   */
  private record Rebuild(
      BranchFactor bf, Bounds bounds, Map<Path, ProofNode[]> below, TrieReader claimed) {

    /** One boundary node being hashed: the ids of its children so far, and the next to do. */
    private final class Frame {
      final ProofNode node;
      final ProofNode[] slots;
      final Hash[] ids = new Hash[bf.width()];
      int count;
      int next;

      Frame(ProofNode node) {
        this.node = node;
        this.slots = below.get(node.key());
      }
    }

    Hash hash(ProofNode top) {
      ArrayDeque<Frame> stack = new ArrayDeque<>();
      stack.push(new Frame(top));
      Hash finished = null; // the id of the frame just popped, for its parent's slot
      while (true) {
        Frame f = stack.peek();
        if (finished != null) {
          boundaryChild(f, f.next, finished);
          f.next++;
          finished = null;
        }
        Frame child = null;
        while (f.next < f.ids.length) {
          int i = f.next;
          if (f.slots != null && f.slots[i] != null) {
            child = new Frame(f.slots[i]);
            break;
          }
          f.ids[i] = rebuiltChild(f.node, i);
          if (f.ids[i] != null) {
            f.count++;
          }
          f.next++;
        }
        if (child != null) {
          stack.push(child);
          continue;
        }
        stack.pop();
        finished = nodeId(f.node, f.ids, f.count);
        if (stack.isEmpty()) {
          return finished;
        }
      }
    }

    /** Takes the rebuilt id of the boundary node under child {@code i} of {@code f}. */
    private void boundaryChild(Frame f, int i, Hash id) {
      Path key = f.node.key();
      ProofNode below = f.slots[i];
      // The id the parent lists must be the one rebuilt below, or the proof has bytes that
      // nothing checks (and could be altered without being caught).
      if (!id.equals(f.node.children().get(i))) {
        throw new ProofException(
            ProofError.ROOT_MISMATCH,
            "proof node "
                + below.key()
                + " hashes to "
                + id
                + ", not the id "
                + key
                + " lists for it");
      }
      if (below.key().length() > key.length() + 1) {
        // Between this node and the one below lies a compressed edge with no node on it.
        checkNoneClaimed(key.append(i), below.key());
      }
      f.ids[i] = id;
      f.count++;
    }

    /** The id of child {@code i} of {@code node}, which has no boundary node under it. */
    private Hash rebuiltChild(ProofNode node, int i) {
      Path key = node.key();
      Path prefix = key.append(i);
      Hash listed = node.children().get(i);
      Side side = bounds.classify(prefix);
      return switch (side) {
        case OUTSIDE -> listed;
        case INSIDE -> {
          if (listed != null && bounds.start.isPresent() && prefix.equals(bounds.start.get())) {
            // The start path runs to the node at (or just below) the start key, as servers
            // send it; a proof without it would verify too, and be a second valid form.
            throw new ProofException(
                ProofError.MISSING_START_PROOF,
                "no proof node under " + prefix + ", the end of the path to the start");
          }
          Hash id = subtreeId(claimed.nodes(), prefix);
          // As for a proof node below: what the node lists must be what is rebuilt.
          if (listed == null && id != null) {
            throw new ProofException(
                ProofError.VALUE_MISMATCH,
                "the claimed contents hold keys under "
                    + prefix
                    + ", where "
                    + key
                    + " has no child");
          }
          if (listed != null && !listed.equals(id)) {
            throw new ProofException(
                ProofError.ROOT_MISMATCH,
                "the claimed contents under "
                    + prefix
                    + " hash to "
                    + id
                    + ", not the id "
                    + key
                    + " lists");
          }
          yield id;
        }
        case STRADDLES_START, STRADDLES_END -> {
          if (listed != null) {
            ProofError why =
                side == Side.STRADDLES_START
                    ? ProofError.MISSING_START_PROOF
                    : ProofError.MISSING_END_PROOF;
            throw new ProofException(
                why, "no proof node under " + prefix + ", which spans a bound of the range");
          }
          // The node has no child here, so the interval has no key here either.
          checkNoneClaimed(prefix, null);
          yield null;
        }
      };
    }

    /** The node's id from its children's ids and its value, taken from the claimed contents. */
    private Hash nodeId(ProofNode node, Hash[] ids, int count) {
      Path key = node.key();
      byte[] digest = node.valueOrHash().map(Bytes::toByteArray).orElse(null);
      if (key.isWholeBytes() && inside(key)) {
        byte[] claimedDigest =
            claimed.get(key.toKey()).map(v -> NodeHasher.valueDigest(v.unsafeArray())).orElse(null);
        if (!Arrays.equals(digest, claimedDigest)) {
          throw new ProofException(
              ProofError.VALUE_MISMATCH,
              "proof node "
                  + key
                  + (digest == null ? " shows no value" : " shows a value")
                  + " that the claimed key-values contradict");
        }
        digest = claimedDigest;
      }
      return NodeHasher.hash(ids, count, digest, key);
    }

    /**
     * Rejects claimed contents that hold a key of [start, last] under {@code region} but not under
     * {@code except}: a place where the proof's nodes show no key, and which the rebuild therefore
     * never hashes. Without this check, a key claimed there (a forged inclusion, an extra key in a
     * range, a delete left out of a change proof) would go unseen.
     */
    void checkNoneClaimed(Path region, Path except) {
      Path found = firstUncovered(region, except);
      if (found != null) {
        throw new ProofException(
            ProofError.VALUE_MISMATCH,
            "the claimed contents hold a key under " + found + ", where the proof nodes show none");
      }
    }

    /** The path of a claimed node that holds a key {@link #checkNoneClaimed} rejects, or null. */
    Path firstUncovered(Path region, Path except) {
      NodeSource nodes = claimed.nodes();
      Node n = subtreeNode(nodes, region);
      if (n == null) {
        return null;
      }
      return switch (decide(n.key(), except)) {
        case SKIP -> null;
        case REJECT -> n.key();
        case DESCEND -> firstUncovered(nodes, n, except);
      };
    }

    /**
     * Visits only the claimed nodes on the paths to the bounds and to {@code except}: at most a few
     * per level, never a subtree's contents. Depth first, children in index order, on an explicit
     * stack (a claimed trie can be as deep as its longest key).
     */
    private Path firstUncovered(NodeSource nodes, Node start, Path except) {
      ArrayDeque<Node> nodesToVisit = new ArrayDeque<>();
      ArrayDeque<Integer> nextChild = new ArrayDeque<>();
      if (holdsInside(start)) {
        return start.key();
      }
      nodesToVisit.push(start);
      nextChild.push(0);
      while (!nodesToVisit.isEmpty()) {
        Node n = nodesToVisit.peek();
        int i = nextChild.pop();
        if (i >= n.width()) {
          nodesToVisit.pop();
          continue;
        }
        nextChild.push(i + 1);
        if (n.child(i) == null) {
          continue;
        }
        Path childPath = n.childPath(i);
        switch (decide(childPath, except)) {
          case SKIP -> {}
          case REJECT -> {
            return childPath;
          }
          case DESCEND -> {
            Node child = nodes.node(childPath, n.child(i).id());
            if (holdsInside(child)) {
              return child.key();
            }
            nodesToVisit.push(child);
            nextChild.push(0);
          }
        }
      }
      return null;
    }

    /** Whether {@code n} holds a value at a key of [start, last]. */
    private boolean holdsInside(Node n) {
      Path k = n.key();
      return n.hasValue() && k.isWholeBytes() && inside(k);
    }

    /** What to do with the claimed subtree at {@code p}, which holds at least one key. */
    private Walk decide(Path p, Path except) {
      if (except != null && except.isPrefixOf(p)) {
        return Walk.SKIP; // hashed from the boundary node at except
      }
      return switch (bounds.classify(p)) {
        case OUTSIDE -> Walk.SKIP;
        // Every key under p is in the interval.
        case INSIDE -> except != null && p.isStrictPrefixOf(except) ? Walk.DESCEND : Walk.REJECT;
        case STRADDLES_START, STRADDLES_END -> Walk.DESCEND;
      };
    }

    /** True if the key {@code key} (a whole-byte path) lies in [start, last]. */
    private boolean inside(Path key) {
      boolean afterStart = bounds.start.map(s -> key.compareTo(s) >= 0).orElse(true);
      boolean beforeLast = bounds.last.map(l -> key.compareTo(l) <= 0).orElse(true);
      return afterStart && beforeLast;
    }
  }

  /** The root node of the subtree holding every key under {@code prefix}, or null if none. */
  static Node subtreeNode(NodeSource nodes, Path prefix) {
    Node n = nodes.rootNode();
    while (n != null) {
      if (prefix.isPrefixOf(n.key())) {
        return n;
      }
      if (!n.key().isStrictPrefixOf(prefix)) {
        return null;
      }
      int t = prefix.token(n.key().length());
      Child c = n.child(t);
      if (c == null) {
        return null;
      }
      n = nodes.node(n.childPath(t), c.id());
    }
    return null;
  }

  /** The id of the subtree holding every key under {@code prefix}, or null if none. */
  static Hash subtreeId(NodeSource nodes, Path prefix) {
    Node n = nodes.rootNode();
    if (n == null) {
      return null;
    }
    if (prefix.isPrefixOf(n.key())) {
      return n.id();
    }
    while (n.key().isStrictPrefixOf(prefix)) {
      int t = prefix.token(n.key().length());
      Child c = n.child(t);
      if (c == null) {
        return null;
      }
      Path childPath = n.key().extend(t, c.compressedKey());
      if (prefix.isPrefixOf(childPath)) {
        return c.id();
      }
      if (!childPath.isStrictPrefixOf(prefix)) {
        return null;
      }
      n = nodes.node(childPath, c.id());
    }
    return null;
  }
}
