package io.ferry.sync.snapshot;

import static org.assertj.core.api.Assertions.assertThat;

import io.ferry.core.Bytes;
import io.ferry.core.identity.NodeId;
import io.ferry.sync.snapshot.app.ApplyResult;
import io.ferry.sync.snapshot.app.ChunkApplied;
import io.ferry.sync.snapshot.app.OfferResult;
import io.ferry.sync.snapshot.app.Snapshot;
import io.ferry.sync.snapshot.client.MemoryChunkStore;
import io.ferry.sync.snapshot.client.StateSyncConfig;
import io.ferry.sync.snapshot.client.StateSyncException;
import io.ferry.sync.snapshot.client.SyncOutcome;
import io.ferry.sync.snapshot.client.Syncer;
import io.ferry.sync.snapshot.client.TrustedAppHash;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.Optional;
import java.util.Set;
import java.util.stream.IntStream;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;
import org.junit.jupiter.api.io.TempDir;

/**
 * Every answer an application can give to {@code OfferSnapshot} and {@code ApplySnapshotChunk}, and
 * what the syncer does with it (docs/state-sync.md's table): the log application gives the common
 * ones itself, a script around it the rarer ones. Three honest servers hold 300 records, so
 * snapshots at heights 50 to 300.
 */
@Timeout(60)
class SyncerResultsTest {
  private static final List<Bytes> RECORDS = SyncerTest.RECORDS;

  @TempDir Path dir;
  private Rig rig;
  private List<Rig.Server> servers;
  private Rig.Client client;
  private LogApplication log;
  private ScriptedApplication app;
  private Snapshot newest;
  private Snapshot second;

  @BeforeEach
  void setUp() {
    rig = new Rig(dir);
    servers = List.of(rig.server(RECORDS), rig.server(RECORDS), rig.server(RECORDS));
    client = rig.client();
    log = rig.emptyLog("client");
    app = new ScriptedApplication(log);
    newest = servers.get(0).log.snapshot(300);
    second = servers.get(0).log.snapshot(250);
  }

  @AfterEach
  void close() {
    rig.close();
  }

  private Syncer syncer() {
    return syncer(Rig.trusting(servers.get(0).log));
  }

  private Syncer syncer(TrustedAppHash trust) {
    return client.syncer(StateSyncConfig.DEFAULT, app, trust, new MemoryChunkStore());
  }

  private int loads(long height, int index) {
    return servers.stream().mapToInt(s -> s.app.loads(height, index)).sum();
  }

  private int loads() {
    return servers.stream().mapToInt(s -> s.app.loads()).sum();
  }

  /** Chunks of {@code s} loaded by the servers other than once. */
  private List<Integer> notLoadedOnce(Snapshot s) {
    return IntStream.range(0, s.chunks()).filter(i -> loads(s.height(), i) != 1).boxed().toList();
  }

  private static List<Integer> range(int from, int to) {
    return IntStream.range(from, to).boxed().toList();
  }

  // ------------------------------------------------------------------ OfferSnapshot

  @Test
  void offerAbortEndsTheSyncBeforeAnyChunkIsAsked() {
    app.offerScript = (s, inner) -> OfferResult.ABORT;

    StateSyncException e = client.runToFailure(syncer());

    assertThat(e.reason()).isEqualTo(StateSyncException.Reason.ABORTED);
    assertThat(app.offered).containsExactly(newest);
    assertThat(loads()).isZero();
    assertThat(log.records()).isEmpty();
  }

  @Test
  void offerRejectNeverOffersThatSnapshotAgainAndTakesTheNextBest() {
    app.offerScript = (s, inner) -> s.equals(newest) ? OfferResult.REJECT : inner.get();

    SyncOutcome outcome = client.run(syncer());

    assertThat(outcome.snapshot()).isEqualTo(second);
    assertThat(app.offered).containsExactly(newest, second);
    assertThat(outcome.offers()).isEqualTo(2);
    assertThat(log.records()).isEqualTo(RECORDS.subList(0, 250));
    assertThat(outcome.rejectedPeers()).isEmpty();
  }

  @Test
  void offerRejectFormatDropsEverySnapshotOfThatFormat() {
    // Server 0 also lists two snapshots in a format the log does not know, above the real ones.
    Snapshot f2high = fake(400, 2);
    Snapshot f2low = fake(350, 2);
    servers.get(0).app.extraListings.addAll(List.of(f2high, f2low));

    SyncOutcome outcome = client.run(syncer(trustingAnyHeight()));

    assertThat(app.offered).containsExactly(f2high, newest);
    assertThat(outcome.snapshot()).isEqualTo(newest);
    assertThat(log.records()).isEqualTo(RECORDS);
    // Rejecting a format costs nobody anything: server 0 still served chunks.
    assertThat(outcome.rejectedPeers()).isEmpty();
    assertThat(outcome.bytesByPeer()).containsKey(servers.get(0).id());
  }

  @Test
  void offerRejectSenderRejectsEveryPeerThatListedTheSnapshot() {
    // Server 0 lists a snapshot whose metadata does not hash to its hash: the log says
    // REJECT_SENDER.
    Rig.Server liar = servers.get(0);
    Snapshot bogus = fake(400, LogApplication.FORMAT);
    liar.app.extraListings.add(bogus);

    SyncOutcome outcome = client.run(syncer(trustingAnyHeight()));

    assertThat(app.offered).containsExactly(bogus, newest);
    assertThat(outcome.snapshot()).isEqualTo(newest);
    assertThat(log.records()).isEqualTo(RECORDS);
    assertThat(outcome.rejectedPeers()).containsExactly(liar.id());
    assertThat(outcome.bytesByPeer()).doesNotContainKey(liar.id()).hasSize(2);
    assertThat(liar.app.loads()).isZero();
    assertThat(client.wire.peerManager().standing(liar.id()).score()).isNegative();
    assertThat(client.wire.peerManager().standing(servers.get(1).id()).score()).isZero();
  }

  // ------------------------------------------------------------------ ApplySnapshotChunk

  @Test
  void applyAbortEndsTheSync() {
    app.applyScript =
        (i, attempt, sender, inner) -> i == 3 ? ChunkApplied.of(ApplyResult.ABORT) : inner.get();

    StateSyncException e = client.runToFailure(syncer());

    assertThat(e.reason()).isEqualTo(StateSyncException.Reason.ABORTED);
    assertThat(app.appliedIndexes()).containsExactly(0, 1, 2, 3);
    assertThat(app.offered).containsExactly(newest);
  }

  @Test
  void applyRetryAppliesTheSameChunkAgainWithoutFetchingIt() {
    app.applyScript =
        (i, attempt, sender, inner) ->
            i == 2 && attempt < 2 ? ChunkApplied.of(ApplyResult.RETRY) : inner.get();

    SyncOutcome outcome = client.run(syncer());

    assertThat(log.records()).isEqualTo(RECORDS);
    List<Integer> expected = new ArrayList<>(List.of(0, 1, 2, 2));
    expected.addAll(range(2, newest.chunks()));
    assertThat(app.appliedIndexes()).isEqualTo(expected);
    assertThat(notLoadedOnce(newest)).isEmpty();
    assertThat(outcome.chunksFetched()).isEqualTo(newest.chunks());
  }

  @Test
  void applyRetrySnapshotOffersItAgainAndReappliesEveryChunkWithoutFetchingAnyTwice() {
    // Midway, with chunks in flight and fetched ahead: the application starts over.
    app.applyScript =
        (i, attempt, sender, inner) -> {
          if (i == 10 && attempt == 0) {
            log.abandonRestore();
            return ChunkApplied.of(ApplyResult.RETRY_SNAPSHOT);
          }
          return inner.get();
        };

    SyncOutcome outcome = client.run(syncer());

    assertThat(log.records()).isEqualTo(RECORDS);
    assertThat(app.offered).containsExactly(newest, newest);
    assertThat(outcome.offers()).isEqualTo(2);
    List<Integer> expected = new ArrayList<>(range(0, 11));
    expected.addAll(range(0, newest.chunks()));
    assertThat(app.appliedIndexes()).isEqualTo(expected);
    assertThat(notLoadedOnce(newest)).as("chunks not loaded exactly once").isEmpty();
    assertThat(outcome.chunksFetched()).isEqualTo(newest.chunks());
  }

  @Test
  void applyRetrySnapshotAfterTheLastChunkThenARefetchOfTheFirstStillEnds() {
    // Every chunk is held when the snapshot is offered again; then the first turns out bad.
    int last = newest.chunks() - 1;
    app.applyScript =
        (i, attempt, sender, inner) -> {
          if (i == last && attempt == 0) {
            log.abandonRestore();
            return ChunkApplied.of(ApplyResult.RETRY_SNAPSHOT);
          }
          if (i == 0 && attempt == 1) {
            return new ChunkApplied(ApplyResult.RETRY, List.of(0), Set.of());
          }
          return inner.get();
        };

    SyncOutcome outcome = client.run(syncer());

    assertThat(outcome.snapshot()).isEqualTo(newest);
    assertThat(log.records()).isEqualTo(RECORDS);
    assertThat(notLoadedOnce(newest)).containsExactly(0);
    assertThat(loads(300, 0)).isEqualTo(2);
    assertThat(outcome.rejectedPeers()).isEmpty();
  }

  @Test
  void applyRejectSnapshotTakesTheNextBest() {
    app.applyScript =
        (i, attempt, sender, inner) ->
            i == 5 && app.offered.size() == 1
                ? ChunkApplied.of(ApplyResult.REJECT_SNAPSHOT)
                : inner.get();

    SyncOutcome outcome = client.run(syncer());

    assertThat(outcome.snapshot()).isEqualTo(second);
    assertThat(app.offered).containsExactly(newest, second);
    assertThat(log.records()).isEqualTo(RECORDS.subList(0, 250));
    assertThat(outcome.rejectedPeers()).isEmpty();
  }

  @Test
  void refetchFetchesTheChunkAgainFromAnyPeer() {
    app.applyScript =
        (i, attempt, sender, inner) ->
            i == 4 && attempt == 0
                ? new ChunkApplied(ApplyResult.RETRY, List.of(4), Set.of())
                : inner.get();

    SyncOutcome outcome = client.run(syncer());

    assertThat(log.records()).isEqualTo(RECORDS);
    assertThat(notLoadedOnce(newest)).containsExactly(4);
    assertThat(loads(300, 4)).isEqualTo(2);
    assertThat(outcome.chunksFetched()).isEqualTo(newest.chunks() + 1);
    assertThat(outcome.rejectedPeers()).isEmpty();
  }

  @Test
  void rejectSendersStopsUsingThePeerAndScoresIt() {
    NodeId[] rejected = new NodeId[1];
    app.applyScript =
        (i, attempt, sender, inner) -> {
          ChunkApplied r = inner.get();
          if (i == 3) {
            rejected[0] = sender;
            return new ChunkApplied(r.result(), r.refetchChunks(), Set.of(sender));
          }
          return r;
        };

    SyncOutcome outcome = client.run(syncer());

    assertThat(log.records()).isEqualTo(RECORDS);
    assertThat(outcome.rejectedPeers()).containsExactly(rejected[0]);
    assertThat(client.wire.peerManager().standing(rejected[0]).score()).isNegative();
    List<NodeId> sendersAfter =
        app.applied.stream()
            .filter(a -> a.index() > 3)
            .map(ScriptedApplication.Applied::sender)
            .toList();
    assertThat(sendersAfter).isNotEmpty().doesNotContain(rejected[0]);
  }

  @Test
  void anApplicationThatThrowsFailsTheSync() {
    app.applyScript =
        (i, attempt, sender, inner) -> {
          if (i == 1) {
            throw new IllegalStateException("disk on fire");
          }
          return inner.get();
        };

    StateSyncException e = client.runToFailure(syncer());

    assertThat(e.reason()).isEqualTo(StateSyncException.Reason.FAILED);
    assertThat(e).hasMessageContaining("disk on fire");
  }

  // ------------------------------------------------------------------ helpers

  /** A well-formed snapshot no log holds: its metadata does not hash to its hash. */
  private static Snapshot fake(long height, int format) {
    byte[] hash = new byte[32];
    hash[0] = (byte) height;
    hash[1] = (byte) format;
    return new Snapshot(height, format, 3, Bytes.wrap(hash), Bytes.wrap(new byte[32 * 4]));
  }

  /** The servers' history where they have one, and some hash at every other height. */
  private TrustedAppHash trustingAnyHeight() {
    TrustedAppHash real = Rig.trusting(servers.get(0).log);
    return s -> real.appHash(s).or(() -> Optional.of(Bytes.wrap(new byte[32])));
  }
}
