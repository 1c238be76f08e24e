package io.ferry.sync.proof.client;

import static org.assertj.core.api.Assertions.assertThat;
import static org.awaitility.Awaitility.await;

import io.ferry.core.Bytes;
import io.ferry.core.ErrorCode;
import io.ferry.core.FerryException;
import io.ferry.core.KeyRange;
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
import java.util.concurrent.ExecutionException;
import java.util.concurrent.TimeUnit;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;

/**
 * When a catch-up gives up for a full sync ({@code INSUFFICIENT_HISTORY}) and when it waits ({@code
 * UNAVAILABLE}): servers that will never give the change (they lack the store's root, or have
 * passed the target without keeping it) mean a full sync at once; a server that lags the target and
 * holds the store's root is waited for, up to {@link ChangeCatchUp#LAGGING_PATIENCE} of catch-ups
 * from one root. The follower's store is at height 1, the target at height 7. Protocol time is a
 * {@link ManualScheduler}'s; the memory transport answers on its own threads.
 */
@Timeout(60)
class CatchUpFallbackTest {
  private static final SyncConfig CONFIG =
      SyncConfig.DEFAULT.withLimits(256, 1 << 20).withRequestTimeout(Duration.ofSeconds(5));
  private static final long TARGET_HEIGHT = 7;

  private final MemoryNetwork network = new MemoryNetwork();
  private final List<AutoCloseable> closers = new ArrayList<>();
  private final ManualScheduler scheduler = new ManualScheduler();
  private final MemoryTransport client = transport("client");
  private final MerkleDB follower = db();
  private final MerkleDB source = db();
  private ChangeCatchUp changes;
  private int hosts;

  @BeforeEach
  void stores() {
    follower.commit(ChangeCatchUpTest.genesis(), 1);
    source.commit(ChangeCatchUpTest.genesis(), 1);
    ChangeCatchUpTest.evolve(source, 6);
    assertThat(source.height()).isEqualTo(TARGET_HEIGHT);
    changes = new ChangeCatchUp(CONFIG, client, scheduler, new SeededRandomSource(4), p -> true);
    closers.add(changes);
  }

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
    MemoryTransport t = transport("server" + hosts++);
    closers.add(ProofSyncServer.start(t, db, ProofServerConfig.defaults().withThreads(1)));
    client.connect(t.address().withId(t.localId())).get(5, TimeUnit.SECONDS);
  }

  /** A server that holds the target only: it restored or full-synced to it (no root before). */
  private MerkleDB atTheTargetOnly() {
    MerkleDB db = db();
    List<KeyValue> all = new ArrayList<>();
    source.scan(KeyRange.ALL, all::add);
    db.bulkLoad(all.iterator(), TARGET_HEIGHT);
    assertThat(db.root()).isEqualTo(source.root());
    return db;
  }

  /** A server that held the follower's root, then jumped past the target in one commit. */
  private MerkleDB pastTheTargetWithoutIt() {
    MerkleDB db = db();
    db.commit(ChangeCatchUpTest.genesis(), 1);
    db.commit(new Batch().put(Bytes.fromHex("0a"), Bytes.fromHex("0b")), TARGET_HEIGHT + 2);
    return db;
  }

  /** A server between the two heights that never held the follower's root. */
  private MerkleDB betweenWithoutTheStart() {
    MerkleDB db = db();
    db.commit(new Batch().put(Bytes.fromHex("0c"), Bytes.fromHex("0d")), 4);
    return db;
  }

  /** A server at the follower's root: it lags the target and may give the change later. */
  private MerkleDB lagging() {
    MerkleDB db = db();
    db.commit(ChangeCatchUpTest.genesis(), 1);
    return db;
  }

  /** Runs one catch-up to the target, running the scheduler's due tasks until it ends. */
  private CompletableFuture<Revision> catchUp() {
    CompletableFuture<Revision> done = changes.catchUp(follower, source.root(), source.height());
    await()
        .atMost(Duration.ofSeconds(30))
        .pollInterval(Duration.ofMillis(5))
        .until(
            () -> {
              scheduler.runDue();
              return done.isDone();
            });
    return done;
  }

  private static ErrorCode failure(CompletableFuture<Revision> done) throws Exception {
    try {
      Revision r = done.get();
      throw new AssertionError("expected the catch-up to fail, it reached " + r);
    } catch (ExecutionException e) {
      assertThat(e.getCause()).isInstanceOf(FerryException.class);
      return ((FerryException) e.getCause()).code();
    }
  }

  @Test
  void serversThatWillNeverGiveTheChangeMeanAFullSyncAtOnce() throws Exception {
    // Each lacks the follower's root, or has passed the target without keeping it. Before the
    // requests carried heights, the last two answered NOT_FOUND, were taken for servers that lag,
    // and the follower waited for them forever.
    serve(atTheTargetOnly());
    serve(pastTheTargetWithoutIt());
    serve(betweenWithoutTheStart());
    Revision before = follower.revision();

    assertThat(failure(catchUp())).isEqualTo(ErrorCode.INSUFFICIENT_HISTORY);

    assertThat(changes.stats().fallbacks()).isEqualTo(1);
    assertThat(follower.revision()).isEqualTo(before);
  }

  @Test
  void aServerThatLagsTheTargetIsWaitedForUpToThePatience() throws Exception {
    serve(atTheTargetOnly());
    serve(lagging());

    assertThat(failure(catchUp())).as("wait").isEqualTo(ErrorCode.UNAVAILABLE);
    scheduler.advance(ChangeCatchUp.LAGGING_PATIENCE.minusSeconds(1));
    assertThat(failure(catchUp())).as("still waiting").isEqualTo(ErrorCode.UNAVAILABLE);
    assertThat(changes.stats().fallbacks()).isZero();

    // A server stuck as far back as this store (or one that says "not yet" forever) does not keep
    // it there: catch-ups from this root have waited long enough.
    scheduler.advance(Duration.ofSeconds(1));
    assertThat(failure(catchUp())).as("given up").isEqualTo(ErrorCode.INSUFFICIENT_HISTORY);
    assertThat(changes.stats().fallbacks()).isEqualTo(1);
  }

  @Test
  void aServerThatLagsAndThenReachesTheTargetGivesTheChange() throws Exception {
    serve(atTheTargetOnly());
    MerkleDB behind = lagging();
    serve(behind);
    assertThat(failure(catchUp())).isEqualTo(ErrorCode.UNAVAILABLE);

    ChangeCatchUpTest.evolve(behind, 6); // it follows the producer to the target
    scheduler.advance(Duration.ofSeconds(2));
    Revision r = catchUp().get();

    assertThat(r).isEqualTo(source.revision());
    assertThat(follower.revision()).isEqualTo(source.revision());
    assertThat(changes.stats().fallbacks()).isZero();
    assertThat(changes.stats().catchUps()).isEqualTo(1);
  }

  @Test
  void withOnlyServersThatLagThereIsNothingToFallBackToAndItWaits() throws Exception {
    serve(lagging());
    assertThat(failure(catchUp())).isEqualTo(ErrorCode.UNAVAILABLE);
    scheduler.advance(ChangeCatchUp.LAGGING_PATIENCE.multipliedBy(2));
    // No server holds the target: a full sync could not start either.
    assertThat(failure(catchUp())).isEqualTo(ErrorCode.UNAVAILABLE);
    assertThat(changes.stats().fallbacks()).isZero();
  }
}
