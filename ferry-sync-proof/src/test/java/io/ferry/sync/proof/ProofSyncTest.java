package io.ferry.sync.proof;

import static org.assertj.core.api.Assertions.assertThat;

import io.ferry.core.Bytes;
import io.ferry.core.ErrorCode;
import io.ferry.core.FerryException;
import io.ferry.core.KeyRange;
import io.ferry.core.identity.NodeKey;
import io.ferry.core.runtime.ExecutorScheduler;
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
import io.ferry.sync.proof.ProofSync.Mode;
import io.ferry.sync.proof.client.MemorySyncStore;
import io.ferry.sync.proof.client.SyncConfig;
import java.nio.charset.StandardCharsets;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.CopyOnWriteArrayList;
import java.util.concurrent.CountDownLatch;
import java.util.concurrent.ExecutionException;
import java.util.concurrent.TimeUnit;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;

/**
 * The facade chooses the way to a target: a full sync for an empty store, a catch-up for a stale
 * one, a full sync when the catch-up finds no history; and never takes a store back.
 */
@Timeout(60)
class ProofSyncTest {
  private static final SyncConfig PAGED =
      SyncConfig.DEFAULT.withLimits(64, 1 << 20).withRequestTimeout(Duration.ofSeconds(5));

  private final MemoryNetwork network = new MemoryNetwork();
  private final List<AutoCloseable> closers = new ArrayList<>();
  private final MemoryTransport client = transport("client");
  private final ExecutorScheduler scheduler = new ExecutorScheduler("proof-sync-test", 1);
  private final MemorySyncStore staging = new MemorySyncStore();
  private final List<Mode> modes = new CopyOnWriteArrayList<>();
  private final CountDownLatch started = new CountDownLatch(1);

  ProofSyncTest() {
    closers.add(scheduler); // closed after all that schedules on it
  }

  @AfterEach
  void close() throws Exception {
    for (int i = closers.size() - 1; i >= 0; i--) {
      closers.get(i).close();
    }
  }

  /** The follower's store: a reset replaces it with a new, empty one. */
  private final class Live implements ProofSync.LiveStore {
    private volatile MerkleDB db;
    private volatile int resets;

    Live(MerkleDB db) {
      this.db = db;
    }

    @Override
    public MerkleDB current() {
      return db;
    }

    @Override
    public MerkleDB reset() {
      db.close();
      resets++;
      db = db(300);
      return db;
    }
  }

  private MemoryTransport transport(String host) {
    MemoryTransport t =
        new MemoryTransport(
            network, NodeKey.generate().id(), PeerAddress.of(host, 1), TransportConfig.DEFAULT);
    closers.add(t);
    return t;
  }

  private MerkleDB db(int history) {
    MerkleDB db =
        MerkleDB.inMemory(
            MerkleDBConfig.defaults().withHistoryLength(history).withSyncWrites(false));
    closers.add(db);
    return db;
  }

  private ProofSync proofSync(Live live) {
    ProofSync s =
        new ProofSync(
            PAGED,
            client,
            scheduler,
            new SeededRandomSource(7),
            staging,
            Runnable::run,
            live,
            p -> true);
    closers.add(s);
    return s;
  }

  private void serve(MerkleDB db) {
    MemoryTransport t = transport("server");
    closers.add(ProofSyncServer.start(t, db, ProofServerConfig.defaults()));
    try {
      client.connect(t.address().withId(t.localId())).get(5, TimeUnit.SECONDS);
    } catch (Exception e) {
      throw new AssertionError(e);
    }
  }

  private CompletableFuture<Revision> bring(ProofSync sync, Revision target) {
    return sync.bringTo(
        target,
        (mode, to) -> {
          modes.add(mode);
          started.countDown();
        });
  }

  private static Bytes key(int i) {
    return Bytes.wrap(String.format("key-%06d", i).getBytes(StandardCharsets.US_ASCII));
  }

  private static Bytes value(int i, int version) {
    return Bytes.wrap(("value-" + i + "-v" + version).getBytes(StandardCharsets.US_ASCII));
  }

  private static Batch genesis() {
    Batch b = new Batch();
    for (int i = 0; i < 2000; i++) {
      b.put(key(i), value(i, 0));
    }
    return b;
  }

  /** Commits {@code n} rounds of updates and inserts to {@code db}. */
  private static void evolve(MerkleDB db, int n) {
    for (int round = 1; round <= n; round++) {
      Batch b = new Batch();
      for (int i = round; i < 2000; i += 7) {
        b.put(key(i), value(i, round));
      }
      for (int i = 0; i < 40; i++) {
        b.put(key(10_000 * round + i), value(i, round));
      }
      db.commit(b, db.height() + 1);
    }
  }

  private static List<KeyValue> contents(MerkleDB db) {
    List<KeyValue> out = new ArrayList<>();
    db.scan(KeyRange.ALL, out::add);
    return out;
  }

  private static Revision await(CompletableFuture<Revision> f) throws Exception {
    return f.get(30, TimeUnit.SECONDS);
  }

  private static FerryException failure(CompletableFuture<Revision> f) {
    try {
      Revision r = f.get(30, TimeUnit.SECONDS);
      throw new AssertionError("expected the sync to fail, it reached " + r);
    } catch (ExecutionException e) {
      assertThat(e.getCause()).isInstanceOf(FerryException.class);
      return (FerryException) e.getCause();
    } catch (Exception e) {
      throw new AssertionError(e);
    }
  }

  @Test
  void anEmptyStoreGetsAFullSyncBuiltAtTheTargetsHeight() throws Exception {
    MerkleDB source = db(300);
    source.commit(genesis(), 1);
    evolve(source, 4);
    serve(source);
    Live live = new Live(db(300));
    ProofSync sync = proofSync(live);

    Revision r = await(bring(sync, source.revision()));

    assertThat(r).isEqualTo(source.revision());
    assertThat(modes).containsExactly(Mode.FULL_SYNC);
    assertThat(live.current().revision()).isEqualTo(source.revision());
    assertThat(contents(live.current())).isEqualTo(contents(source));
    assertThat(sync.syncStats()).hasValueSatisfying(s -> assertThat(s.keys()).isPositive());
    assertThat(sync.mode()).isEqualTo(Mode.IDLE);
    assertThat(live.resets).isZero(); // an empty store is loaded in place
  }

  @Test
  void aStaleStoreCatchesUpWithChangeProofs() throws Exception {
    MerkleDB source = db(300);
    source.commit(genesis(), 1);
    MerkleDB follower = db(300);
    follower.commit(genesis(), 1);
    evolve(source, 5);
    serve(source);
    Live live = new Live(follower);
    ProofSync sync = proofSync(live);

    Revision r = await(bring(sync, source.revision()));

    assertThat(r).isEqualTo(source.revision());
    assertThat(modes).containsExactly(Mode.CATCH_UP);
    assertThat(live.current()).isSameAs(follower);
    assertThat(contents(follower)).isEqualTo(contents(source));
    assertThat(sync.catchUpStats().catchUps()).isEqualTo(1);
    assertThat(sync.syncStats()).isEmpty();
  }

  @Test
  void aCatchUpWithoutHistoryFallsBackToAFullSyncOfTheStagedStore() throws Exception {
    MerkleDB source = db(3);
    source.commit(genesis(), 1);
    MerkleDB follower = db(300);
    follower.commit(genesis(), 1);
    evolve(source, 8); // the follower's root leaves the server's three-revision window
    serve(source);
    Live live = new Live(follower);
    ProofSync sync = proofSync(live);

    Revision r = await(bring(sync, source.revision()));

    assertThat(r).isEqualTo(source.revision());
    assertThat(modes).containsExactly(Mode.CATCH_UP, Mode.FULL_SYNC);
    assertThat(sync.catchUpStats().fallbacks()).isEqualTo(1);
    assertThat(live.resets).isEqualTo(1);
    assertThat(live.current().revision()).isEqualTo(source.revision());
    assertThat(contents(live.current())).isEqualTo(contents(source));
  }

  @Test
  void aMovedTargetIsBuiltAtItsOwnHeight() throws Exception {
    MerkleDB source = db(300);
    source.commit(genesis(), 1);
    evolve(source, 2);
    Revision first = source.revision();
    evolve(source, 3);
    Live live = new Live(db(300));
    ProofSync sync = proofSync(live);

    // No server yet: the full sync waits, and meanwhile the target moves.
    CompletableFuture<Revision> done = bring(sync, first);
    assertThat(started.await(10, TimeUnit.SECONDS)).isTrue();
    assertThat(sync.target()).contains(first);
    FerryException busy = failure(sync.bringTo(source.revision()));
    assertThat(busy.code()).isEqualTo(ErrorCode.ILLEGAL_STATE);
    sync.moveTarget(source.revision());
    serve(source);

    Revision r = await(done);
    assertThat(r).isEqualTo(source.revision());
    assertThat(live.current().revision()).isEqualTo(source.revision());
    assertThat(sync.syncStats().orElseThrow().targetUpdates()).isEqualTo(1);
  }

  @Test
  void aFullSyncNeverTakesTheStoreBack() throws Exception {
    MerkleDB source = db(300);
    source.commit(genesis(), 1);
    evolve(source, 2);
    serve(source);
    MerkleDB follower = db(300);
    follower.commit(genesis(), 20);
    Revision before = follower.revision();
    // A sync toward the source's root is staged: the next one to it is a full sync.
    staging.apply(java.util.Optional.empty(), List.of(), source.root(), List.of());
    Live live = new Live(follower);
    ProofSync sync = proofSync(live);

    FerryException e = failure(bring(sync, source.revision()));

    assertThat(e.code()).isEqualTo(ErrorCode.ILLEGAL_STATE);
    assertThat(e.getMessage()).contains("back from height 20");
    assertThat(modes).containsExactly(Mode.FULL_SYNC);
    assertThat(live.resets).isZero();
    assertThat(follower.revision()).isEqualTo(before);
  }

  @Test
  void closingFailsTheRunningSync() throws Exception {
    Live live = new Live(db(300));
    ProofSync sync = proofSync(live);
    MerkleDB source = db(300);
    source.commit(genesis(), 1);

    CompletableFuture<Revision> done = bring(sync, source.revision()); // no server: it waits
    assertThat(started.await(10, TimeUnit.SECONDS)).isTrue();
    sync.close();

    assertThat(failure(done).code()).isEqualTo(ErrorCode.ILLEGAL_STATE);
    assertThat(failure(sync.bringTo(source.revision())).code()).isEqualTo(ErrorCode.ILLEGAL_STATE);
    assertThat(live.current().revision().height()).isZero();
  }
}
