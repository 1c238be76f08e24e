package io.ferry.sync.proof.client;

import io.ferry.core.Bytes;
import io.ferry.core.ErrorCode;
import io.ferry.core.FerryException;
import io.ferry.core.Hash;
import io.ferry.core.KeyRange;
import io.ferry.merkledb.DigestedKeyValue;
import io.ferry.merkledb.KeyChange;
import io.ferry.merkledb.KeyValue;
import io.ferry.merkledb.store.Column;
import io.ferry.merkledb.store.KvStore;
import io.ferry.merkledb.store.StoreIterator;
import io.ferry.merkledb.store.WriteBatch;
import io.ferry.merkledb.trie.NodeHasher;
import java.nio.charset.StandardCharsets;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.Iterator;
import java.util.List;
import java.util.NoSuchElementException;
import java.util.Optional;
import java.util.Set;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.locks.Lock;
import java.util.concurrent.locks.ReentrantLock;
import java.util.concurrent.locks.ReentrantReadWriteLock;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * The {@link SyncStore} of a node: staged key-values and progress in a {@link KvStore}, the column
 * {@code staged} (staged key → value, a value of 32 bytes or more after its 32-byte digest, so that
 * the final build does not hash it again) and the column {@code progress} holding a single {@link
 * ProgressRecord} (target and completed ranges). A store written before values carried digests
 * (progress record version {@value ProgressRecord#VERSION_WITHOUT_DIGESTS}) is cleared on open: its
 * sync starts over. On disk the store is a {@link io.ferry.merkledb.store.RocksStore} of those two
 * columns ({@link SyncStores#open}, which the node and {@code ferry sync} keep in {@code <data
 * dir>/sync-staging}); in the simulator it is the same class over the simulated disk's store.
 *
 * <p>Invariants: every {@link #apply} is one atomic write batch (replace-range delete, changes,
 * progress record), durable when it returns if the store {@link KvStore#syncWrites syncs writes}
 * (the node's does), so after a crash the store holds exactly the batches acknowledged before it
 * (plus possibly the one in flight), each wholly or not at all: never data without the progress
 * that covers it, nor progress without its data. A {@link #clear} deletes the data and the progress
 * in one such batch before it frees their space. The progress record is checked on open; a damaged
 * one fails with {@link ErrorCode#CORRUPT_DATA} (the staging directory can then be deleted: a sync
 * restarts from scratch).
 *
 * <p>Thread-safe: writes are serialized, reads run concurrently with them, and {@link #close} and
 * {@link #clear} wait for operations in progress. Iterators from {@link #iterator} hold a store
 * iterator (a consistent view of the moment they were made) until exhausted or closed; after the
 * store is closed or cleared they fail with {@link ErrorCode#ILLEGAL_STATE}. Other calls after
 * close fail the same way.
 */
public final class KvSyncStore implements SyncStore {
  private static final Logger log = LoggerFactory.getLogger(KvSyncStore.class);

  /** The staged key-values. */
  public static final Column STAGED = new Column("staged", false);

  /** The progress record, rewritten by every apply. */
  public static final Column PROGRESS = new Column("progress", true);

  /** The columns of a staging store, in their order on disk. */
  public static final List<Column> COLUMNS = List.of(STAGED, PROGRESS);

  /** The progress record's key in {@link #PROGRESS}. */
  static final byte[] PROGRESS_KEY = "progress".getBytes(StandardCharsets.US_ASCII);

  private static final byte[] EMPTY = new byte[0];

  /** A replaced range holding at most this many keys has them deleted one by one. */
  static final int POINT_DELETES = 4096;

  /** Below this many keys (by the store's estimate) {@link #keyCount} counts them. */
  static final long EXACT_COUNT_BELOW = 100_000;

  private final KvStore store;
  private final String where;
  private final int pointDeletes;

  /** Read side: every operation; write side: close and clear (which free store resources). */
  private final ReentrantReadWriteLock lifecycle = new ReentrantReadWriteLock();

  /** Serializes applies (each reads the staged keys to bound its range delete). */
  private final Lock writer = new ReentrantLock();

  private final Set<Cursor> cursors = ConcurrentHashMap.newKeySet();
  private volatile ProgressRecord progress; // null: no sync started
  private boolean closed; // under the lifecycle lock

  /**
   * Opens the staging store kept in {@code store}, which it then owns: closing it closes the store,
   * and so does a failure here.
   *
   * @param where where the store is, for errors ("the sync staging store in {@code where}"): its
   *     directory, on disk
   * @throws FerryException {@link ErrorCode#CORRUPT_DATA} if the stored progress record is damaged,
   *     {@link ErrorCode#IO_ERROR} if it cannot be read
   */
  public KvSyncStore(KvStore store, String where) {
    this(store, where, POINT_DELETES);
  }

  /**
   * @param pointDeletes replaced ranges holding up to this many keys delete them one by one, larger
   *     ones take a range delete (tests lower it to cover both)
   */
  KvSyncStore(KvStore store, String where, int pointDeletes) {
    this.store = store;
    this.where = where;
    this.pointDeletes = pointDeletes;
    try {
      byte[] record = store.get(PROGRESS, PROGRESS_KEY);
      if (record != null && ProgressRecord.isWithoutDigests(record)) {
        log.warn("the sync staging store in {} is of an older format; the sync starts over", where);
        store.write(new WriteBatch().deleteFrom(STAGED, EMPTY).delete(PROGRESS, PROGRESS_KEY));
        store.truncate(STAGED);
        record = null;
      }
      progress = record == null ? null : ProgressRecord.decode(record);
    } catch (FerryException e) {
      store.close();
      if (e.code() == ErrorCode.CORRUPT_DATA) {
        throw new FerryException(
            e.code(),
            e.getMessage()
                + " in the sync staging store in "
                + where
                + "; delete that directory to restart the sync from scratch",
            e);
      }
      throw e;
    } catch (RuntimeException e) {
      store.close();
      throw e;
    }
  }

  /** Whether every apply and clear is durable when it returns (the store fsyncs its writes). */
  public boolean syncWrites() {
    return store.syncWrites();
  }

  // ------------------------------------------------------------------ progress

  @Override
  public Optional<Hash> target() {
    ProgressRecord p = progress;
    return p == null ? Optional.empty() : Optional.of(p.target());
  }

  @Override
  public List<CompletedRange> progress() {
    ProgressRecord p = progress;
    return p == null ? List.of() : p.ranges();
  }

  // ------------------------------------------------------------------ writes

  @Override
  public void apply(
      Optional<KeyRange> replace,
      List<KeyChange> changes,
      Hash target,
      List<CompletedRange> progress) {
    apply(replace, changes, null, target, progress);
  }

  @Override
  public void apply(
      Optional<KeyRange> replace,
      List<KeyChange> changes,
      List<byte[]> valueDigests,
      Hash target,
      List<CompletedRange> progress) {
    ProgressRecord record = new ProgressRecord(target, progress);
    byte[] encoded = record.encode();
    writer.lock();
    try {
      read(
          () -> {
            WriteBatch batch = new WriteBatch();
            replace.ifPresent(r -> deleteRange(batch, r));
            for (int i = 0; i < changes.size(); i++) {
              KeyChange c = changes.get(i);
              if (c.value().isPresent()) {
                byte[] digest = valueDigests == null ? null : valueDigests.get(i);
                batch.put(STAGED, c.key().unsafeArray(), staged(c.value().get(), digest));
              } else {
                batch.delete(STAGED, c.key().unsafeArray());
              }
            }
            batch.put(PROGRESS, PROGRESS_KEY, encoded);
            store.write(batch);
            this.progress = record;
            return null;
          });
    } finally {
      writer.unlock();
    }
  }

  /**
   * Adds to {@code batch} a delete of every staged key in {@code range} (inclusive at both ends).
   * Up to {@link #POINT_DELETES} keys are deleted one by one (the common case: a range proof
   * replacing a range that held a proof's worth of keys, or none), which keeps range tombstones
   * (consulted by every later read) out of the store and {@link #keyCount}'s estimate right. More
   * take one range delete, whose end is exclusive: the successor of the range's end ({@code end} +
   * 0x00), or, for an unbounded end, the column's end. Callers hold the writer lock, so what is
   * read here is what the batch applies to.
   */
  private void deleteRange(WriteBatch batch, KeyRange range) {
    byte[] from = range.start().map(Bytes::unsafeArray).orElse(EMPTY);
    byte[] to = range.end().map(e -> exclusiveEnd(e.unsafeArray())).orElse(null);
    List<byte[]> found = new ArrayList<>();
    boolean more;
    try (StoreIterator it = store.scan(STAGED, from, to)) {
      while ((more = it.next()) && found.size() < pointDeletes) {
        found.add(it.key());
      }
    }
    if (!more) {
      for (byte[] key : found) {
        batch.delete(STAGED, key);
      }
    } else if (to == null) {
      batch.deleteFrom(STAGED, from);
    } else {
      batch.deleteRange(STAGED, from, to);
    }
  }

  /**
   * The stored form of a value: a value shorter than a hash is its own digest and is stored alone;
   * a longer one is stored after its digest ({@code digest}, or hashed here when null).
   */
  private static byte[] staged(Bytes value, byte[] digest) {
    byte[] v = value.unsafeArray();
    if (v.length < Hash.LENGTH) {
      return v;
    }
    byte[] d = digest != null ? digest : NodeHasher.valueDigest(v);
    byte[] out = new byte[Hash.LENGTH + v.length];
    System.arraycopy(d, 0, out, 0, Hash.LENGTH);
    System.arraycopy(v, 0, out, Hash.LENGTH, v.length);
    return out;
  }

  /** The value of a stored form (see {@link #staged}). */
  private static Bytes value(byte[] stored) {
    return Bytes.wrap(
        stored.length < Hash.LENGTH
            ? stored
            : Arrays.copyOfRange(stored, Hash.LENGTH, stored.length));
  }

  /** The value digest of a stored form (see {@link #staged}). */
  private static byte[] digest(byte[] stored) {
    return stored.length < Hash.LENGTH ? stored : Arrays.copyOf(stored, Hash.LENGTH);
  }

  /** The smallest byte string above {@code key}: an exclusive bound for an inclusive end. */
  private static byte[] exclusiveEnd(byte[] key) {
    return Arrays.copyOf(key, key.length + 1);
  }

  /** Fsyncs the write-ahead log, so every apply so far survives a power cut. */
  @Override
  public void sync() {
    read(
        () -> {
          store.sync();
          return null;
        });
  }

  /**
   * Deletes every staged key and the progress in one write, then {@link KvStore#truncate truncates}
   * the staged column, which frees the data's files and write-ahead log at once and zeroes {@link
   * #keyCount}. Open iterators are invalidated.
   */
  @Override
  public void clear() {
    lifecycle.writeLock().lock();
    try {
      checkOpen();
      invalidateCursors("cleared");
      store.write(new WriteBatch().deleteFrom(STAGED, EMPTY).delete(PROGRESS, PROGRESS_KEY));
      progress = null;
      // Logically empty from here on; the truncate only frees space.
      store.truncate(STAGED);
    } finally {
      lifecycle.writeLock().unlock();
    }
  }

  // ------------------------------------------------------------------ reads

  @Override
  public Optional<Bytes> get(Bytes key) {
    return read(
        () -> {
          byte[] v = store.get(STAGED, key.unsafeArray());
          return v == null ? Optional.empty() : Optional.of(value(v));
        });
  }

  @Override
  public List<KeyValue> scan(KeyRange range) {
    return read(
        () -> {
          List<KeyValue> out = new ArrayList<>();
          byte[] from = range.start().map(Bytes::unsafeArray).orElse(null);
          byte[] to = range.end().map(e -> exclusiveEnd(e.unsafeArray())).orElse(null);
          try (StoreIterator it = store.scan(STAGED, from, to)) {
            while (it.next()) {
              out.add(new KeyValue(Bytes.wrap(it.key()), value(it.value())));
            }
          }
          return out;
        });
  }

  /**
   * Streams every staged key-value in key order, from one consistent view (the store iterator's):
   * writes made meanwhile are not seen. The caller must exhaust it or {@link Cursor#close close}
   * it, or it pins store resources until the store closes.
   */
  @Override
  public Cursor iterator() {
    return read(
        () -> {
          Cursor c = new Cursor(store.scan(STAGED, null, null));
          cursors.add(c);
          c.advance();
          return c;
        });
  }

  /** {@link #iterator} with the digests staged with the values; close it as a {@link Cursor}. */
  @Override
  public Digested digestedIterator() {
    return new Digested(iterator());
  }

  /** The staged key-values with their digests, over a {@link Cursor}. One thread at a time. */
  public static final class Digested implements Iterator<DigestedKeyValue>, AutoCloseable {
    private final Cursor cursor;

    private Digested(Cursor cursor) {
      this.cursor = cursor;
    }

    @Override
    public boolean hasNext() {
      return cursor.hasNext();
    }

    @Override
    public DigestedKeyValue next() {
      return cursor.nextDigested();
    }

    @Override
    public void close() {
      cursor.close();
    }
  }

  /**
   * The number of staged keys: counted exactly while below {@value #EXACT_COUNT_BELOW}, otherwise
   * the store's estimate (which on disk counts keys under range deletes until compaction drops
   * them).
   */
  @Override
  public long keyCount() {
    return read(
        () -> {
          long estimate = store.estimateKeys(STAGED);
          if (estimate >= EXACT_COUNT_BELOW) {
            return estimate;
          }
          long counted = 0;
          try (StoreIterator it = store.scan(STAGED, null, null)) {
            while (counted < EXACT_COUNT_BELOW && it.next()) {
              counted++;
            }
          }
          return counted < EXACT_COUNT_BELOW ? counted : Math.max(estimate, counted);
        });
  }

  /**
   * An iterator over the staged key-values that holds a store iterator until it is exhausted or
   * closed. One thread at a time.
   */
  public final class Cursor implements Iterator<KeyValue>, AutoCloseable {
    private final StoreIterator it;
    private DigestedKeyValue next;
    // Set by the store's thread on close or clear: invalidated before released, read in the
    // opposite order, so a cursor found released without a reason really ended.
    private volatile boolean released;
    private volatile String invalidated; // why the store took it away, if it did

    private Cursor(StoreIterator it) {
      this.it = it;
    }

    /** Reads the next entry into {@link #next}; releases the iterator at the end. */
    private void advance() {
      next = null;
      boolean valid;
      try {
        valid = it.next();
      } catch (RuntimeException e) {
        release(null);
        throw e;
      }
      if (!valid) {
        release(null);
        return;
      }
      byte[] stored = it.value();
      next =
          new DigestedKeyValue(new KeyValue(Bytes.wrap(it.key()), value(stored)), digest(stored));
    }

    @Override
    public boolean hasNext() {
      checkValid();
      return next != null;
    }

    @Override
    public KeyValue next() {
      return nextDigested().keyValue();
    }

    /** The next key-value with its value digest as staged. */
    public DigestedKeyValue nextDigested() {
      checkValid();
      if (next == null) {
        throw new NoSuchElementException();
      }
      DigestedKeyValue out = next;
      if (!released) {
        read(
            () -> {
              checkValid();
              advance();
              return null;
            });
      } else {
        next = null;
      }
      return out;
    }

    private void checkValid() {
      if (invalidated != null) {
        throw new FerryException(
            ErrorCode.ILLEGAL_STATE,
            "the sync staging store in " + where + " was " + invalidated + " during iteration");
      }
    }

    /** Frees the store iterator; the cursor then ends. Idempotent. */
    @Override
    public void close() {
      release(null);
    }

    private synchronized void release(String reason) {
      if (released) {
        return;
      }
      invalidated = reason;
      released = true;
      it.close();
      cursors.remove(this);
    }
  }

  private void invalidateCursors(String reason) {
    for (Cursor c : List.copyOf(cursors)) {
      c.release(reason);
    }
  }

  // ------------------------------------------------------------------ lifecycle

  @FunctionalInterface
  private interface Read<T> {
    T run();
  }

  /** Runs {@code r} under the lifecycle read lock on an open store. */
  private <T> T read(Read<T> r) {
    lifecycle.readLock().lock();
    try {
      checkOpen();
      return r.run();
    } finally {
      lifecycle.readLock().unlock();
    }
  }

  private void checkOpen() {
    if (closed) {
      throw new FerryException(
          ErrorCode.ILLEGAL_STATE, "the sync staging store in " + where + " is closed");
    }
  }

  /**
   * Closes the store and the key-value store under it; open iterators are invalidated. Idempotent.
   */
  @Override
  public void close() {
    lifecycle.writeLock().lock();
    try {
      if (closed) {
        return;
      }
      closed = true;
      invalidateCursors("closed");
      store.close();
    } finally {
      lifecycle.writeLock().unlock();
    }
  }
}
