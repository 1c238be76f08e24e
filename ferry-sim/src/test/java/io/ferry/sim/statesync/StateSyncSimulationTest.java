package io.ferry.sim.statesync;

import static org.assertj.core.api.Assertions.assertThat;

import io.ferry.core.Bytes;
import io.ferry.core.Hash;
import io.ferry.net.peers.Offence;
import io.ferry.node.NodeStores;
import io.ferry.sim.Latency;
import io.ferry.sim.LinkModel;
import io.ferry.sim.SimNode;
import io.ferry.sim.SimSeed;
import io.ferry.sim.SimSeedExtension;
import io.ferry.sim.statesync.StateSyncWorld.Archives;
import io.ferry.sim.statesync.StateSyncWorld.Client;
import io.ferry.sim.statesync.StateSyncWorld.ClientSetup;
import io.ferry.sim.statesync.StateSyncWorld.OnDisk;
import io.ferry.sim.statesync.StateSyncWorld.Server;
import io.ferry.sync.snapshot.Messages;
import io.ferry.sync.snapshot.app.ApplyResult;
import io.ferry.sync.snapshot.app.ChunkApplied;
import io.ferry.sync.snapshot.app.OfferResult;
import io.ferry.sync.snapshot.app.Snapshot;
import io.ferry.sync.snapshot.client.StateSyncConfig;
import io.ferry.sync.snapshot.client.StateSyncException;
import io.ferry.sync.snapshot.client.SyncOutcome;
import io.ferry.sync.snapshot.client.TrustedAppHash;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.BitSet;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.Set;
import java.util.TreeMap;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.CompletionException;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.extension.ExtendWith;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.ValueSource;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * Snapshot state sync in the simulator, the scenario: a client restores a MerkleDB snapshot
 * of 30,000 keys in about 150 chunks from five servers, one of which corrupts every chunk it
 * serves, one answers {@code missing} for two chunks in three and one never answers a chunk
 * request; the client crashes twice mid-sync and resumes without fetching again what its disk kept.
 * It ends at the trusted root, having rejected the corrupt server, routed around the stalled one
 * after its timeouts and moved each {@code missing} chunk to another peer at once. One seed gives
 * the same run, event for event. Each answer of the application SPI, given by the real application
 * or a script around it, is exercised on its own.
 */
@ExtendWith(SimSeedExtension.class)
class StateSyncSimulationTest {
  private static final Logger log = LoggerFactory.getLogger(StateSyncSimulationTest.class);

  private static final int KEYS = 30_000;

  /** 20 ms median each way, 1 MB/s per link: a sync spans seconds of virtual time. */
  private static final LinkModel LINK =
      LinkModel.of(Latency.logNormal(Duration.ofMillis(20), 0.3)).withBandwidth(1_000_000);

  /** The sweep's links: what {@code ferry sim --faults loss} puts on every link, and 1 MB/s. */
  private static final LinkModel LOSSY =
      LinkModel.of(Latency.uniform(Duration.ofMillis(5), Duration.ofMillis(80)))
          .withBandwidth(1_000_000)
          .withLoss(0.02)
          .withDuplication(0.01)
          .withReordering(0.05, Duration.ofMillis(50))
          .withResets(1.0 / 2_000);

  private static final StateSyncConfig CONFIG = StateSyncConfig.DEFAULT;

  private static Path dir;
  private static Archives archives;

  @BeforeAll
  static void writeArchives() {
    dir = TempDirs.create("ferry-statesync-archives-");
    archives = Archives.write(dir, KEYS);
  }

  @AfterAll
  static void deleteArchives() {
    NodeStores.delete(dir);
  }

  /** What one run of the scenario did. */
  record Outcome(
      Hash trace,
      long events,
      Duration finished,
      SyncOutcome last,
      List<OnDisk> kept,
      Map<Integer, List<Integer>> requestsByIncarnation) {}

  @Test
  void restoresPastACorruptAMissingAndAStalledServerAndTwoCrashes(@SimSeed(20251210) long seed) {
    Outcome o = scenario(seed, LINK);
    assertThat(o.kept()).hasSize(2);
  }

  /**
   * The scenario on lossy links, ten seeds from {@code seed}: latency of 5 to 80 ms, 2% of
   * transmissions lost, 1% duplicated, 5% held back up to 50 ms, and one frame in 2,000 breaking
   * its connection. A failure names {@code seed}; replaying it runs the ten again.
   */
  @ParameterizedTest(name = "seed + {0}")
  @ValueSource(ints = {0, 1, 2, 3, 4, 5, 6, 7, 8, 9})
  void restoresOverLossyLinks(int variant, @SimSeed(7000) long seed) {
    scenario(seed + variant, LOSSY);
  }

  /** Two runs of one seed do the same, event for event. */
  @Test
  void oneSeedGivesTheSameRun(@SimSeed(20251210) long seed) {
    Outcome first = scenario(seed, LINK);
    Outcome second = scenario(seed, LINK);
    assertThat(second.trace()).isEqualTo(first.trace());
    assertThat(second.events()).isEqualTo(first.events());
    assertThat(second.finished()).isEqualTo(first.finished());
    assertThat(second.last()).isEqualTo(first.last());
    assertThat(second.kept()).isEqualTo(first.kept());
    assertThat(second.requestsByIncarnation()).isEqualTo(first.requestsByIncarnation());
  }

  // ---------------------------------------------------------------- servers that go away

  /**
   * Mid-sync, on slow links (20 kB/s, so every server has requests in flight), partitions cut the
   * client off from every server four times, for {@code seconds} each, 6 s apart: requests time out
   * at every server, more than the timeouts that bench a peer, and a long cut closes the
   * connections. The client finishes the same snapshot once healed, fetching nothing twice.
   */
  @ParameterizedTest(name = "{0} s")
  @ValueSource(ints = {5, 40})
  void partitionsFromEveryServerOnlyDelayTheSync(int seconds, @SimSeed(21) long seed) {
    try (StateSyncWorld w = world(seed)) {
      w.sim
          .network()
          .setDefaultLink(LinkModel.of(Latency.fixed(Duration.ofMillis(20))).withBandwidth(20_000));
      Snapshot s = archives.newer();
      w.addClient(ClientSetup.trusting(CONFIG, trustNewer()));
      assertThat(w.runUntilApplied(s.chunks() / 10, Duration.ofMinutes(1))).isTrue();
      List<SimNode<?>> servers = new ArrayList<>();
      for (int i = 1; i <= 3; i++) {
        servers.add(w.server("server-" + i));
      }
      for (int cut = 0; cut < 4; cut++) {
        w.sim.partition(List.of(w.client()), servers);
        w.sim.run(Duration.ofSeconds(seconds));
        w.sim.heal();
        w.sim.run(Duration.ofSeconds(6));
      }
      assertThat(w.runToEnd(Duration.ofMinutes(10))).as("the sync ends").isTrue();
      SyncOutcome o = w.client().app().result.join();
      assertThat(o.snapshot()).isEqualTo(s);
      assertThat(w.client().app().restored().orElseThrow().root()).isEqualTo(archives.newerRoot());
      assertThat(o.offers()).isEqualTo(1);
      assertThat(o.timeouts()).isGreaterThan(3L * CONFIG.maxTimeoutsPerPeer());
      assertThat(o.chunksFetched()).isEqualTo(s.chunks());
    }
  }

  /**
   * Mid-sync, every server crashes; they come back 20 s later with their archives (well within the
   * snapshot wait). Nothing arrives while they are down (but what was on the wire); the client
   * redials them and finishes the same snapshot from those back first, fetching nothing twice.
   */
  @ParameterizedTest(name = "seed + {0}")
  @ValueSource(ints = {0, 1, 2})
  void serversThatCrashAndComeBackServeAgain(int variant, @SimSeed(22) long seed) {
    try (StateSyncWorld w = world(seed + variant)) {
      Snapshot s = archives.newer();
      w.addClient(ClientSetup.trusting(CONFIG, trustNewer()));
      assertThat(w.runUntilApplied(s.chunks() / 3, Duration.ofMinutes(1))).isTrue();
      List<SimNode<Server>> servers = new ArrayList<>();
      for (int i = 1; i <= 3; i++) {
        servers.add(w.server("server-" + i));
        w.sim.crash(servers.getLast());
      }
      long crashed = w.sim.nanos();
      w.sim.run(Duration.ofSeconds(20));
      servers.forEach(w.sim::restart);
      long back = w.sim.nanos();
      assertThat(w.runToEnd(Duration.ofMinutes(5))).as("the sync ends").isTrue();
      SyncOutcome o = w.client().app().result.join();
      assertThat(o.snapshot()).isEqualTo(s);
      assertThat(w.client().app().restored().orElseThrow().root()).isEqualTo(archives.newerRoot());
      assertThat(o.offers()).isEqualTo(1);
      assertThat(o.chunksFetched()).isEqualTo(s.chunks());
      List<Tap.Seen> taken =
          w.clientWire().stream().filter(y -> !y.outbound() && y.isChunk()).toList();
      // Only what was on the wire when they crashed arrives while they are down.
      long drained = crashed + Duration.ofSeconds(1).toNanos();
      assertThat(taken).noneMatch(y -> y.nanos() > drained && y.nanos() < back);
      assertThat(taken).filteredOn(y -> y.nanos() > back).isNotEmpty();
    }
  }

  // ---------------------------------------------------------------- each answer of the SPI

  /**
   * {@code REJECT_FORMAT}: a server also lists two snapshots of a format the application does not
   * know, above the real ones. The real application refuses the first offered; the syncer offers no
   * other snapshot of that format and restores the real one; nothing of that format is fetched.
   */
  @Test
  void offerRejectFormatDropsEverySnapshotOfThatFormat(@SimSeed(11) long seed) {
    Snapshot f3high = fake(140, 3, archives.newer().hash());
    Snapshot f3low = fake(130, 3, archives.newer().hash());
    try (StateSyncWorld w = world(seed, new Serving.Listing(List.of(f3high, f3low)))) {
      SyncOutcome o = restore(w, ClientSetup.trusting(CONFIG, trustNewer()));
      assertThat(o.snapshot()).isEqualTo(archives.newer());
      assertThat(offers(w))
          .containsExactly(
              offer(f3high, OfferResult.REJECT_FORMAT),
              offer(archives.newer(), OfferResult.ACCEPT));
      assertThat(o.offers()).isEqualTo(2);
      assertThat(w.clientWire())
          .noneMatch(x -> x.message() instanceof Messages.ChunkWanted c && c.format() == 3);
      assertThat(o.rejectedPeers()).isEmpty();
    }
  }

  /**
   * {@code REJECT}: the client trusts the older root only. The real application refuses the newer
   * snapshot (its root is not the trusted one); the syncer offers the older one, which restores.
   * Nothing of the newer one is fetched, and no peer is blamed.
   */
  @Test
  void offerRejectTakesTheNextBestSnapshot(@SimSeed(12) long seed) {
    try (StateSyncWorld w = world(seed)) {
      SyncOutcome o =
          restore(
              w,
              ClientSetup.trusting(
                  CONFIG, TrustedAppHash.fixed(Bytes.wrap(archives.olderRoot().toBytes()))));
      assertThat(o.snapshot()).isEqualTo(archives.older());
      assertThat(w.client().app().restored().orElseThrow().root()).isEqualTo(archives.olderRoot());
      assertThat(offers(w))
          .containsExactly(
              offer(archives.newer(), OfferResult.REJECT),
              offer(archives.older(), OfferResult.ACCEPT));
      assertThat(w.clientWire())
          .noneMatch(x -> x.message() instanceof Messages.ChunkWanted c && c.height() == 120);
      assertThat(o.rejectedPeers()).isEmpty();
    }
  }

  /**
   * {@code REJECT_SENDER}: a liar lists a snapshot above the real ones whose metadata does not hash
   * to its hash. The real application refuses it; the syncer rejects the liar (it is asked for no
   * chunk, and scored as a liar) and restores the real snapshot from the others.
   */
  @Test
  void offerRejectSenderRejectsEveryPeerThatListedIt(@SimSeed(13) long seed) {
    Snapshot forged =
        new Snapshot(
            150,
            archives.newer().format(),
            archives.newer().chunks(),
            Bytes.wrap(new byte[32]),
            archives.newer().metadata());
    try (StateSyncWorld w = world(seed, new Serving.Listing(List.of(forged)))) {
      SimNode<Server> liar = w.server("server-1");
      SyncOutcome o = restore(w, ClientSetup.trusting(CONFIG, trustNewer()));
      assertThat(o.snapshot()).isEqualTo(archives.newer());
      assertThat(offers(w))
          .containsExactly(
              offer(forged, OfferResult.REJECT_SENDER),
              offer(archives.newer(), OfferResult.ACCEPT));
      assertThat(o.rejectedPeers()).containsExactly(liar.id());
      assertThat(w.scores(1).get(liar.name())).isEqualTo(-Offence.INVALID_PROOF.penalty());
      assertThat(w.clientWire()).noneMatch(x -> x.isRequest() && x.peer().equals(liar.id()));
      assertThat(o.bytesByPeer()).doesNotContainKey(liar.id()).hasSize(2);
    }
  }

  /** {@code ABORT} to an offer: the sync fails at once; not a chunk is asked for. */
  @Test
  void offerAbortEndsTheSync(@SimSeed(14) long seed) {
    try (StateSyncWorld w = world(seed)) {
      StateSyncException e =
          fail(
              w,
              ClientSetup.trusting(CONFIG, trustNewer())
                  .withOffers((s, n, real) -> OfferResult.ABORT));
      assertThat(e.reason()).isEqualTo(StateSyncException.Reason.ABORTED);
      assertThat(offers(w)).containsExactly(offer(archives.newer(), OfferResult.ABORT));
      assertThat(w.clientWire()).noneMatch(Tap.Seen::isRequest);
      assertThat(w.onDisk(archives.newer()).any().isEmpty()).isTrue();
    }
  }

  /**
   * {@code ABORT} to an apply: the sync fails there, keeping what it staged; the node's next sync
   * (after a restart) takes every staged chunk as applied and fetches only the rest.
   */
  @Test
  void applyAbortEndsTheSyncAndTheNextOneResumes(@SimSeed(15) long seed) {
    try (StateSyncWorld w = world(seed)) {
      Snapshot s = archives.newer();
      StateSyncException e =
          fail(
              w,
              ClientSetup.trusting(CONFIG, trustNewer())
                  .withApplies(
                      (i, n, sender, real) ->
                          n == 40 ? ChunkApplied.of(ApplyResult.ABORT) : real.get()));
      assertThat(e.reason()).isEqualTo(StateSyncException.Reason.ABORTED);
      OnDisk kept = w.crashClient(s);
      assertThat(kept.staged().cardinality()).isEqualTo(40);
      w.sim.run(Duration.ofSeconds(1));
      w.sim.restart(w.client());
      assertThat(w.runToEnd(Duration.ofMinutes(5))).isTrue();
      SyncOutcome o = w.client().app().result.join();
      assertThat(o.snapshot()).isEqualTo(s);
      assertThat(w.client().app().restored().orElseThrow().root()).isEqualTo(archives.newerRoot());
      assertThat(o.chunksReused()).isEqualTo(kept.any().cardinality());
      assertThat(w.requests(2)).noneMatch(x -> kept.staged().get(x.index()));
      assertThat(o.chunksFetched()).isEqualTo(s.chunks() - kept.any().cardinality());
    }
  }

  /**
   * {@code RETRY}, alone: the same chunk is applied again from what was fetched, not fetched again;
   * with the chunk in {@code refetchChunks}: it is fetched again, then applied.
   */
  @Test
  void applyRetryAppliesTheChunkAgainAndRefetchesOnlyWhenAsked(@SimSeed(16) long seed) {
    try (StateSyncWorld w = world(seed)) {
      Snapshot s = archives.newer();
      int[] retried = {-1, -1};
      SyncOutcome o =
          restore(
              w,
              ClientSetup.trusting(CONFIG, trustNewer())
                  .withApplies(
                      (i, n, sender, real) -> {
                        if (n == 20) {
                          retried[0] = i;
                          return ChunkApplied.of(ApplyResult.RETRY);
                        }
                        if (n == 60) {
                          retried[1] = i;
                          return new ChunkApplied(ApplyResult.RETRY, List.of(i), Set.of());
                        }
                        return real.get();
                      }));
      assertThat(o.snapshot()).isEqualTo(s);
      assertThat(w.client().app().restored().orElseThrow().root()).isEqualTo(archives.newerRoot());
      List<Scripted.Applied> applied = applies(w);
      // Plain RETRY: the next apply is the same chunk, and it was asked for once.
      assertThat(applied.get(20).index()).isEqualTo(retried[0]);
      assertThat(applied.get(21).index()).isEqualTo(retried[0]);
      assertThat(applied.get(21).real()).isTrue();
      assertThat(requestsFor(w, retried[0])).isEqualTo(1);
      // RETRY with a refetch: asked for twice, applied twice, the second time for real.
      assertThat(requestsFor(w, retried[1])).isEqualTo(2);
      assertThat(applied).filteredOn(a -> a.index() == retried[1]).hasSize(2);
      assertThat(o.chunksFetched()).isEqualTo(s.chunks() + 1);
      assertThat(o.rejectedPeers()).isEmpty();
    }
  }

  /**
   * {@code RETRY_SNAPSHOT}: the same snapshot is offered again and accepted; what was staged counts
   * as applied and nothing is fetched twice.
   */
  @Test
  void applyRetrySnapshotOffersItAgainAndFetchesNothingTwice(@SimSeed(17) long seed) {
    try (StateSyncWorld w = world(seed)) {
      Snapshot s = archives.newer();
      SyncOutcome o =
          restore(
              w,
              ClientSetup.trusting(CONFIG, trustNewer())
                  .withApplies(
                      (i, n, sender, real) ->
                          n == 50 ? ChunkApplied.of(ApplyResult.RETRY_SNAPSHOT) : real.get()));
      assertThat(o.snapshot()).isEqualTo(s);
      assertThat(w.client().app().restored().orElseThrow().root()).isEqualTo(archives.newerRoot());
      assertThat(offers(w))
          .containsExactly(offer(s, OfferResult.ACCEPT), offer(s, OfferResult.ACCEPT));
      assertThat(o.offers()).isEqualTo(2);
      for (int i = 0; i < s.chunks(); i++) {
        assertThat(requestsFor(w, i)).as("requests for chunk %d", i).isEqualTo(1);
      }
      assertThat(o.chunksFetched()).isEqualTo(s.chunks());
      // The 50 staged before were not applied again; the one refused was.
      assertThat(applies(w)).hasSize(s.chunks() + 1);
    }
  }

  /**
   * {@code REJECT_SNAPSHOT}: the newer snapshot is given up halfway; the syncer offers the older
   * one (the client trusts both roots, as a node that followed the chain), asks for nothing more of
   * the newer one, and restores the older.
   */
  @Test
  void applyRejectSnapshotTakesTheNextBest(@SimSeed(18) long seed) {
    try (StateSyncWorld w = world(seed)) {
      long[] rejectedAt = {-1};
      SyncOutcome o =
          restore(
              w,
              ClientSetup.trusting(CONFIG, archives::rootAt)
                  .withApplies(
                      (i, n, sender, real) -> {
                        if (n == 50) {
                          rejectedAt[0] = w.sim.nanos();
                          return ChunkApplied.of(ApplyResult.REJECT_SNAPSHOT);
                        }
                        return real.get();
                      }));
      assertThat(o.snapshot()).isEqualTo(archives.older());
      assertThat(w.client().app().restored().orElseThrow().root()).isEqualTo(archives.olderRoot());
      assertThat(offers(w))
          .containsExactly(
              offer(archives.newer(), OfferResult.ACCEPT),
              offer(archives.older(), OfferResult.ACCEPT));
      assertThat(w.clientWire())
          .noneMatch(
              x ->
                  x.outbound()
                      && x.message() instanceof Messages.ChunkWanted c
                      && c.height() == 120
                      && x.nanos() > rejectedAt[0]);
      // What was staged and held of the newer one is gone.
      assertThat(w.onDisk(archives.newer()).any().isEmpty()).isTrue();
      // Every chunk of the older one fetched once, besides those of the newer one taken before;
      // those of the newer one still on their way then are dropped as unsolicited.
      List<Tap.Seen> newer =
          w.clientWire().stream()
              .filter(
                  x ->
                      !x.outbound()
                          && x.message() instanceof Messages.ChunkSent c
                          && !c.missing()
                          && c.height() == 120)
              .toList();
      long before = newer.stream().filter(x -> x.nanos() <= rejectedAt[0]).count();
      assertThat(before).isGreaterThanOrEqualTo(50);
      assertThat(o.chunksFetched()).isEqualTo(archives.older().chunks() + before);
      assertThat(o.unsolicited()).isEqualTo(newer.size() - before);
    }
  }

  /** Three servers (more with {@code extra}, given to the first ones), all serving the archives. */
  private static StateSyncWorld world(long seed, Serving... first) {
    StateSyncWorld w = new StateSyncWorld(seed, archives, LINK);
    for (int i = 0; i < 3; i++) {
      w.addServer("server-" + (i + 1), i < first.length ? first[i] : Serving.HONEST);
    }
    return w;
  }

  private static SyncOutcome restore(StateSyncWorld w, ClientSetup setup) {
    w.addClient(setup);
    assertThat(w.runToEnd(Duration.ofMinutes(5))).as("the sync ends").isTrue();
    return w.client().app().result.join();
  }

  private static StateSyncException fail(StateSyncWorld w, ClientSetup setup) {
    w.addClient(setup);
    assertThat(w.runToEnd(Duration.ofMinutes(5))).as("the sync ends").isTrue();
    CompletableFuture<SyncOutcome> f = w.client().app().result;
    assertThat(f).isCompletedExceptionally();
    Throwable cause =
        f.handle((x, e) -> e instanceof CompletionException c ? c.getCause() : e).join();
    assertThat(cause).isInstanceOf(StateSyncException.class);
    return (StateSyncException) cause;
  }

  private static TrustedAppHash trustNewer() {
    return TrustedAppHash.fixed(Bytes.wrap(archives.newerRoot().toBytes()));
  }

  private static Snapshot fake(long height, int format, Bytes hash) {
    return new Snapshot(height, format, 10, hash, Bytes.wrap(new byte[] {1, 2, 3}));
  }

  /** An offer and its answer, for comparing. */
  private record Offer(Snapshot snapshot, OfferResult result) {}

  private static Offer offer(Snapshot s, OfferResult r) {
    return new Offer(s, r);
  }

  private static List<Offer> offers(StateSyncWorld w) {
    return w.calls.stream()
        .filter(c -> c instanceof Scripted.Offered)
        .map(c -> (Scripted.Offered) c)
        .map(o -> new Offer(o.snapshot(), o.result()))
        .toList();
  }

  private static List<Scripted.Applied> applies(StateSyncWorld w) {
    return w.calls.stream()
        .filter(c -> c instanceof Scripted.Applied)
        .map(c -> (Scripted.Applied) c)
        .toList();
  }

  private static long requestsFor(StateSyncWorld w, int index) {
    return w.clientWire().stream().filter(x -> x.isRequest() && x.index() == index).count();
  }

  // ---------------------------------------------------------------- the scenario

  static Outcome scenario(long seed, LinkModel link) {
    long wallStart = System.nanoTime();
    try (StateSyncWorld w = new StateSyncWorld(seed, archives, link)) {
      List<SimNode<Server>> honest =
          List.of(w.addServer("honest-1", Serving.HONEST), w.addServer("honest-2", Serving.HONEST));
      SimNode<Server> corrupt = w.addServer("corrupt", new Serving.Corrupt());
      SimNode<Server> missing = w.addServer("missing", new Serving.Missing(i -> i % 3 != 0));
      SimNode<Server> stalled = w.addServer("stalled", new Serving.Stalled());
      Snapshot s = archives.newer();
      SimNode<Client> client =
          w.addClient(
              ClientSetup.trusting(
                  CONFIG, TrustedAppHash.fixed(Bytes.wrap(archives.newerRoot().toBytes()))));
      int n = s.chunks();

      // Two crashes: after a third of the chunks, and after two thirds.
      List<OnDisk> kept = new ArrayList<>();
      for (int crash = 1; crash <= 2; crash++) {
        assertThat(w.runUntilApplied(n * crash / 3, Duration.ofMinutes(5)))
            .as("crash %d: %d chunks applied by %s", crash, n * crash / 3, w.sim.now())
            .isTrue();
        kept.add(w.crashClient(s));
        w.sim.run(Duration.ofSeconds(2));
        w.sim.restart(client);
      }
      assertThat(w.runToEnd(Duration.ofMinutes(10))).as("the sync ends").isTrue();
      Client last = client.app();
      SyncOutcome outcome = last.result.join();

      // The restored store is the trusted state.
      assertThat(outcome.snapshot()).isEqualTo(s);
      assertThat(last.restored()).isPresent();
      assertThat(last.restored().get().root()).isEqualTo(archives.newerRoot());
      assertThat(last.app.restored().orElseThrow().result().keys()).isEqualTo(KEYS);

      List<Client> lives = w.incarnations();
      assertThat(lives).hasSize(3);
      List<Tap.Seen> seen = w.clientWire();
      Map<Integer, List<Integer>> requests = new TreeMap<>();
      for (Client c : lives) {
        requests.put(
            c.incarnation, w.requests(c.incarnation).stream().map(Tap.Seen::index).toList());
      }

      checkCorruptRejected(w, lives, seen, corrupt, honest, outcome);
      checkMissingMovedAtOnce(seen, missing, CONFIG.chunkTimeout().toNanos());
      checkStalledRoutedAround(w, lives, seen, stalled, outcome);
      checkResumed(w, kept, outcome, corrupt);
      checkNothingFetchedTwice(seen, n, corrupt);
      log.info(
          "seed {}: restored {} chunks by {}; requests per incarnation {}, {} to the stalled"
              + " server, {} chunks from the corrupt one, {} missing; kept at the crashes {};"
              + " last sync {} fetched, {} reused, {} timeouts, {} unsolicited; {} trace events,"
              + " hash {}, {} ms wall",
          seed,
          n,
          w.sim.now(),
          requests.values().stream().map(List::size).toList(),
          seen.stream().filter(x -> x.isRequest() && x.peer().equals(stalled.id())).count(),
          seen.stream().filter(x -> x.isChunk() && x.peer().equals(corrupt.id())).count(),
          seen.stream().filter(Tap.Seen::isMissing).count(),
          kept.stream().map(d -> d.staged().cardinality() + "+" + d.held().size()).toList(),
          outcome.chunksFetched(),
          outcome.chunksReused(),
          outcome.timeouts(),
          outcome.unsolicited(),
          w.sim.trace().count(),
          w.sim.traceHash(),
          (System.nanoTime() - wallStart) / 1_000_000);
      return new Outcome(
          w.sim.traceHash(), w.sim.trace().count(), w.sim.now(), outcome, kept, requests);
    }
  }

  /**
   * Every incarnation that took a chunk of the corrupt server refused it, rejected the server for
   * the rest of its sync and scored it as a liar; nothing it sent was staged; no honest server was
   * rejected.
   */
  private static void checkCorruptRejected(
      StateSyncWorld w,
      List<Client> lives,
      List<Tap.Seen> seen,
      SimNode<Server> corrupt,
      List<SimNode<Server>> honest,
      SyncOutcome outcome) {
    int served = 0;
    for (Client c : lives) {
      List<Tap.Seen> chunks =
          seen.stream()
              .filter(
                  x ->
                      x.incarnation() == c.incarnation
                          && !x.outbound()
                          && x.isChunk()
                          && x.peer().equals(corrupt.id()))
              .toList();
      served += chunks.size();
      if (!chunks.isEmpty()) {
        assertThat(w.scores(c.incarnation).get(corrupt.name()))
            .as("incarnation %d scored the corrupt server", c.incarnation)
            .isLessThanOrEqualTo(-Offence.INVALID_PROOF.penalty());
        // Rejected when its first chunk failed the check: asked for nothing after that.
        long rejected =
            w.calls.stream()
                .filter(
                    x ->
                        x instanceof Scripted.Applied a
                            && a.incarnation() == c.incarnation
                            && a.sender().equals(corrupt.id()))
                .mapToLong(x -> ((Scripted.Applied) x).nanos())
                .min()
                .orElseThrow();
        assertThat(
                seen.stream()
                    .filter(
                        x ->
                            x.incarnation() == c.incarnation
                                && x.outbound()
                                && x.isRequest()
                                && x.peer().equals(corrupt.id())
                                && x.nanos() > rejected))
            .as(
                "requests to the corrupt server after it was rejected, incarnation %d",
                c.incarnation)
            .isEmpty();
      }
      for (SimNode<Server> h : honest) {
        assertThat(w.scores(c.incarnation).get(h.name()))
            .as("%s's standing with incarnation %d", h.name(), c.incarnation)
            .isZero();
      }
    }
    assertThat(served).as("chunks the corrupt server served").isPositive();
    List<Scripted.Applied> fromCorrupt =
        w.calls.stream()
            .filter(c -> c instanceof Scripted.Applied a && a.sender().equals(corrupt.id()))
            .map(c -> (Scripted.Applied) c)
            .toList();
    assertThat(fromCorrupt).isNotEmpty().allMatch(a -> a.result() == ApplyResult.RETRY);
    assertThat(outcome.rejectedPeers()).isSubsetOf(java.util.Set.of(corrupt.id()));
  }

  /**
   * Each {@code missing} answer sent its chunk to another peer long before the request to the
   * missing server would have timed out, which is when CometBFT moves it. (Not always at the same
   * instant: the requests in flight are capped, and the stalled server holds some of them until
   * they time out.)
   */
  private static void checkMissingMovedAtOnce(
      List<Tap.Seen> seen, SimNode<Server> missing, long timeout) {
    List<Tap.Seen> answers = seen.stream().filter(x -> !x.outbound() && x.isMissing()).toList();
    assertThat(answers).as("missing answers").isNotEmpty();
    assertThat(answers).allMatch(x -> x.peer().equals(missing.id()));
    for (Tap.Seen a : answers) {
      List<Tap.Seen> requests =
          seen.stream()
              .filter(x -> x.outbound() && x.isRequest() && x.incarnation() == a.incarnation())
              .toList();
      Tap.Seen asked =
          requests.stream()
              .filter(
                  x ->
                      x.index() == a.index()
                          && x.peer().equals(missing.id())
                          && x.nanos() <= a.nanos())
              .reduce((x, y) -> y)
              .orElseThrow();
      Optional<Tap.Seen> next =
          requests.stream()
              .filter(x -> x.index() == a.index() && x.nanos() >= a.nanos())
              .findFirst();
      if (next.isEmpty()) {
        // Only when the incarnation crashed first.
        assertThat(lastSeen(seen, a.incarnation())).isLessThan(asked.nanos() + timeout);
        continue;
      }
      assertThat(next.get().peer()).isNotEqualTo(missing.id());
      assertThat(next.get().nanos())
          .as("chunk %d, missing at %d ns, asked elsewhere", a.index(), a.nanos())
          .isLessThan(asked.nanos() + timeout);
    }
  }

  /**
   * The stalled server got few requests (each incarnation stops asking it after its timeouts), each
   * of which timed out and went to another peer; it never sent a chunk, and the last sync waited
   * out at least one of its timeouts.
   */
  private static void checkStalledRoutedAround(
      StateSyncWorld w,
      List<Client> lives,
      List<Tap.Seen> seen,
      SimNode<Server> stalled,
      SyncOutcome outcome) {
    long timeout = CONFIG.chunkTimeout().toNanos();
    assertThat(seen).noneMatch(x -> !x.outbound() && x.isChunk() && x.peer().equals(stalled.id()));
    for (Client c : lives) {
      List<Tap.Seen> asked =
          seen.stream()
              .filter(
                  x ->
                      x.incarnation() == c.incarnation
                          && x.outbound()
                          && x.isRequest()
                          && x.peer().equals(stalled.id()))
              .toList();
      assertThat(asked.size())
          .as("requests to the stalled server, incarnation %d", c.incarnation)
          .isLessThanOrEqualTo(CONFIG.maxTimeoutsPerPeer() + CONFIG.chunkFetchers());
      long end = lastSeen(seen, c.incarnation);
      for (Tap.Seen a : asked) {
        if (a.nanos() + timeout > end) {
          continue; // the incarnation ended first
        }
        assertThat(
                seen.stream()
                    .filter(
                        x ->
                            x.outbound()
                                && x.isRequest()
                                && x.incarnation() == c.incarnation
                                && x.index() == a.index()
                                && x.nanos() > a.nanos())
                    .findFirst())
            .as("chunk %d, stalled at %d ns, asked again", a.index(), a.nanos())
            .hasValueSatisfying(
                x -> {
                  assertThat(x.peer()).isNotEqualTo(stalled.id());
                  // After the timeout, unless the connection broke first (a reset on the path).
                  boolean broke =
                      w.closes.stream()
                          .anyMatch(
                              cl ->
                                  cl.node().equals(w.client().id())
                                      && cl.incarnation() == c.incarnation
                                      && cl.peer().equals(stalled.id())
                                      && cl.nanos() > a.nanos()
                                      && cl.nanos() <= x.nanos());
                  if (!broke) {
                    assertThat(x.nanos()).isGreaterThanOrEqualTo(a.nanos() + timeout);
                  }
                });
      }
    }
    assertThat(outcome.timeouts()).as("timeouts of the last sync").isPositive();
    assertThat(w.scores(lives.getLast().incarnation).get(stalled.name()))
        .isLessThanOrEqualTo(-(int) outcome.timeouts() * Offence.TIMEOUT.penalty());
    assertThat(outcome.bytesByPeer()).doesNotContainKey(stalled.id());
  }

  /**
   * After each crash, the next incarnation asked for no chunk the disk kept (staged, or held from
   * an honest sender), and the last sync counts every kept chunk as reused.
   */
  private static void checkResumed(
      StateSyncWorld w, List<OnDisk> kept, SyncOutcome outcome, SimNode<Server> corrupt) {
    for (int k = 0; k < kept.size(); k++) {
      OnDisk d = kept.get(k);
      assertThat(d.staged().cardinality()).as("chunks staged at crash %d", k + 1).isPositive();
      BitSet good = (BitSet) d.staged().clone();
      d.held()
          .forEach(
              (i, sender) -> {
                if (!sender.equals(corrupt.id())) {
                  good.set(i);
                }
              });
      int next = k + 2;
      List<Integer> asked = w.requests(next).stream().map(Tap.Seen::index).toList();
      assertThat(asked)
          .as("chunks incarnation %d asked for that the disk kept", next)
          .noneMatch(good::get);
    }
    assertThat(outcome.chunksReused()).isEqualTo(kept.getLast().any().cardinality());
    assertThat(outcome.chunksFetched() + outcome.chunksReused())
        .isGreaterThanOrEqualTo(archives.newer().chunks());
  }

  /** Across the three incarnations, honest peers sent each chunk exactly once. */
  private static void checkNothingFetchedTwice(
      List<Tap.Seen> seen, int chunks, SimNode<Server> corrupt) {
    int[] got = new int[chunks];
    for (Tap.Seen x : seen) {
      if (!x.outbound() && x.isChunk() && !x.peer().equals(corrupt.id())) {
        got[x.index()]++;
      }
    }
    for (int i = 0; i < chunks; i++) {
      assertThat(got[i]).as("honest copies of chunk %d taken", i).isEqualTo(1);
    }
  }

  /** The last instant incarnation {@code k} of the client sent or handled a message. */
  private static long lastSeen(List<Tap.Seen> seen, int k) {
    return seen.stream()
        .filter(x -> x.incarnation() == k)
        .mapToLong(Tap.Seen::nanos)
        .max()
        .orElse(0);
  }
}
