package io.ferry.node.bootstrap;

import static org.assertj.core.api.Assertions.assertThat;

import io.ferry.core.Bytes;
import io.ferry.core.Hash;
import io.ferry.core.archive.SnapshotHashes;
import io.ferry.core.archive.SnapshotHashes.Slot;
import io.ferry.core.identity.NodeId;
import io.ferry.core.identity.NodeKey;
import io.ferry.core.runtime.ManualScheduler;
import io.ferry.http.HealthSource;
import io.ferry.http.HttpMetrics;
import io.ferry.http.HttpServerConfig;
import io.ferry.http.SnapshotHttpServer;
import io.ferry.merkledb.KeyValue;
import io.ferry.merkledb.MerkleDB;
import io.ferry.merkledb.Revision;
import io.ferry.node.NodeStores;
import io.ferry.node.fetch.Downloader;
import io.ferry.snapshot.SnapshotArchive;
import io.ferry.snapshot.SnapshotConfig;
import io.ferry.snapshot.SnapshotWriter;
import io.prometheus.metrics.model.registry.PrometheusRegistry;
import java.net.InetAddress;
import java.net.InetSocketAddress;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.Optional;
import java.util.Random;
import java.util.concurrent.AbstractExecutorService;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicReference;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;
import org.junit.jupiter.api.io.TempDir;

/**
 * The bootstrap's waiting in virtual time (qualify, settle, deadline, nothing advertised), and its
 * download and restore against loopback HTTP servers, one of which lies.
 */
@Timeout(120)
class BootstrapTest {
  @TempDir Path tmp;

  private static final NodeId A = node(1);
  private static final NodeId B = node(2);
  private static final NodeId C = node(3);
  private static final NodeId STRANGER = node(4);

  private static NodeId node(int seed) {
    byte[] s = new byte[32];
    s[0] = (byte) seed;
    return NodeKey.fromSeed(s).id();
  }

  private static Slot slot(long height, int hash) {
    byte[] h = new byte[32];
    h[31] = (byte) hash;
    return new Slot(height, Hash.wrap(h));
  }

  /** A gossip table the test sets. */
  private static final class Table implements Bootstrap.Gossip {
    volatile List<Advert> adverts = List.of();
    volatile int peers;
    volatile Optional<Hash> root = Optional.empty();

    @Override
    public List<Advert> adverts() {
      return adverts;
    }

    @Override
    public int peers() {
      return peers;
    }

    @Override
    public Optional<Hash> trustedRootAt(long height) {
      return root;
    }
  }

  /** Keeps the tasks it is given until the test runs them. */
  private static final class HeldExecutor extends AbstractExecutorService {
    final List<Runnable> tasks = new ArrayList<>();

    @Override
    public void execute(Runnable command) {
      tasks.add(command);
    }

    @Override
    public void shutdown() {}

    @Override
    public List<Runnable> shutdownNow() {
      return List.of();
    }

    @Override
    public boolean isShutdown() {
      return false;
    }

    @Override
    public boolean isTerminated() {
      return true;
    }

    @Override
    public boolean awaitTermination(long timeout, TimeUnit unit) {
      return true;
    }
  }

  private Bootstrap.Settings settings(SnapshotTrust trust, Downloader.Options download) {
    return new Bootstrap.Settings(
        trust,
        Duration.ofSeconds(10),
        Duration.ofMillis(500),
        Duration.ofSeconds(2),
        tmp.resolve("bootstrap"),
        download);
  }

  private Bootstrap.Settings settings(SnapshotTrust trust) {
    return settings(trust, Downloader.Options.DEFAULT);
  }

  private static final Bootstrap.Target NO_TARGET =
      (restored, archives) -> {
        throw new AssertionError("nothing should be restored");
      };

  @Test
  void fallsBackAtTheDeadlineSayingWhyEachSnapshotWasRejected() {
    ManualScheduler scheduler = new ManualScheduler();
    Table table = new Table();
    table.peers = 2;
    table.adverts =
        List.of(
            new Advert(STRANGER, SnapshotHashes.of(slot(50, 1)), Optional.of("127.0.0.1:1")),
            new Advert(A, SnapshotHashes.of(slot(40, 2)), Optional.of("127.0.0.1:1")));
    HeldExecutor worker = new HeldExecutor();
    try (Bootstrap b =
        new Bootstrap(
            settings(SnapshotTrust.validators(List.of(A, B, C), 2)),
            table,
            NO_TARGET,
            scheduler,
            worker)) {
      b.start();
      scheduler.advance(Duration.ofMillis(9_900));
      assertThat(b.running()).isTrue();
      assertThat(b.report().phase()).isEqualTo(Bootstrap.Phase.WAITING);
      assertThat(b.report().choice().orElseThrow().rejected())
          .extracting(SnapshotChoice.Rejected::reason)
          .containsExactly("not advertised by a known validator", "1 of 3 votes, needs 2");

      scheduler.advance(Duration.ofMillis(600));
      Bootstrap.Outcome o = b.done().getNow(null);
      assertThat(o).isNotNull();
      assertThat(o.restored()).isFalse();
      assertThat(o.reason())
          .startsWith("no snapshot qualified within 10 s")
          .contains("1 of 3 votes, needs 2");
      assertThat(b.report().phase()).isEqualTo(Bootstrap.Phase.FALLBACK);
      assertThat(b.report().seconds()).isGreaterThanOrEqualTo(10.0);
      assertThat(worker.tasks).isEmpty();
    }
  }

  @Test
  void givesUpEarlyWhenPeersAnswerButNoneAdvertisesASnapshot() {
    ManualScheduler scheduler = new ManualScheduler();
    Table table = new Table();
    try (Bootstrap b =
        new Bootstrap(
            settings(SnapshotTrust.producer(A)), table, NO_TARGET, scheduler, new HeldExecutor())) {
      b.start();
      scheduler.advance(Duration.ofSeconds(5)); // no peer yet: keep waiting
      assertThat(b.running()).isTrue();
      table.peers = 3;
      scheduler.advance(Duration.ofMillis(1_900));
      assertThat(b.running()).isTrue();
      scheduler.advance(Duration.ofMillis(700));
      assertThat(b.done().getNow(null))
          .isEqualTo(new Bootstrap.Outcome(false, "no node advertises a snapshot"));
    }
  }

  @Test
  void waitsForMoreAdvertisersOnceASnapshotQualifiesThenFallsBackWhenNoServerAnswers() {
    ManualScheduler scheduler = new ManualScheduler();
    Table table = new Table();
    Slot s = slot(100, 1);
    table.adverts = List.of(new Advert(A, SnapshotHashes.of(s), Optional.of("127.0.0.1:1")));
    HeldExecutor worker = new HeldExecutor();
    try (Bootstrap b =
        new Bootstrap(settings(SnapshotTrust.producer(A)), table, NO_TARGET, scheduler, worker)) {
      b.start();
      scheduler.advance(Duration.ofMillis(1_000));
      // A second advertiser arrives during the settling time and is used.
      table.adverts =
          List.of(
              new Advert(A, SnapshotHashes.of(s), Optional.of("127.0.0.1:1")),
              new Advert(STRANGER, SnapshotHashes.of(s), Optional.of("127.0.0.1:2")));
      assertThat(worker.tasks).isEmpty();
      scheduler.advance(Duration.ofMillis(1_500));
      assertThat(worker.tasks).hasSize(1);
      Bootstrap.Report r = b.report();
      assertThat(r.phase()).isEqualTo(Bootstrap.Phase.DOWNLOADING);
      assertThat(r.choice().orElseThrow().chosen().orElseThrow().advertisers())
          .containsExactlyInAnyOrder(A, STRANGER);

      worker.tasks.get(0).run(); // nothing listens at those ports
      Bootstrap.Outcome o = b.done().getNow(null);
      assertThat(o.restored()).isFalse();
      assertThat(o.reason()).contains("no source could be reached");
      assertThat(b.report().phase()).isEqualTo(Bootstrap.Phase.FALLBACK);
    }
  }

  /** The archives in a directory, served on loopback. */
  private record Served(SnapshotHttpServer server, String http) implements AutoCloseable {
    static Served of(Path dir) {
      SnapshotHttpServer s =
          new SnapshotHttpServer(
              HttpServerConfig.defaults(dir)
                  .withBind(new InetSocketAddress(InetAddress.getLoopbackAddress(), 0)),
              HealthSource.UNKNOWN,
              new HttpMetrics(new PrometheusRegistry()));
      return new Served(s, "127.0.0.1:" + s.start().getPort());
    }

    @Override
    public void close() {
      server.close();
    }
  }

  @Test
  void findsAndDropsTheServerWhoseBytesAreNotTheArchiveAndRestoresFromTheOthers() throws Exception {
    // An archive of 5,000 keys at height 7.
    Path made = tmp.resolve("made");
    SnapshotArchive archive;
    Hash root;
    try (MerkleDB db = NodeStores.open(tmp.resolve("source"), null)) {
      List<KeyValue> kvs = new ArrayList<>();
      Random r = new Random(3);
      for (int i = 0; i < 5_000; i++) {
        byte[] k = new byte[32];
        byte[] v = new byte[100];
        r.nextBytes(k);
        r.nextBytes(v);
        kvs.add(new KeyValue(Bytes.wrap(k), Bytes.wrap(v)));
      }
      kvs.sort((x, y) -> x.key().compareTo(y.key()));
      Revision rev = db.bulkLoad(kvs.iterator(), 7);
      root = rev.root();
      archive = new SnapshotWriter(new SnapshotConfig(64 << 10, 3)).writeFull(db, made);
    }
    String name = archive.path().getFileName().toString();
    Path honestDir = Files.createDirectories(tmp.resolve("honest"));
    Path liarDir = Files.createDirectories(tmp.resolve("liar"));
    Files.copy(archive.path(), honestDir.resolve(name));
    // The liar serves a file of the same name and size whose bytes are not the archive.
    byte[] forged = Files.readAllBytes(archive.path());
    for (int i = 0; i < forged.length; i += 4096) {
      forged[i] ^= 0x5a;
    }
    Files.write(liarDir.resolve(name), forged);

    NodeId liar = A;
    NodeId honest = B;
    AtomicReference<List<Path>> adopted = new AtomicReference<>();
    Path adoptedState = tmp.resolve("adopted");
    ExecutorService worker = Executors.newSingleThreadExecutor();
    try (Served liarServer = Served.of(liarDir);
        Served honestServer = Served.of(honestDir)) {
      Table table = new Table();
      table.root = Optional.of(root);
      Slot s = new Slot(7, archive.name().hash());
      table.adverts =
          List.of(
              new Advert(liar, SnapshotHashes.of(s), Optional.of(liarServer.http())),
              new Advert(honest, SnapshotHashes.of(s), Optional.of(honestServer.http())));
      ManualScheduler scheduler = new ManualScheduler();
      Downloader.Options small =
          Downloader.Options.DEFAULT
              .withSegmentBytes(16 << 10)
              .withConnections(4)
              .withMinSpeed(0, Duration.ZERO);
      try (Bootstrap b =
          new Bootstrap(
              settings(SnapshotTrust.validators(List.of(liar, honest), 1), small),
              table,
              (restored, archives) -> {
                try {
                  Files.move(restored, adoptedState);
                } catch (java.io.IOException e) {
                  throw new java.io.UncheckedIOException(e);
                }
                adopted.set(archives);
              },
              scheduler,
              worker)) {
        b.start();
        scheduler.advance(Duration.ofSeconds(3));
        Bootstrap.Outcome o = b.done().get(60, TimeUnit.SECONDS);

        assertThat(o.restored()).as(o.reason()).isTrue();
        assertThat(o.reason()).contains("restored height 7 root " + root.toHex());
        assertThat(adopted.get()).extracting(p -> p.getFileName().toString()).containsExactly(name);
        try (MerkleDB restored = NodeStores.open(adoptedState, null)) {
          assertThat(restored.root()).isEqualTo(root);
          assertThat(restored.height()).isEqualTo(7);
        }
        Bootstrap.Report r = b.report();
        assertThat(r.phase()).isEqualTo(Bootstrap.Phase.DONE);
        Bootstrap.ServerReport liarReport =
            r.servers().stream().filter(x -> x.id().equals(liar)).findFirst().orElseThrow();
        Bootstrap.ServerReport honestReport =
            r.servers().stream().filter(x -> x.id().equals(honest)).findFirst().orElseThrow();
        assertThat(liarReport.bytes()).isPositive(); // it took part in the first download
        assertThat(liarReport.dropped()).isEqualTo("served bytes that are not " + name);
        assertThat(honestReport.dropped()).isNull();
        assertThat(honestReport.bytes()).isGreaterThanOrEqualTo(forged.length);
      }
    }
  }
}
