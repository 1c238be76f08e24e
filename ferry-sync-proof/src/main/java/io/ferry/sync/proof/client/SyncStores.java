package io.ferry.sync.proof.client;

import io.ferry.core.ErrorCode;
import io.ferry.core.FerryException;
import io.ferry.core.Hash;
import io.ferry.core.KeyRange;
import io.ferry.merkledb.KeyChange;
import io.ferry.merkledb.KeyValue;
import io.ferry.merkledb.MerkleDB;
import io.ferry.merkledb.StateSnapshot;
import io.ferry.merkledb.store.RocksStore;
import java.io.IOException;
import java.io.UncheckedIOException;
import java.nio.file.Files;
import java.nio.file.LinkOption;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.Comparator;
import java.util.List;
import java.util.Optional;
import java.util.stream.Stream;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/** Opening, seeding and removing a {@link SyncStore}. Stateless. */
public final class SyncStores {
  private static final Logger log = LoggerFactory.getLogger(SyncStores.class);

  /** RocksDB block cache of a staging store on disk. */
  static final long STAGING_BLOCK_CACHE_BYTES = 32L << 20;

  /** Keys per {@link SyncStore#apply} while seeding. */
  static final int SEED_BATCH_KEYS = 10_000;

  /** Key and value bytes per {@link SyncStore#apply} while seeding (soft limit). */
  static final long SEED_BATCH_BYTES = 4L << 20;

  private SyncStores() {}

  /**
   * Opens (creating if needed) the staging store in {@code dir}: a {@link KvSyncStore} over a
   * {@link RocksStore} of the columns {@link KvSyncStore#COLUMNS} ({@code staged} and {@code
   * progress}, besides RocksDB's unused {@code default}).
   *
   * @param syncWrites fsync the write-ahead log on every apply and clear (survives power loss, not
   *     only process death); off only for tests and benchmarks
   * @throws FerryException {@link ErrorCode#IO_ERROR} if RocksDB cannot open it, {@link
   *     ErrorCode#CORRUPT_DATA} if the stored progress record is damaged
   */
  public static KvSyncStore open(Path dir, boolean syncWrites) {
    return open(dir, syncWrites, KvSyncStore.POINT_DELETES);
  }

  static KvSyncStore open(Path dir, boolean syncWrites, int pointDeletes) {
    RocksStore store;
    try {
      store = new RocksStore(dir, STAGING_BLOCK_CACHE_BYTES, syncWrites, KvSyncStore.COLUMNS);
    } catch (FerryException e) {
      String why = e.getCause() != null ? e.getCause().getMessage() : e.getMessage();
      throw new FerryException(
          e.code(), "cannot open the sync staging store in " + dir + ": " + why, e);
    }
    return new KvSyncStore(store, dir.toString(), pointDeletes);
  }

  /**
   * Deletes the staging store in {@code dir} when it holds no sync in progress (no progress record:
   * its sync finished, or never staged anything), so that its files do not outlive the sync. A
   * store with progress stays (a sync resumes from it), and so does one that is open here or in
   * another process (RocksDB's lock refuses the check), or that cannot be read.
   *
   * @return true if the directory was deleted
   */
  public static boolean deleteIfFinished(Path dir) {
    if (!Files.isDirectory(dir, LinkOption.NOFOLLOW_LINKS)) {
      return false;
    }
    try (KvSyncStore store = open(dir, true)) {
      if (store.target().isPresent()) {
        return false;
      }
    } catch (FerryException e) {
      log.info("leaving the sync staging store in {}: {}", dir, e.getMessage());
      return false;
    }
    long[] filesAndBytes = new long[2];
    try (Stream<Path> walk = Files.walk(dir)) {
      for (Path p : walk.sorted(Comparator.reverseOrder()).toList()) {
        if (Files.isRegularFile(p, LinkOption.NOFOLLOW_LINKS)) {
          filesAndBytes[0]++;
          filesAndBytes[1] += Files.size(p);
        }
        Files.delete(p);
      }
    } catch (IOException | UncheckedIOException e) {
      log.warn("cannot delete the finished sync's staging store in {}: {}", dir, e.toString());
      return false;
    }
    log.info(
        "removed the staging store of a finished sync in {} ({} files, {} bytes)",
        dir,
        filesAndBytes[0],
        filesAndBytes[1]);
    return true;
  }

  /**
   * Seeds {@code store} with the head of a stale {@code db}, so a sync to a newer root fetches
   * change proofs (the differences) instead of every key: the store is cleared, the head's
   * key-values (read from one snapshot) are staged, and one completed range covering every key is
   * recorded at the head's root. A {@link SyncManager} started on the store then brings that range
   * to its target; its loader must build into a new, empty MerkleDB (bulk loads need an empty
   * store), not into {@code db}.
   *
   * <p>The copy is written in batches of {@value #SEED_BATCH_KEYS} keys and the completed range
   * only with the last one, so a seed cut short leaves staged data that no completed range covers:
   * harmless, as a sync fetches every uncovered range as range proofs that replace what the store
   * holds there, and a new seed clears it first. An empty {@code db} seeds nothing.
   *
   * @return the number of key-values copied
   * @throws FerryException {@link ErrorCode#ILLEGAL_STATE} if the store already has completed
   *     ranges (a sync to resume, not to overwrite; clear the store first to discard it)
   */
  public static long seedFrom(MerkleDB db, SyncStore store) {
    if (!store.progress().isEmpty()) {
      throw new FerryException(
          ErrorCode.ILLEGAL_STATE,
          "the sync store holds "
              + store.progress().size()
              + " completed ranges toward "
              + store.target().map(Hash::toString).orElse("no target")
              + "; resume that sync or clear the store before seeding it");
    }
    store.clear();
    try (StateSnapshot head = db.snapshot()) {
      Hash root = head.root();
      if (root.isZero()) {
        return 0;
      }
      Seeder seeder = new Seeder(store, root);
      head.scan(KeyRange.ALL, seeder::add);
      seeder.finish();
      return seeder.keys;
    }
  }

  /** Accumulates key-values into batches and applies them. */
  private static final class Seeder {
    private final SyncStore store;
    private final Hash root;
    private List<KeyChange> batch = new ArrayList<>();
    private long batchBytes;
    private long keys;

    Seeder(SyncStore store, Hash root) {
      this.store = store;
      this.root = root;
    }

    boolean add(KeyValue kv) {
      batch.add(KeyChange.put(kv.key(), kv.value()));
      batchBytes += kv.key().length() + kv.value().length();
      keys++;
      if (batch.size() >= SEED_BATCH_KEYS || batchBytes >= SEED_BATCH_BYTES) {
        store.apply(Optional.empty(), batch, root, List.of());
        batch = new ArrayList<>();
        batchBytes = 0;
      }
      return true;
    }

    void finish() {
      store.apply(Optional.empty(), batch, root, List.of(new CompletedRange(KeyRange.ALL, root)));
    }
  }
}
