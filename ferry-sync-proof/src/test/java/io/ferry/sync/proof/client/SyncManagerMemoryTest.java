package io.ferry.sync.proof.client;

import static org.assertj.core.api.Assertions.assertThat;
import static org.awaitility.Awaitility.await;

import io.ferry.core.Bytes;
import io.ferry.core.Hash;
import io.ferry.core.identity.NodeKey;
import io.ferry.core.runtime.ExecutorScheduler;
import io.ferry.core.runtime.SeededRandomSource;
import io.ferry.merkledb.Batch;
import io.ferry.merkledb.KeyValue;
import io.ferry.merkledb.MerkleDB;
import io.ferry.merkledb.MerkleDBConfig;
import io.ferry.net.PeerAddress;
import io.ferry.net.TransportConfig;
import io.ferry.net.memory.MemoryNetwork;
import io.ferry.net.memory.MemoryTransport;
import io.ferry.sync.proof.ProofServerConfig;
import io.ferry.sync.proof.ProofSyncServer;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.Random;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicBoolean;
import java.util.concurrent.atomic.AtomicReference;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;

/** Proof sync over the in-memory transport, on real threads: three servers, one client. */
@Timeout(120)
class SyncManagerMemoryTest {
  private final MemoryNetwork network = new MemoryNetwork();
  private final List<AutoCloseable> closers = new ArrayList<>();

  @AfterEach
  void close() throws Exception {
    for (int i = closers.size() - 1; i >= 0; i--) {
      closers.get(i).close();
    }
  }

  static List<KeyValue> keys(int n, long seed) {
    Random r = new Random(seed);
    java.util.TreeMap<Bytes, Bytes> m = new java.util.TreeMap<>();
    while (m.size() < n) {
      byte[] k = new byte[32];
      r.nextBytes(k);
      byte[] v = new byte[1 + r.nextInt(100)];
      r.nextBytes(v);
      m.put(Bytes.wrap(k), Bytes.wrap(v));
    }
    List<KeyValue> out = new ArrayList<>();
    m.forEach((k, v) -> out.add(new KeyValue(k, v)));
    return out;
  }

  private MerkleDB server(String name, List<KeyValue> kvs) {
    MerkleDB db = MerkleDB.inMemory(MerkleDBConfig.defaults().withSyncWrites(false));
    closers.add(db);
    db.bulkLoad(kvs.iterator());
    MemoryTransport t =
        new MemoryTransport(
            network, NodeKey.generate().id(), PeerAddress.of(name, 1), TransportConfig.DEFAULT);
    closers.add(t);
    closers.add(ProofSyncServer.start(t, db, ProofServerConfig.defaults().withThreads(2)));
    return db;
  }

  @Test
  void syncsFromThreeServersWhileTheTargetMoves() throws Exception {
    List<KeyValue> kvs = keys(20_000, 1);
    List<MerkleDB> servers = List.of(server("s1", kvs), server("s2", kvs), server("s3", kvs));
    Hash first = servers.get(0).root();

    MemoryTransport clientTransport =
        new MemoryTransport(
            network, NodeKey.generate().id(), PeerAddress.of("c", 1), TransportConfig.DEFAULT);
    closers.add(clientTransport);
    for (String s : List.of("s1", "s2", "s3")) {
      clientTransport.connect(PeerAddress.of(s, 1)).get(5, TimeUnit.SECONDS);
    }
    MerkleDB local = MerkleDB.inMemory(MerkleDBConfig.defaults().withSyncWrites(false));
    closers.add(local);
    ExecutorScheduler scheduler = new ExecutorScheduler("sync", 1);
    closers.add(scheduler);
    MemorySyncStore store = new MemorySyncStore();
    // The servers are offered again only once the targets have moved: the filter runs on the
    // sync's own thread before each request, so after its first proof the sync sends nothing new
    // and cannot finish at the first root, however the threads are scheduled.
    AtomicReference<SyncManager> self = new AtomicReference<>();
    AtomicBoolean moved = new AtomicBoolean();
    SyncManager sync =
        new SyncManager(
            SyncConfig.DEFAULT.withLimits(256, 1 << 20),
            clientTransport,
            scheduler,
            new SeededRandomSource(7),
            store,
            sorted -> local.bulkLoad(sorted).root(),
            p -> moved.get() || self.get().stats().proofs() == 0);
    self.set(sync);
    sync.start(first);
    await().atMost(Duration.ofSeconds(30)).until(() -> sync.stats().proofs() > 0);
    assertThat(sync.done()).isNotDone();
    // Move the target twice while the sync runs: every server commits the same changes.
    Random r = new Random(2);
    Hash last = first;
    for (int round = 0; round < 2; round++) {
      Batch b = new Batch();
      for (int i = 0; i < 300; i++) {
        KeyValue kv = kvs.get(r.nextInt(kvs.size()));
        if (i % 3 == 0) {
          b.delete(kv.key());
        } else {
          b.put(kv.key(), Bytes.wrap(new byte[] {(byte) round, (byte) i}));
        }
      }
      for (MerkleDB db : servers) {
        last = db.commit(b).root();
      }
      sync.updateTarget(last);
    }
    moved.set(true);
    assertThat(sync.done().get(60, TimeUnit.SECONDS)).isEqualTo(last);
    assertThat(local.root()).isEqualTo(last);
    assertThat(sync.stats().lies()).isZero();
    assertThat(store.keyCount()).isZero();
  }

  /**
   * Each range is answered whole by one proof, whose end proof shows nothing after its last key
   * within the range: the range is done without a second request for the rest (which would come
   * back empty). The keys' first bytes stay clear of the split points (0x3f, 0x7f, 0xbf), so the
   * end proof can tell: a child on the path to a range's end could still hold the end key itself.
   */
  @Test
  void aRangeAnsweredWholeTakesOneRequest() throws Exception {
    List<KeyValue> kvs = new ArrayList<>();
    for (KeyValue kv : keys(1_500, 4)) { // under the server's key limit of 2,048
      byte[] k = kv.key().toByteArray();
      k[0] = (byte) (0x10 + 0x40 * ((k[0] & 0xff) % 4));
      kvs.add(new KeyValue(Bytes.wrap(k), kv.value()));
    }
    kvs.sort(java.util.Comparator.comparing(KeyValue::key));
    MerkleDB server = server("s1", kvs);
    MemoryTransport clientTransport =
        new MemoryTransport(
            network, NodeKey.generate().id(), PeerAddress.of("c", 1), TransportConfig.DEFAULT);
    closers.add(clientTransport);
    clientTransport.connect(PeerAddress.of("s1", 1)).get(5, TimeUnit.SECONDS);
    for (int ranges : List.of(1, 4)) {
      MerkleDB local = MerkleDB.inMemory(MerkleDBConfig.defaults().withSyncWrites(false));
      closers.add(local);
      ExecutorScheduler scheduler = new ExecutorScheduler("sync", 1);
      closers.add(scheduler);
      SyncManager sync =
          new SyncManager(
              SyncConfig.DEFAULT.withWorkLimit(ranges).withLimits(kvs.size(), 1 << 22),
              clientTransport,
              scheduler,
              new SeededRandomSource(3),
              new MemorySyncStore(),
              sorted -> local.bulkLoad(sorted).root(),
              p -> true);
      assertThat(sync.start(server.root()).get(30, TimeUnit.SECONDS)).isEqualTo(server.root());
      assertThat(sync.stats().failures()).isZero();
      assertThat(sync.stats().proofs()).as("requests for %d ranges", ranges).isEqualTo(ranges);
    }
  }

  /**
   * Staged writes are not synced one by one; the sync makes them durable once, before the build
   * that replaces the live store, and after the last apply.
   */
  @Test
  void theStagedDataIsSyncedOnceBeforeTheBuild() throws Exception {
    List<KeyValue> kvs = keys(5_000, 6);
    MerkleDB server = server("s1", kvs);
    MemoryTransport clientTransport =
        new MemoryTransport(
            network, NodeKey.generate().id(), PeerAddress.of("c", 1), TransportConfig.DEFAULT);
    closers.add(clientTransport);
    clientTransport.connect(PeerAddress.of("s1", 1)).get(5, TimeUnit.SECONDS);
    MerkleDB local = MerkleDB.inMemory(MerkleDBConfig.defaults().withSyncWrites(false));
    closers.add(local);
    ExecutorScheduler scheduler = new ExecutorScheduler("sync", 1);
    closers.add(scheduler);
    List<String> calls = java.util.Collections.synchronizedList(new ArrayList<>());
    MemorySyncStore memory = new MemorySyncStore();
    SyncStore store =
        new SyncStore() {
          @Override
          public java.util.Optional<Hash> target() {
            return memory.target();
          }

          @Override
          public List<CompletedRange> progress() {
            return memory.progress();
          }

          @Override
          public void apply(
              java.util.Optional<io.ferry.core.KeyRange> replace,
              List<io.ferry.merkledb.KeyChange> changes,
              Hash target,
              List<CompletedRange> progress) {
            calls.add("apply");
            memory.apply(replace, changes, target, progress);
          }

          @Override
          public java.util.Optional<Bytes> get(Bytes key) {
            return memory.get(key);
          }

          @Override
          public List<KeyValue> scan(io.ferry.core.KeyRange range) {
            return memory.scan(range);
          }

          @Override
          public java.util.Iterator<KeyValue> iterator() {
            return memory.iterator();
          }

          @Override
          public long keyCount() {
            return memory.keyCount();
          }

          @Override
          public void sync() {
            calls.add("sync");
          }

          @Override
          public void clear() {
            memory.clear();
          }

          @Override
          public void close() {}
        };
    SyncManager sync =
        new SyncManager(
            SyncConfig.DEFAULT.withLimits(1_000, 1 << 20),
            clientTransport,
            scheduler,
            new SeededRandomSource(3),
            store,
            sorted -> {
              calls.add("load");
              return local.bulkLoad(sorted).root();
            },
            p -> true);
    assertThat(sync.start(server.root()).get(30, TimeUnit.SECONDS)).isEqualTo(server.root());
    assertThat(calls).filteredOn(c -> !c.equals("apply")).containsExactly("sync", "load");
    assertThat(calls.subList(calls.lastIndexOf("apply") + 1, calls.size()))
        .containsExactly("sync", "load");
  }
}
