package io.ferry.sync.snapshot;

import static org.assertj.core.api.Assertions.assertThat;

import com.google.protobuf.ByteString;
import io.ferry.core.Bytes;
import io.ferry.core.FerryException;
import io.ferry.net.ProtocolHandler;
import io.ferry.net.ProtocolId;
import io.ferry.net.testing.TestNet;
import io.ferry.net.testing.Wire;
import io.ferry.sync.snapshot.app.Snapshot;
import io.ferry.sync.snapshot.client.MemoryChunkStore;
import io.ferry.sync.snapshot.client.StateSyncConfig;
import io.ferry.sync.snapshot.client.SyncOutcome;
import io.ferry.sync.snapshot.client.Syncer;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.Optional;
import java.util.concurrent.CompletableFuture;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;
import org.junit.jupiter.api.io.TempDir;

/**
 * Servers that do not help: one that has no chunks, one that never answers, one that lies, chunks
 * nobody has, answers nobody asked for, a peer that goes away, and an application that takes its
 * time. Each sync still restores the trusted state, and the bad servers pay for it.
 */
@Timeout(60)
class SyncerFaultsTest {
  private static final List<Bytes> RECORDS = SyncerTest.RECORDS;
  private static final StateSyncConfig CONFIG = StateSyncConfig.DEFAULT;

  @TempDir Path dir;
  private Rig rig;
  private LogApplication log;
  private ScriptedApplication app;

  @BeforeEach
  void setUp() {
    rig = new Rig(dir);
    log = rig.emptyLog("client");
    app = new ScriptedApplication(log);
  }

  @AfterEach
  void close() {
    rig.close();
  }

  private Syncer syncer(Rig.Client client, Rig.Server reference, StateSyncConfig config) {
    return client.syncer(config, app, Rig.trusting(reference.log), new MemoryChunkStore());
  }

  private static boolean isChunkRequest(ByteString payload) {
    try {
      return Messages.decode(payload) instanceof Messages.ChunkWanted;
    } catch (FerryException e) {
      return false;
    }
  }

  @Test
  void aMissingChunkGoesToAnotherPeerAtOnce() {
    Rig.Server empty = rig.server(RECORDS);
    empty.app.loadScript = (h, i, inner) -> Optional.empty();
    Rig.Server honest = rig.server(RECORDS);
    Rig.Client client = rig.client();

    SyncOutcome outcome = client.run(syncer(client, honest, CONFIG));

    assertThat(log.records()).isEqualTo(RECORDS);
    assertThat(outcome.missing()).isPositive();
    assertThat(outcome.timeouts()).isZero();
    assertThat(outcome.bytesByPeer()).containsOnlyKeys(honest.id());
    // Tens of milliseconds of round trips, against a chunk timeout of 10 s.
    assertThat(outcome.fetching()).isLessThan(CONFIG.chunkTimeout().dividedBy(10));
  }

  @Test
  void withCometBftsBehaviourAMissingChunkWaitsForItsTimeout() {
    Rig.Server empty = rig.server(RECORDS);
    empty.app.loadScript = (h, i, inner) -> Optional.empty();
    Rig.Server honest = rig.server(RECORDS);
    Rig.Client client = rig.client();

    SyncOutcome outcome = client.run(syncer(client, honest, CONFIG.cometbft()));

    assertThat(log.records()).isEqualTo(RECORDS);
    assertThat(outcome.missing()).isPositive();
    assertThat(outcome.timeouts()).isEqualTo(outcome.missing());
    assertThat(outcome.fetching()).isGreaterThanOrEqualTo(CONFIG.chunkTimeout());
  }

  /**
   * Chunk requests each of 4 servers that never answer one has had once half the chunk timeout has
   * passed since fetching began: the requests in flight, none timed out yet.
   */
  private List<Long> inFlightToFourStalledServers(StateSyncConfig config) {
    List<Rig.Server> stalled = new ArrayList<>();
    for (int i = 0; i < 4; i++) {
      Rig.Server s = rig.server(RECORDS);
      s.wire.filterInbound(p -> !isChunkRequest(p));
      stalled.add(s);
    }
    Rig.Client client = rig.client();
    Syncer syncer = syncer(client, stalled.get(0), config);
    syncer.start();
    rig.net.advanceUntil(() -> syncer.progress().phase().equals("fetching"), Rig.MAX_SYNC);
    rig.net.advance(config.chunkTimeout().dividedBy(2));
    return stalled.stream().map(s -> s.wire.droppedInbound()).toList();
  }

  @Test
  void twoRequestsAreInFlightToEachPeerSoNoLinkIdlesBetweenChunks() {
    assertThat(CONFIG.chunkFetchers()).isEqualTo(4);
    assertThat(inFlightToFourStalledServers(CONFIG)).containsExactly(2L, 2L, 2L, 2L);
  }

  @Test
  void cometBftBehaviourKeepsItsFetchersInFlightWhateverThePeers() {
    assertThat(inFlightToFourStalledServers(CONFIG.cometbft())).containsExactly(1L, 1L, 1L, 1L);
  }

  @Test
  void aStalledServerTimesOutAndItsChunksGoElsewhere() {
    Rig.Server stalled = rig.server(RECORDS);
    stalled.wire.filterInbound(p -> !isChunkRequest(p));
    Rig.Server honest = rig.server(RECORDS);
    Rig.Client client = rig.client();

    SyncOutcome outcome = client.run(syncer(client, honest, CONFIG));

    assertThat(log.records()).isEqualTo(RECORDS);
    assertThat(outcome.timeouts()).isPositive().isEqualTo(stalled.wire.droppedInbound());
    // After maxTimeoutsPerPeer it is asked for nothing more (what was in flight times out too).
    assertThat(stalled.wire.droppedInbound())
        .isLessThan(CONFIG.maxTimeoutsPerPeer() + CONFIG.chunkFetchers());
    assertThat(outcome.fetching()).isGreaterThanOrEqualTo(CONFIG.chunkTimeout());
    assertThat(outcome.bytesByPeer()).containsOnlyKeys(honest.id());
    assertThat(client.wire.peerManager().standing(stalled.id()).score()).isNegative();
    assertThat(client.wire.peerManager().standing(honest.id()).score()).isZero();
  }

  /**
   * Timeouts bench a peer only while another can serve: a lone server whose first requests are lost
   * (more than maxTimeoutsPerPeer) is asked again instead of the snapshot being given up after the
   * snapshot wait with every peer connected.
   */
  @Test
  void aLoneServerThatTimedOutIsAskedAgain() {
    Rig.Server flaky = rig.server(RECORDS);
    int lost = CONFIG.maxTimeoutsPerPeer() + CONFIG.chunkFetchers() + 1;
    java.util.concurrent.atomic.AtomicInteger requests =
        new java.util.concurrent.atomic.AtomicInteger();
    flaky.wire.filterInbound(p -> !isChunkRequest(p) || requests.incrementAndGet() > lost);
    Rig.Client client = rig.client();

    SyncOutcome outcome = client.run(syncer(client, flaky, CONFIG));

    assertThat(log.records()).isEqualTo(RECORDS);
    assertThat(flaky.wire.droppedInbound()).isEqualTo(lost);
    assertThat(outcome.timeouts()).isEqualTo(lost);
    assertThat(outcome.offers()).isEqualTo(1);
    assertThat(outcome.fetching()).isLessThan(CONFIG.snapshotWait());
  }

  @Test
  void aServerOfCorruptChunksIsRejectedAndScored() {
    Rig.Server liar = rig.server(RECORDS);
    liar.app.loadScript = (h, i, inner) -> inner.get().map(ScriptedApplication::corrupt);
    Rig.Server a = rig.server(RECORDS);
    Rig.Server b = rig.server(RECORDS);
    Rig.Client client = rig.client();

    SyncOutcome outcome = client.run(syncer(client, a, CONFIG));

    assertThat(log.records()).isEqualTo(RECORDS);
    assertThat(outcome.rejectedPeers()).containsExactly(liar.id());
    assertThat(client.wire.peerManager().standing(liar.id()).score()).isLessThanOrEqualTo(-60);
    assertThat(client.wire.peerManager().standing(a.id()).score()).isZero();
    assertThat(client.wire.peerManager().standing(b.id()).score()).isZero();
    assertThat(
            app.applied.stream()
                .filter(x -> x.sender().equals(liar.id()))
                .map(ScriptedApplication.Applied::index)
                .distinct()
                .count())
        .as("chunks of the liar's applied before it was caught")
        .isLessThanOrEqualTo(1);
  }

  @Test
  void aChunkNoPeerHasRejectsTheSnapshot() {
    Rig.Server a = rig.server(RECORDS);
    Rig.Server b = rig.server(RECORDS);
    for (Rig.Server s : List.of(a, b)) {
      s.app.loadScript = (h, i, inner) -> h == 300 && i == 5 ? Optional.empty() : inner.get();
    }
    Rig.Client client = rig.client();

    SyncOutcome outcome = client.run(syncer(client, a, CONFIG));

    assertThat(outcome.snapshot().height()).isEqualTo(250);
    assertThat(log.records()).isEqualTo(RECORDS.subList(0, 250));
    assertThat(app.offered).extracting(Snapshot::height).containsExactly(300L, 250L);
    assertThat(a.app.loads(300, 5) + b.app.loads(300, 5)).isEqualTo(2);
    assertThat(outcome.rejectedPeers()).isEmpty();
  }

  @Test
  void unsolicitedChunksAreDroppedAndCounted() {
    Rig.Server honest = rig.server(RECORDS);
    Rig.Client client = rig.client();
    Wire rogue = rig.net.transport(TestNet.key(99));
    rogue.register(ProtocolId.SNAPSHOT_SYNC, new ProtocolHandler() {}); // lists nothing
    rig.net.connect(rogue, client.wire);
    Snapshot s = honest.log.snapshot(300);
    ByteString junk = Messages.chunkSent(300, s.format(), 1, Bytes.wrap(new byte[] {1, 2, 3}));

    // With no sync attached, the reactor drops it.
    rogue.send(client.id(), ProtocolId.SNAPSHOT_SYNC, junk);
    rig.net.advance(Duration.ofSeconds(1));
    assertThat(client.reactor.dropped()).isEqualTo(1);

    Syncer syncer = syncer(client, honest, CONFIG);
    CompletableFuture<SyncOutcome> f = syncer.start();
    rogue.send(client.id(), ProtocolId.SNAPSHOT_SYNC, junk); // while discovering
    rig.net.advanceUntil(() -> log.chunksApplied() > 0, Duration.ofMinutes(1));
    rogue.send(client.id(), ProtocolId.SNAPSHOT_SYNC, junk); // while fetching, from nobody asked
    ByteString duplicate =
        Messages.chunkSent(
            300, s.format(), 0, honest.log.loadSnapshotChunk(300, 1, 0).orElseThrow());
    honest.wire.send(client.id(), ProtocolId.SNAPSHOT_SYNC, duplicate); // chunk 0 again
    rig.net.advanceUntil(f::isDone, Rig.MAX_SYNC);

    SyncOutcome outcome = f.join();
    assertThat(log.records()).isEqualTo(RECORDS);
    assertThat(outcome.unsolicited()).isEqualTo(3);
    assertThat(outcome.chunksFetched()).isEqualTo(s.chunks());
    assertThat(client.reactor.dropped()).isEqualTo(1);
  }

  @Test
  void aPeerThatComesBackIsUsedAgain() {
    Rig.Server only = rig.server(RECORDS);
    Rig.Client client = rig.client();
    Syncer syncer = syncer(client, only, CONFIG);
    CompletableFuture<SyncOutcome> f = syncer.start();
    rig.net.advanceUntil(() -> log.chunksApplied() >= 5, Duration.ofMinutes(1));

    client.wire.disconnect(only.id(), "test");
    rig.net.advance(Duration.ofSeconds(20));
    assertThat(f).isNotDone();
    rig.net.connect(client.wire, only.wire);
    Duration back = rig.net.now();
    rig.net.advanceUntil(f::isDone, Rig.MAX_SYNC);

    SyncOutcome outcome = f.join();
    assertThat(outcome.snapshot().height()).isEqualTo(300);
    assertThat(log.records()).isEqualTo(RECORDS);
    // Within one discovery round of its coming back, not after the snapshot wait.
    assertThat(rig.net.now().minus(back)).isLessThanOrEqualTo(CONFIG.discoveryTime());
  }

  @Test
  void aSlowApplicationIsWaitedFor() {
    Rig.Server honest = rig.server(RECORDS);
    Rig.Client client = rig.client();
    int last = honest.log.snapshot(300).chunks() - 1;
    // The last chunk (where a real application builds and checks its state) takes two minutes.
    app.applyScript =
        (i, attempt, sender, inner) -> {
          if (i == last - 1) {
            client.executor.pause();
          }
          return inner.get();
        };
    Syncer syncer = syncer(client, honest, CONFIG);
    CompletableFuture<SyncOutcome> f = syncer.start();
    rig.net.advanceUntil(() -> client.executor.held() > 0, Duration.ofMinutes(1));

    rig.net.advance(CONFIG.snapshotWait().multipliedBy(2));
    assertThat(f).isNotDone();
    client.executor.resume();
    rig.net.advanceUntil(f::isDone, Rig.MAX_SYNC);

    SyncOutcome outcome = f.join();
    assertThat(outcome.snapshot().height()).isEqualTo(300);
    assertThat(log.records()).isEqualTo(RECORDS);
    assertThat(app.offered).hasSize(1);
    // The transfer ended long before the application did: the two are told apart.
    assertThat(outcome.fetching()).isGreaterThan(CONFIG.snapshotWait().multipliedBy(2));
    assertThat(outcome.fetched()).isPositive().isLessThan(Duration.ofMinutes(1));
  }
}
