package io.ferry.sync.proof.client;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import io.ferry.core.Bytes;
import io.ferry.core.ErrorCode;
import io.ferry.core.FerryException;
import io.ferry.core.Hash;
import io.ferry.core.KeyRange;
import io.ferry.core.identity.NodeKey;
import io.ferry.core.runtime.ExecutorScheduler;
import io.ferry.core.runtime.SeededRandomSource;
import io.ferry.merkledb.Batch;
import io.ferry.merkledb.KeyChange;
import io.ferry.merkledb.KeyValue;
import io.ferry.merkledb.MerkleDB;
import io.ferry.merkledb.MerkleDBConfig;
import io.ferry.net.PeerAddress;
import io.ferry.net.TransportConfig;
import io.ferry.net.memory.MemoryNetwork;
import io.ferry.net.memory.MemoryTransport;
import io.ferry.sync.proof.ProofServerConfig;
import io.ferry.sync.proof.ProofSyncServer;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.Optional;
import java.util.Random;
import java.util.concurrent.TimeUnit;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;
import org.junit.jupiter.api.io.TempDir;

@Timeout(120)
class SyncStoresTest {
  private static final MerkleDBConfig CONFIG = MerkleDBConfig.defaults().withSyncWrites(false);

  private final MemoryNetwork network = new MemoryNetwork();
  private final List<AutoCloseable> closers = new ArrayList<>();

  @TempDir Path tmp;

  @AfterEach
  void close() throws Exception {
    for (int i = closers.size() - 1; i >= 0; i--) {
      closers.get(i).close();
    }
  }

  private <T extends AutoCloseable> T closing(T resource) {
    closers.add(resource);
    return resource;
  }

  private MerkleDB db(List<KeyValue> kvs) {
    MerkleDB db = closing(MerkleDB.inMemory(CONFIG));
    db.bulkLoad(kvs.iterator());
    return db;
  }

  private static List<KeyValue> all(SyncStore store) {
    List<KeyValue> out = new ArrayList<>();
    store.iterator().forEachRemaining(out::add);
    return out;
  }

  @Test
  void seedingCopiesTheHeadInBatchesAndRecordsEveryKeyAtItsRoot() {
    List<KeyValue> kvs = SyncManagerMemoryTest.keys(SyncStores.SEED_BATCH_KEYS * 2 + 17, 3);
    MerkleDB db = db(kvs);
    for (SyncStore store :
        List.of(new MemorySyncStore(), closing(SyncStores.open(tmp.resolve("s"), false)))) {
      assertThat(SyncStores.seedFrom(db, store)).isEqualTo(kvs.size());
      assertThat(store.target()).contains(db.root());
      assertThat(store.progress()).containsExactly(new CompletedRange(KeyRange.ALL, db.root()));
      assertThat(all(store)).isEqualTo(kvs);
    }
  }

  @Test
  void aSeedCutShortIsReplacedByTheNextOne() {
    List<KeyValue> kvs = SyncManagerMemoryTest.keys(100, 4);
    MerkleDB db = db(kvs);
    SyncStore store = closing(SyncStores.open(tmp.resolve("s"), false));
    // What a seed killed before its last batch leaves: data, a target, no completed range.
    store.apply(
        Optional.empty(),
        List.of(KeyChange.put(Bytes.fromHex("00"), Bytes.fromHex("01"))),
        Hash.ZERO,
        List.of());
    SyncStores.seedFrom(db, store);
    assertThat(all(store)).isEqualTo(kvs);
    assertThat(store.progress()).containsExactly(new CompletedRange(KeyRange.ALL, db.root()));
  }

  @Test
  void aStoreWithCompletedRangesIsNotOverwritten() {
    MerkleDB db = db(SyncManagerMemoryTest.keys(10, 5));
    MemorySyncStore store = new MemorySyncStore();
    List<CompletedRange> done = List.of(new CompletedRange(KeyRange.upTo(Bytes.EMPTY), Hash.ZERO));
    store.apply(Optional.empty(), List.of(), Hash.ZERO, done);
    assertThatThrownBy(() -> SyncStores.seedFrom(db, store))
        .isInstanceOfSatisfying(
            FerryException.class, e -> assertThat(e.code()).isEqualTo(ErrorCode.ILLEGAL_STATE))
        .hasMessageContaining("resume that sync or clear the store");
    assertThat(store.progress()).isEqualTo(done);
  }

  @Test
  void anEmptyDbSeedsNothing() {
    MerkleDB db = closing(MerkleDB.inMemory(CONFIG));
    MemorySyncStore store = new MemorySyncStore();
    assertThat(SyncStores.seedFrom(db, store)).isZero();
    assertThat(store.target()).isEmpty();
    assertThat(store.progress()).isEmpty();
    assertThat(store.keyCount()).isZero();
  }

  /**
   * A client whose store is at an older root of the servers' store seeds the staging store from it
   * and syncs to the servers' new root by change proofs: it fetches the changes, not every key.
   */
  @Test
  void aStaleStoreSyncsToTheNewRootByChangeProofs() throws Exception {
    List<KeyValue> kvs = SyncManagerMemoryTest.keys(20_000, 1);
    List<MerkleDB> servers = new ArrayList<>();
    for (String name : List.of("s1", "s2")) {
      MerkleDB db = db(kvs);
      MemoryTransport t =
          closing(
              new MemoryTransport(
                  network,
                  NodeKey.generate().id(),
                  PeerAddress.of(name, 1),
                  TransportConfig.DEFAULT));
      closing(ProofSyncServer.start(t, db, ProofServerConfig.defaults().withThreads(2)));
      servers.add(db);
    }
    MerkleDB stale = db(kvs);
    Random r = new Random(2);
    int changed = 0;
    Hash target = stale.root();
    for (int round = 0; round < 2; round++) {
      Batch b = new Batch();
      for (int i = 0; i < 300; i++) {
        KeyValue kv = kvs.get(r.nextInt(kvs.size()));
        if (i % 3 == 0) {
          b.delete(kv.key());
        } else {
          b.put(kv.key(), Bytes.wrap(new byte[] {(byte) round, (byte) i}));
        }
        changed++;
      }
      for (MerkleDB db : servers) {
        target = db.commit(b).root();
      }
    }
    assertThat(target).isNotEqualTo(stale.root());

    MemoryTransport clientTransport =
        closing(
            new MemoryTransport(
                network, NodeKey.generate().id(), PeerAddress.of("c", 1), TransportConfig.DEFAULT));
    for (String s : List.of("s1", "s2")) {
      clientTransport.connect(PeerAddress.of(s, 1)).get(5, TimeUnit.SECONDS);
    }
    KvSyncStore store = closing(SyncStores.open(tmp.resolve("staging"), false));
    assertThat(SyncStores.seedFrom(stale, store)).isEqualTo(kvs.size());
    // Bulk loads need an empty store: the synced state is built into a new one.
    MerkleDB fresh = closing(MerkleDB.inMemory(CONFIG));
    ExecutorScheduler scheduler = closing(new ExecutorScheduler("sync", 1));
    SyncManager sync =
        closing(
            new SyncManager(
                SyncConfig.DEFAULT.withLimits(256, 1 << 20),
                clientTransport,
                scheduler,
                new SeededRandomSource(7),
                store,
                sorted -> fresh.bulkLoad(sorted).root(),
                p -> true));
    assertThat(sync.start(target).get(60, TimeUnit.SECONDS)).isEqualTo(target);
    assertThat(fresh.root()).isEqualTo(target);
    assertThat(sync.stats().lies()).isZero();
    assertThat(sync.stats().keys())
        .as("key changes received, of %d keys", kvs.size())
        .isPositive()
        .isLessThanOrEqualTo(changed);
    assertThat(store.keyCount()).isZero();
    assertThat(store.target()).isEmpty();
  }
}
