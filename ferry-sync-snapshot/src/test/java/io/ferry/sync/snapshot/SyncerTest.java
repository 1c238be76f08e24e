package io.ferry.sync.snapshot;

import static org.assertj.core.api.Assertions.assertThat;

import io.ferry.core.Bytes;
import io.ferry.sync.snapshot.app.OfferResult;
import io.ferry.sync.snapshot.app.Snapshot;
import io.ferry.sync.snapshot.client.MemoryChunkStore;
import io.ferry.sync.snapshot.client.StateSyncConfig;
import io.ferry.sync.snapshot.client.StateSyncException;
import io.ferry.sync.snapshot.client.SyncOutcome;
import io.ferry.sync.snapshot.client.Syncer;
import io.ferry.sync.snapshot.client.TrustedAppHash;
import java.nio.file.Path;
import java.time.Duration;
import java.util.List;
import java.util.Optional;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;
import org.junit.jupiter.api.io.TempDir;

/**
 * A log application restored by the syncer from several servers over the memory transport, in
 * virtual time: the happy path, which snapshot is chosen, what is never offered, and the bound on
 * waiting when nobody has a snapshot to give.
 */
@Timeout(60)
class SyncerTest {
  static final List<Bytes> RECORDS = LogApplication.records(300, 40, 1);

  @TempDir Path dir;
  private Rig rig;

  private Rig rig() {
    rig = new Rig(dir);
    return rig;
  }

  @AfterEach
  void close() {
    if (rig != null) {
      rig.close();
    }
  }

  @Test
  void restoresTheNewestSnapshotFromThreeServersSpreadingTheChunks() {
    Rig rig = rig();
    List<Rig.Server> servers =
        List.of(rig.server(RECORDS), rig.server(RECORDS), rig.server(RECORDS));
    Rig.Client client = rig.client();
    LogApplication log = rig.emptyLog("client");
    ScriptedApplication app = new ScriptedApplication(log);
    MemoryChunkStore store = new MemoryChunkStore();
    Syncer syncer =
        client.syncer(StateSyncConfig.DEFAULT, app, Rig.trusting(servers.get(0).log), store);

    SyncOutcome outcome = client.run(syncer);

    Snapshot expected = servers.get(0).log.snapshot(300);
    assertThat(outcome.snapshot()).isEqualTo(expected);
    assertThat(log.records()).isEqualTo(RECORDS);
    assertThat(log.appHash(300)).isEqualTo(servers.get(0).log.appHash(300));
    assertThat(log.restoring()).isFalse();
    assertThat(expected.chunks()).isGreaterThan(20);
    assertThat(outcome.chunksFetched()).isEqualTo(expected.chunks());
    assertThat(outcome.chunksReused()).isZero();
    assertThat(outcome.bytesFetched()).isEqualTo(LogApplication.encode(RECORDS).length());
    assertThat(outcome.bytesByPeer().keySet())
        .containsExactlyInAnyOrderElementsOf(servers.stream().map(Rig.Server::id).toList());
    assertThat(outcome.bytesByPeer().values().stream().mapToLong(Long::longValue).sum())
        .isEqualTo(outcome.bytesFetched());
    assertThat(outcome.missing()).isZero();
    assertThat(outcome.timeouts()).isZero();
    assertThat(outcome.unsolicited()).isZero();
    assertThat(outcome.rejectedPeers()).isEmpty();
    assertThat(outcome.offers()).isEqualTo(1);
    assertThat(app.offered).containsExactly(expected);
    assertThat(app.appliedIndexes())
        .containsExactlyElementsOf(
            java.util.stream.IntStream.range(0, expected.chunks()).boxed().toList());
    // Every connected server listed at once, so the offer does not wait out the 15 s discovery
    // time; the chunks then come in a few round trips of 10 ms each.
    assertThat(outcome.elapsed()).isLessThan(Duration.ofSeconds(1));
    assertThat(outcome.fetching()).isLessThan(Duration.ofSeconds(1));
    // Each chunk was loaded once, by one server or another.
    for (int i = 0; i < expected.chunks(); i++) {
      int index = i;
      assertThat(servers.stream().mapToInt(s -> s.app.loads(300, index)).sum())
          .as("loads of chunk %d", i)
          .isEqualTo(1);
    }
    assertThat(store.size()).isZero();
    assertThat(syncer.progress().phase()).isEqualTo("done");
    assertThat(syncer.progress().applied()).isEqualTo(expected.chunks());
  }

  @Test
  void offersSnapshotsByHeightThenFormatThenNumberOfPeers() {
    Rig rig = rig();
    // No server holds 50 records, so none has a snapshot of its own: only the listings below.
    List<Rig.Server> servers =
        List.of(rig.server(List.of()), rig.server(List.of()), rig.server(List.of()));
    Snapshot onePeer = fake(20, 1, 1);
    Snapshot higherFormat = fake(20, 2, 2);
    Snapshot threePeers = fake(20, 1, 3);
    Snapshot lowest = fake(10, 9, 4);
    Snapshot highest = fake(21, 0, 5);
    servers.get(0).app.extraListings.addAll(List.of(onePeer, higherFormat, threePeers, lowest));
    servers.get(1).app.extraListings.addAll(List.of(threePeers, lowest, highest));
    servers.get(2).app.extraListings.addAll(List.of(threePeers, lowest));
    Rig.Client client = rig.client();
    ScriptedApplication app = new ScriptedApplication(rig.emptyLog("client"));
    app.offerScript = (s, inner) -> OfferResult.REJECT;
    Syncer syncer =
        client.syncer(
            StateSyncConfig.DEFAULT,
            app,
            TrustedAppHash.fixed(Bytes.wrap(new byte[32])),
            new MemoryChunkStore());

    StateSyncException e = client.runToFailure(syncer);

    assertThat(app.offered).containsExactly(highest, higherFormat, threePeers, onePeer, lowest);
    assertThat(e.reason()).isEqualTo(StateSyncException.Reason.NO_SNAPSHOTS);
    assertThat(e).hasMessageContaining("5 rejected");
  }

  @Test
  void neverOffersASnapshotWithoutATrustedAppHash() {
    Rig rig = rig();
    List<Rig.Server> servers = List.of(rig.server(RECORDS), rig.server(RECORDS));
    Rig.Client client = rig.client();
    // This node trusts the history up to height 200 only: 250 and 300 are not offered.
    LogApplication trusted = rig.emptyLog("trusted");
    trusted.append(RECORDS.subList(0, 200));
    LogApplication log = rig.emptyLog("client");
    ScriptedApplication app = new ScriptedApplication(log);

    SyncOutcome outcome =
        client.run(
            client.syncer(
                StateSyncConfig.DEFAULT, app, Rig.trusting(trusted), new MemoryChunkStore()));

    assertThat(app.offered).containsExactly(servers.get(0).log.snapshot(200));
    assertThat(outcome.snapshot().height()).isEqualTo(200);
    assertThat(log.records()).isEqualTo(RECORDS.subList(0, 200));
  }

  @Test
  void withNoTrustAtAllNothingIsOfferedAndTheSyncEnds() {
    Rig rig = rig();
    rig.server(RECORDS);
    Rig.Client client = rig.client();
    ScriptedApplication app = new ScriptedApplication(rig.emptyLog("client"));
    StateSyncConfig config = StateSyncConfig.DEFAULT;

    StateSyncException e =
        client.runToFailure(
            client.syncer(config, app, s -> Optional.empty(), new MemoryChunkStore()));

    assertThat(e.reason()).isEqualTo(StateSyncException.Reason.NO_SNAPSHOTS);
    assertThat(e).hasMessageContaining("6 without a trusted app hash");
    assertThat(app.offered).isEmpty();
    assertThat(rig.net.now()).isGreaterThanOrEqualTo(config.snapshotWait());
  }

  @Test
  void withNoSnapshotsAnywhereTheSyncFailsAfterTheSnapshotWait() {
    // tendermint#5742: CometBFT waits forever. Here: a clear error once the wait is over.
    Rig rig = rig();
    rig.server(RECORDS.subList(0, 49));
    rig.server(List.of());
    Rig.Client client = rig.client();
    StateSyncConfig config =
        StateSyncConfig.DEFAULT
            .withDiscoveryTime(Duration.ofSeconds(5))
            .withSnapshotWait(Duration.ofSeconds(30));
    ScriptedApplication app = new ScriptedApplication(rig.emptyLog("client"));
    Syncer syncer =
        client.syncer(
            config, app, TrustedAppHash.fixed(Bytes.wrap(new byte[32])), new MemoryChunkStore());
    Duration start = rig.net.now();

    StateSyncException e = client.runToFailure(syncer);

    Duration took = rig.net.now().minus(start);
    assertThat(e.reason()).isEqualTo(StateSyncException.Reason.NO_SNAPSHOTS);
    assertThat(e).hasMessageContaining("2 peers connected").hasMessageContaining("0 snapshots");
    assertThat(took)
        .isGreaterThanOrEqualTo(config.snapshotWait())
        .isLessThan(config.snapshotWait().plus(config.discoveryTime()));
    assertThat(app.offered).isEmpty();
    assertThat(syncer.progress().phase()).isEqualTo("done");
    assertThat(rig.net.scheduler().pending()).as("timers left behind").isZero();
  }

  @Test
  void withNoPeersTheSyncFailsAfterTheSnapshotWaitToo() {
    Rig rig = rig();
    Rig.Client client = rig.client();
    StateSyncConfig config = StateSyncConfig.DEFAULT;

    StateSyncException e =
        client.runToFailure(
            client.syncer(
                config,
                rig.emptyLog("client"),
                TrustedAppHash.fixed(Bytes.wrap(new byte[32])),
                new MemoryChunkStore()));

    assertThat(e.reason()).isEqualTo(StateSyncException.Reason.NO_SNAPSHOTS);
    assertThat(e).hasMessageContaining("0 peers connected");
    assertThat(rig.net.now()).isEqualTo(config.snapshotWait());
  }

  @Test
  void closingBeforeTheEndFailsWithClosed() {
    Rig rig = rig();
    rig.server(RECORDS);
    Rig.Client client = rig.client();
    Syncer syncer =
        client.syncer(
            StateSyncConfig.DEFAULT,
            rig.emptyLog("client"),
            TrustedAppHash.fixed(Bytes.wrap(new byte[32])),
            new MemoryChunkStore());
    var f = syncer.start();
    rig.net.advance(Duration.ofSeconds(3));

    syncer.close();
    rig.net.settle();

    assertThat(f).isCompletedExceptionally();
    assertThat(f.handle((o, x) -> x).join())
        .isInstanceOfSatisfying(
            StateSyncException.class,
            x -> assertThat(x.reason()).isEqualTo(StateSyncException.Reason.CLOSED));
    assertThat(rig.net.scheduler().pending()).as("timers left behind").isZero();
  }

  /** A well-formed snapshot nobody holds; {@code tag} makes its hash unique. */
  static Snapshot fake(long height, int format, int tag) {
    byte[] hash = new byte[32];
    hash[0] = (byte) tag;
    return new Snapshot(height, format, 3, Bytes.wrap(hash), Bytes.EMPTY);
  }
}
