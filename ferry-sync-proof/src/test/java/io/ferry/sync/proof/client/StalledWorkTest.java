package io.ferry.sync.proof.client;

import static org.assertj.core.api.Assertions.assertThat;
import static org.awaitility.Awaitility.await;

import io.ferry.core.Bytes;
import io.ferry.core.Hash;
import io.ferry.core.identity.NodeKey;
import io.ferry.core.runtime.ManualScheduler;
import io.ferry.core.runtime.SeededRandomSource;
import io.ferry.merkledb.Batch;
import io.ferry.merkledb.KeyValue;
import io.ferry.merkledb.MerkleDB;
import io.ferry.merkledb.MerkleDBConfig;
import io.ferry.merkledb.Revision;
import io.ferry.net.PeerAddress;
import io.ferry.net.TransportConfig;
import io.ferry.net.memory.MemoryNetwork;
import io.ferry.net.memory.MemoryTransport;
import io.ferry.sync.proof.ProofServerConfig;
import io.ferry.sync.proof.ProofSyncServer;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.TimeUnit;
import java.util.function.BooleanSupplier;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;

/**
 * Work that stops moving is not lost: a request whose answer never comes (not even as a timeout) is
 * given up by the watchdog once its timeout and {@link SyncManager#STALL_GRACE} have passed on the
 * injected scheduler, and asked again, so the sync and the catch-up still end. Protocol time is a
 * {@link ManualScheduler}'s; the memory transport answers on its own threads.
 */
@Timeout(60)
class StalledWorkTest {
  private static final SyncConfig CONFIG =
      SyncConfig.DEFAULT
          .withWorkLimit(1)
          .withLimits(256, 1 << 20)
          .withRequestTimeout(Duration.ofSeconds(5));
  private static final Duration DEADLINE = CONFIG.requestTimeout().plus(SyncManager.STALL_GRACE);

  private final MemoryNetwork network = new MemoryNetwork();
  private final List<AutoCloseable> closers = new ArrayList<>();
  private final ManualScheduler scheduler = new ManualScheduler();
  private final MemoryTransport client = transport("client");
  private final StallingTransport stalling = new StallingTransport(client, 1);

  @AfterEach
  void close() throws Exception {
    for (int i = closers.size() - 1; i >= 0; i--) {
      closers.get(i).close();
    }
  }

  private MemoryTransport transport(String host) {
    MemoryTransport t =
        new MemoryTransport(
            network, NodeKey.generate().id(), PeerAddress.of(host, 1), TransportConfig.DEFAULT);
    closers.add(t);
    return t;
  }

  private MerkleDB db() {
    MerkleDB db = MerkleDB.inMemory(MerkleDBConfig.defaults().withSyncWrites(false));
    closers.add(db);
    return db;
  }

  private void serve(MerkleDB db) throws Exception {
    MemoryTransport t = transport("server");
    closers.add(ProofSyncServer.start(t, db, ProofServerConfig.defaults().withThreads(1)));
    client.connect(t.address().withId(t.localId())).get(5, TimeUnit.SECONDS);
  }

  /** Runs the scheduler's due tasks (answers hop onto it) until {@code condition} holds. */
  private void runUntil(BooleanSupplier condition) {
    await()
        .atMost(Duration.ofSeconds(30))
        .pollInterval(Duration.ofMillis(5))
        .until(
            () -> {
              scheduler.runDue();
              return condition.getAsBoolean();
            });
  }

  @Test
  void aSyncWhoseRequestIsNeverAnsweredAsksAgainAfterTheDeadlineAndFinishes() throws Exception {
    MerkleDB server = db();
    Hash root = server.bulkLoad(SyncManagerMemoryTest.keys(1_000, 4).iterator()).root();
    serve(server);
    MerkleDB local = db();
    SyncManager sync =
        new SyncManager(
            CONFIG,
            stalling,
            scheduler,
            new SeededRandomSource(1),
            new MemorySyncStore(),
            sorted -> local.bulkLoad(sorted).root(),
            p -> true);
    assertThat(stalling.listeners()).as("it listens for servers while it runs").isEqualTo(1);
    sync.start(root);
    runUntil(() -> stalling.stalled() == 1);
    scheduler.advance(DEADLINE.minusSeconds(1));
    assertThat(sync.stats().inFlight()).as("waiting out the deadline").isEqualTo(1);
    assertThat(sync.stats().proofs()).isZero();

    scheduler.advance(Duration.ofSeconds(1)); // the deadline: only the watchdog can move it now
    runUntil(() -> sync.done().isDone());

    assertThat(sync.done()).isCompletedWithValue(root);
    assertThat(local.root()).isEqualTo(root);
    assertThat(sync.stats().failures()).isEqualTo(1);
    assertThat(sync.stats().lies()).isZero();
    assertThat(stalling.listeners()).as("a finished sync leaves no listener behind").isZero();
  }

  @Test
  void aCatchUpWhoseRequestIsNeverAnsweredAsksAgainAfterTheDeadlineAndCompletes() throws Exception {
    MerkleDB source = db();
    MerkleDB follower = db();
    Batch genesis = new Batch();
    for (KeyValue kv : SyncManagerMemoryTest.keys(500, 5)) {
      genesis.put(kv.key(), kv.value());
    }
    source.commit(genesis, 1);
    follower.commit(genesis, 1);
    source.commit(new Batch().put(Bytes.fromHex("01"), Bytes.fromHex("02")), 2);
    serve(source);
    ChangeCatchUp changes =
        new ChangeCatchUp(CONFIG, stalling, scheduler, new SeededRandomSource(2), p -> true);
    closers.add(changes);

    CompletableFuture<Revision> done = changes.catchUp(follower, source.root(), 2);
    runUntil(() -> stalling.stalled() == 1);
    scheduler.advance(DEADLINE); // the watchdog gives the request up...
    scheduler.advance(CONFIG.backoff().max()); // ...and asks again after a backoff
    runUntil(done::isDone);

    assertThat(done).isCompletedWithValueMatching(r -> r.root().equals(source.root()));
    assertThat(follower.root()).isEqualTo(source.root());
    assertThat(changes.stats().failures()).isEqualTo(1);
  }
}
