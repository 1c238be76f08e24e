package io.ferry.sync.snapshot;

import static org.assertj.core.api.Assertions.assertThat;

import com.google.protobuf.ByteString;
import io.ferry.core.Bytes;
import io.ferry.core.FerryException;
import io.ferry.sync.snapshot.app.Snapshot;
import io.ferry.sync.snapshot.client.ChunkStore;
import io.ferry.sync.snapshot.client.DirectoryChunkStore;
import io.ferry.sync.snapshot.client.MemoryChunkStore;
import io.ferry.sync.snapshot.client.StateSyncConfig;
import io.ferry.sync.snapshot.client.StateSyncException;
import io.ferry.sync.snapshot.client.SyncOutcome;
import io.ferry.sync.snapshot.client.Syncer;
import io.ferry.sync.snapshot.client.TrustedAppHash;
import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.TreeMap;
import java.util.concurrent.CompletableFuture;
import java.util.stream.IntStream;
import java.util.stream.Stream;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;
import org.junit.jupiter.api.io.TempDir;

/**
 * A sync closed midway, with its application, and started again: the chunks the first run fetched
 * come from the chunk store and the ones it applied stay applied in the application's own storage,
 * so the second run asks the servers only for the rest (CometBFT deletes them and starts over).
 */
@Timeout(60)
class SyncerResumeTest {
  private static final List<Bytes> RECORDS = SyncerTest.RECORDS;

  @TempDir Path dir;
  private Rig rig;
  private List<Rig.Server> servers;
  private Rig.Client client;
  private Snapshot snapshot;
  private TrustedAppHash trust;

  @BeforeEach
  void setUp() {
    rig = new Rig(dir);
    servers = List.of(rig.server(RECORDS), rig.server(RECORDS), rig.server(RECORDS));
    client = rig.client();
    snapshot = servers.get(0).log.snapshot(300);
    trust = Rig.trusting(servers.get(0).log);
  }

  @AfterEach
  void close() {
    rig.close();
  }

  private Map<Integer, Integer> loads() {
    Map<Integer, Integer> out = new TreeMap<>();
    for (int i = 0; i < snapshot.chunks(); i++) {
      int index = i;
      out.put(i, servers.stream().mapToInt(s -> s.app.loads(300, index)).sum());
    }
    return out;
  }

  /**
   * Runs a sync in which no server answers for chunk {@code stall}, so the chunks after it pile up
   * fetched and not applied; then closes it, as a stopping node, and lets the servers answer again.
   */
  private void interruptedRun(LogApplication log, ChunkStore store, int stall) {
    for (Rig.Server s : servers) {
      s.wire.filterInbound(p -> !isRequestFor(p, stall));
    }
    Syncer first = client.syncer(StateSyncConfig.DEFAULT, log, trust, store);
    CompletableFuture<SyncOutcome> f = first.start();
    rig.net.advanceUntil(() -> log.chunksApplied() >= stall, Duration.ofMinutes(1));
    rig.net.advance(Duration.ofSeconds(2)); // less than the chunk timeout
    first.close();
    client.reactor.detach(first);
    rig.net.advance(Duration.ofSeconds(1)); // answers in flight arrive, and are dropped
    assertThat(f).isCompletedExceptionally();
    assertThat(f.handle((o, e) -> e).join())
        .isInstanceOfSatisfying(
            StateSyncException.class,
            e -> assertThat(e.reason()).isEqualTo(StateSyncException.Reason.CLOSED));
    assertThat(log.chunksApplied()).isEqualTo(stall);
    for (Rig.Server s : servers) {
      s.wire.filterInbound(p -> true);
    }
  }

  private static boolean isRequestFor(ByteString payload, int index) {
    try {
      return Messages.decode(payload) instanceof Messages.ChunkWanted w && w.index() == index;
    } catch (FerryException e) {
      return false;
    }
  }

  @Test
  void aRestartReusesTheChunksOnDiskAndTheRecordsApplied() throws IOException {
    Path logDir = dir.resolve("client");
    Path chunkDir = dir.resolve("chunks");
    LogApplication log = rig.emptyLog("client");
    interruptedRun(log, new DirectoryChunkStore(chunkDir), 6);
    int applied = log.chunksApplied();
    List<Integer> held = chunkFiles(chunkDir);
    Map<Integer, Integer> before = loads();
    assertThat(held)
        .as("chunks on disk")
        .hasSizeGreaterThan(applied + 4)
        .contains(0, 5, 7, 8)
        .doesNotContain(6);

    // The node starts again: a new application on the same directory, a new store on the same one.
    LogApplication restarted = new LogApplication(logDir, Rig.CHUNK_BYTES, Rig.SNAPSHOT_EVERY);
    assertThat(restarted.records()).hasSizeGreaterThan(0).isEqualTo(log.records());
    ScriptedApplication app = new ScriptedApplication(restarted);
    Syncer second =
        client.syncer(StateSyncConfig.DEFAULT, app, trust, new DirectoryChunkStore(chunkDir));
    SyncOutcome outcome = client.run(second);

    assertThat(outcome.snapshot()).isEqualTo(snapshot);
    assertThat(restarted.records()).isEqualTo(RECORDS);
    assertThat(app.appliedIndexes())
        .as("the second run applies from where the first stopped")
        .isEqualTo(IntStream.range(applied, snapshot.chunks()).boxed().toList());
    Map<Integer, Integer> after = loads();
    for (int i : held) {
      assertThat(after.get(i)).as("loads of chunk %d, held on disk", i).isEqualTo(before.get(i));
    }
    assertThat(outcome.chunksReused()).isEqualTo(held.size());
    assertThat(outcome.chunksFetched()).isEqualTo(snapshot.chunks() - held.size());
    assertThat(chunkFiles(chunkDir)).as("the store is emptied once restored").isEmpty();
  }

  @Test
  void aRefusedOfferBeforeTheResumedOneKeepsTheHeldChunks() {
    // A simulated node keeps its chunk store in memory across its restart.
    MemoryChunkStore store = new MemoryChunkStore();
    LogApplication log = rig.emptyLog("client");
    interruptedRun(log, store, 5);
    int held = store.size();
    Map<Integer, Integer> before = loads();
    assertThat(held).isGreaterThan(5 + 4);

    // Meanwhile a server lists a newer snapshot in a format the log does not know: offered first.
    Snapshot other = new Snapshot(400, 2, 3, Bytes.wrap(new byte[32]), Bytes.EMPTY);
    servers.get(1).app.extraListings.add(other);
    LogApplication restarted =
        new LogApplication(dir.resolve("client"), Rig.CHUNK_BYTES, Rig.SNAPSHOT_EVERY);
    ScriptedApplication app = new ScriptedApplication(restarted);
    TrustedAppHash anyHeight =
        s -> trust.appHash(s).or(() -> Optional.of(Bytes.wrap(new byte[32])));
    SyncOutcome outcome = client.run(client.syncer(StateSyncConfig.DEFAULT, app, anyHeight, store));

    assertThat(app.offered).containsExactly(other, snapshot);
    assertThat(restarted.records()).isEqualTo(RECORDS);
    assertThat(outcome.chunksReused()).isEqualTo(held);
    assertThat(outcome.chunksFetched()).isEqualTo(snapshot.chunks() - held);
    Map<Integer, Integer> after = loads();
    assertThat(
            after.values().stream().mapToInt(Integer::intValue).sum()
                - before.values().stream().mapToInt(Integer::intValue).sum())
        .isEqualTo(snapshot.chunks() - held);
  }

  @Test
  void aChunkTornOnDiskIsFetchedAgain() throws IOException {
    Path chunkDir = dir.resolve("chunks");
    LogApplication log = rig.emptyLog("client");
    interruptedRun(log, new DirectoryChunkStore(chunkDir), 5);
    int applied = 6; // 5 is not held; 6 is, and the next one the log applies after 5
    // A chunk fetched and not applied yet loses its tail on disk, as a power cut can leave it.
    Path torn = chunkFile(chunkDir, applied).orElseThrow();
    byte[] bytes = Files.readAllBytes(torn);
    Files.write(torn, java.util.Arrays.copyOf(bytes, bytes.length / 2));
    Map<Integer, Integer> before = loads();

    LogApplication restarted =
        new LogApplication(dir.resolve("client"), Rig.CHUNK_BYTES, Rig.SNAPSHOT_EVERY);
    SyncOutcome outcome =
        client.run(
            client.syncer(
                StateSyncConfig.DEFAULT, restarted, trust, new DirectoryChunkStore(chunkDir)));

    assertThat(restarted.records()).isEqualTo(RECORDS);
    assertThat(loads().get(applied)).isEqualTo(before.get(applied) + 1);
    assertThat(outcome.snapshot()).isEqualTo(snapshot);
    // The disk tore it, not its sender: nobody is blamed.
    assertThat(outcome.rejectedPeers()).isEmpty();
    for (Rig.Server s : servers) {
      assertThat(client.wire.peerManager().standing(s.id()).score()).isZero();
    }
  }

  private List<Integer> chunkFiles(Path chunkDir) throws IOException {
    List<Integer> out = new ArrayList<>();
    if (!Files.exists(chunkDir)) {
      return out;
    }
    try (Stream<Path> all = Files.walk(chunkDir)) {
      all.map(p -> p.getFileName().toString())
          .filter(n -> n.endsWith(".chunk"))
          .map(n -> Integer.parseInt(n.substring(0, n.indexOf('-'))))
          .sorted()
          .forEach(out::add);
    }
    return out;
  }

  private static Optional<Path> chunkFile(Path chunkDir, int index) throws IOException {
    try (Stream<Path> all = Files.walk(chunkDir)) {
      return all.filter(p -> p.getFileName().toString().startsWith(index + "-")).findFirst();
    }
  }
}
