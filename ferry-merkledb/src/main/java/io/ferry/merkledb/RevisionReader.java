package io.ferry.merkledb;

import io.ferry.core.Bytes;
import io.ferry.core.ErrorCode;
import io.ferry.core.FerryException;
import io.ferry.core.Hash;
import io.ferry.core.KeyRange;
import io.ferry.merkledb.store.Column;
import io.ferry.merkledb.store.NodeCache;
import io.ferry.merkledb.store.NodeCodec;
import io.ferry.merkledb.store.StoreIterator;
import io.ferry.merkledb.store.StoreSnapshot;
import io.ferry.merkledb.trie.Node;
import io.ferry.merkledb.trie.NodeSource;
import io.ferry.merkledb.trie.Path;
import java.lang.ref.Cleaner;
import java.util.Arrays;
import java.util.Optional;
import java.util.function.Predicate;

/**
 * A committed revision, read through a store snapshot so that commits landing meanwhile are not
 * seen. Nodes come from the shared content-addressed cache when their id is known, else from the
 * store, where each is checked against the id its parent lists.
 *
 * <p>Thread-safe. {@link #close()} releases the snapshot; an unreachable reader releases it too.
 */
final class RevisionReader implements StateSnapshot, NodeSource {
  private static final Cleaner CLEANER = Cleaner.create();

  private final MerkleDB db;
  private final Head head;
  private final StoreSnapshot snapshot;
  private final NodeCache cache;
  private final BranchFactor bf;
  private final Cleaner.Cleanable cleanable;

  RevisionReader(MerkleDB db, Head head, StoreSnapshot snapshot, NodeCache cache, BranchFactor bf) {
    this.db = db;
    this.head = head;
    this.snapshot = snapshot;
    this.cache = cache;
    this.bf = bf;
    this.cleanable = CLEANER.register(this, snapshot::close);
  }

  MerkleDB db() {
    return db;
  }

  @Override
  public Revision revision() {
    return head.revision();
  }

  Head head() {
    return head;
  }

  StoreSnapshot snapshot() {
    return snapshot;
  }

  @Override
  public Optional<Bytes> get(Bytes key) {
    byte[] v = snapshot.get(Column.VALUES, key.unsafeArray());
    return v == null ? Optional.empty() : Optional.of(Bytes.wrap(v));
  }

  @Override
  public void scan(KeyRange range, Predicate<KeyValue> visitor) {
    byte[] from = range.start().map(Bytes::unsafeArray).orElse(null);
    byte[] to = range.end().map(e -> exclusiveEnd(e.unsafeArray())).orElse(null);
    try (StoreIterator it = snapshot.scan(Column.VALUES, from, to)) {
      while (it.next()) {
        if (!visitor.test(new KeyValue(Bytes.wrap(it.key()), Bytes.wrap(it.value())))) {
          return;
        }
      }
    }
  }

  /**
   * The exclusive store bound for an inclusive end {@code key}: the smallest byte string above it,
   * of any length ({@code key} followed by a zero byte). Storage keys are longer than state keys,
   * so this is not the key successor ({@link KeyRange#successor}).
   */
  static byte[] exclusiveEnd(byte[] key) {
    return Arrays.copyOf(key, key.length + 1);
  }

  @Override
  public Hash root() {
    return head.revision().root();
  }

  @Override
  public NodeSource nodes() {
    return this;
  }

  @Override
  public Path rootPath() {
    return head.rootPath();
  }

  @Override
  public BranchFactor branchFactor() {
    return bf;
  }

  @Override
  public Node rootNode() {
    Path p = head.rootPath();
    return p == null ? null : node(p, head.revision().root());
  }

  @Override
  public Node node(Path path, Hash idHint) {
    if (idHint != null) {
      Node cached = cache.get(idHint);
      if (cached != null) {
        return cached;
      }
    }
    return checkedNode(path, snapshot.get(Column.NODES, path.storageKey()), idHint, cache, bf);
  }

  /**
   * The node stored as {@code data} at {@code path} (null if there is none), checked against the id
   * its parent lists; branches go into the cache (leaves are many and rarely read twice).
   *
   * @throws FerryException {@link ErrorCode#CORRUPT_DATA} if a listed node is missing or its id is
   *     not the one listed
   */
  static Node checkedNode(Path path, byte[] data, Hash idHint, NodeCache cache, BranchFactor bf) {
    if (data == null) {
      if (idHint != null) {
        // its parent (or the revision) lists it, so it must be there
        throw new FerryException(
            ErrorCode.CORRUPT_DATA, "stored node " + path + " (id " + idHint + ") is missing");
      }
      return null;
    }
    Node n = NodeCodec.decode(path, data, bf);
    if (idHint != null && !idHint.equals(n.id())) {
      throw new FerryException(
          ErrorCode.CORRUPT_DATA,
          "stored node " + path + " has id " + n.id() + " but its parent lists " + idHint);
    }
    if (n.childCount() > 0) {
      cache.put(n);
    }
    return n;
  }

  @Override
  public void close() {
    cleanable.clean();
  }
}
