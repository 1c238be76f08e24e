package io.ferry.sync.proof.client;

import io.ferry.core.ErrorCode;
import io.ferry.core.FerryException;
import io.ferry.core.Hash;
import io.ferry.core.KeyRange;
import io.ferry.merkledb.KeyChange;
import io.ferry.merkledb.KeyValue;
import io.ferry.merkledb.MerkleDB;
import io.ferry.merkledb.StateSnapshot;
import java.util.ArrayList;
import java.util.List;
import java.util.Optional;

/** Helpers for preparing a {@link SyncStore}. Stateless. */
public final class SyncStores {
  /** Keys per {@link SyncStore#apply} while seeding. */
  static final int SEED_BATCH_KEYS = 10_000;

  /** Key and value bytes per {@link SyncStore#apply} while seeding (soft limit). */
  static final long SEED_BATCH_BYTES = 4L << 20;

  private SyncStores() {}

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
