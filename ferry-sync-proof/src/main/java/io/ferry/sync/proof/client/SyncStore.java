package io.ferry.sync.proof.client;

import io.ferry.core.Bytes;
import io.ferry.core.Hash;
import io.ferry.core.KeyRange;
import io.ferry.merkledb.DigestedKeyValue;
import io.ferry.merkledb.KeyChange;
import io.ferry.merkledb.KeyValue;
import io.ferry.merkledb.trie.NodeHasher;
import java.util.Iterator;
import java.util.List;
import java.util.Optional;

/**
 * Where a proof sync keeps verified key-values until every range is at the target root, together
 * with its progress: the target and the completed ranges with their roots. Each {@link #apply}
 * writes a proof's data and the new progress in one atomic step, so a process killed at any instant
 * resumes from a consistent state, and nothing unverified is ever stored.
 *
 * <p>When the sync is done the staged key-values, in key order, are bulk-loaded into the MerkleDB
 * (building its trie bottom-up once, instead of committing proof by proof).
 *
 * <p>Implementations are not required to be thread-safe: the sync manager calls from one thread.
 */
public interface SyncStore extends AutoCloseable {

  /** The target root the stored progress belongs to, if a sync has started. */
  Optional<Hash> target();

  /** The ranges completed so far, each with the root its contents match. */
  List<CompletedRange> progress();

  /**
   * Atomically: if {@code replace} is present, deletes every staged key in it; then applies {@code
   * changes} (puts and deletes); then records {@code target} and {@code progress}.
   */
  void apply(
      Optional<KeyRange> replace,
      List<KeyChange> changes,
      Hash target,
      List<CompletedRange> progress);

  /**
   * Like {@link #apply(Optional, List, Hash, List)}, with the value digests of the puts ({@link
   * io.ferry.merkledb.trie.NodeHasher#valueDigest}; null for a delete, or to have it computed) as a
   * verified range proof computed them, so that the final build does not hash the values again. The
   * default drops them.
   */
  default void apply(
      Optional<KeyRange> replace,
      List<KeyChange> changes,
      List<byte[]> valueDigests,
      Hash target,
      List<CompletedRange> progress) {
    apply(replace, changes, target, progress);
  }

  /** The staged value of {@code key}. */
  Optional<Bytes> get(Bytes key);

  /** The staged key-values in {@code range}, in key order. */
  List<KeyValue> scan(KeyRange range);

  /** Every staged key-value in key order, for the final bulk load. */
  Iterator<KeyValue> iterator();

  /**
   * {@link #iterator} with each value's digest; the default hashes the values. If the returned
   * iterator is {@link AutoCloseable}, the caller closes it.
   */
  default Iterator<DigestedKeyValue> digestedIterator() {
    Iterator<KeyValue> it = iterator();
    return new Iterator<>() {
      @Override
      public boolean hasNext() {
        return it.hasNext();
      }

      @Override
      public DigestedKeyValue next() {
        KeyValue kv = it.next();
        return new DigestedKeyValue(kv, NodeHasher.valueDigest(kv.value().unsafeArray()));
      }
    };
  }

  /** Number of staged keys (approximate for large stores). */
  long keyCount();

  /**
   * Makes every {@link #apply} so far durable, for a store that does not sync each one: the sync
   * manager calls it once before the final build replaces the live store's contents.
   */
  default void sync() {}

  /** Deletes everything: data and progress. */
  void clear();

  @Override
  void close();
}
