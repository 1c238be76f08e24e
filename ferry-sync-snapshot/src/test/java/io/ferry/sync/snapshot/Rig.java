package io.ferry.sync.snapshot;

import static org.assertj.core.api.Assertions.assertThat;

import io.ferry.core.Bytes;
import io.ferry.core.identity.NodeId;
import io.ferry.core.runtime.SeededRandomSource;
import io.ferry.net.testing.TestNet;
import io.ferry.net.testing.Wire;
import io.ferry.sync.snapshot.app.SnapshotApplication;
import io.ferry.sync.snapshot.client.ChunkStore;
import io.ferry.sync.snapshot.client.StateSyncConfig;
import io.ferry.sync.snapshot.client.StateSyncException;
import io.ferry.sync.snapshot.client.SyncOutcome;
import io.ferry.sync.snapshot.client.Syncer;
import io.ferry.sync.snapshot.client.TrustedAppHash;
import io.ferry.sync.snapshot.server.SnapshotServer;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.Optional;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.CompletionException;

/**
 * Servers and clients of snapshot state sync over one {@link TestNet}, in virtual time: each server
 * is a transport, a {@link LogApplication} behind a {@link ScriptedApplication}, a {@link
 * SnapshotServer} and a {@link StateSyncReactor}; each client a transport and a reactor that a
 * {@link Syncer} attaches to. Application calls and chunk loads run on {@link PausableExecutor}s.
 */
final class Rig implements AutoCloseable {
  /** Chunks of at most 256 bytes: a log of a few hundred short records is dozens of chunks. */
  static final int CHUNK_BYTES = 256;

  /** A snapshot every 50 records. */
  static final int SNAPSHOT_EVERY = 50;

  /** The longest any sync in these tests may take, in virtual time. */
  static final Duration MAX_SYNC = Duration.ofMinutes(30);

  final TestNet net = new TestNet(Duration.ofMillis(5));
  private final Path root;
  private final List<Server> servers = new ArrayList<>();
  private int nodes;

  /** A serving node. */
  final class Server {
    final Wire wire;
    final LogApplication log;
    final ScriptedApplication app;
    final PausableExecutor executor = new PausableExecutor();
    final SnapshotServer server;
    final StateSyncReactor reactor;

    private Server(Wire wire, LogApplication log, SnapshotServer.Config config) {
      this.wire = wire;
      this.log = log;
      this.app = new ScriptedApplication(log);
      this.server = new SnapshotServer(app, wire, executor, net.scheduler().clock(), config);
      this.reactor = new StateSyncReactor(wire, Optional.of(server));
    }

    NodeId id() {
      return wire.localId();
    }
  }

  /** A node that restores. */
  final class Client {
    final Wire wire;
    final StateSyncReactor reactor;
    final PausableExecutor executor = new PausableExecutor();

    private Client(Wire wire) {
      this.wire = wire;
      this.reactor = new StateSyncReactor(wire, Optional.empty());
    }

    NodeId id() {
      return wire.localId();
    }

    /** A syncer on this node, attached to its reactor (not started). */
    Syncer syncer(
        StateSyncConfig config, SnapshotApplication app, TrustedAppHash trust, ChunkStore store) {
      Syncer s =
          new Syncer(
              config,
              app,
              trust,
              store,
              wire,
              net.scheduler(),
              new SeededRandomSource(42),
              executor);
      reactor.attach(s);
      return s;
    }

    /** Starts {@code s} and moves virtual time until it ends; returns its outcome. */
    SyncOutcome run(Syncer s) {
      CompletableFuture<SyncOutcome> f = s.start();
      net.advanceUntil(f::isDone, MAX_SYNC);
      try {
        return f.join();
      } catch (CompletionException e) {
        throw new AssertionError("the sync failed: " + e.getCause(), e.getCause());
      }
    }

    /** Starts {@code s} and moves virtual time until it ends; returns why it failed. */
    StateSyncException runToFailure(Syncer s) {
      CompletableFuture<SyncOutcome> f = s.start();
      net.advanceUntil(f::isDone, MAX_SYNC);
      assertThat(f).isCompletedExceptionally();
      Throwable cause =
          f.handle((o, e) -> e instanceof CompletionException c ? c.getCause() : e).join();
      assertThat(cause).isInstanceOf(StateSyncException.class);
      return (StateSyncException) cause;
    }
  }

  Rig(Path root) {
    this.root = root;
  }

  /** A server whose log holds {@code records}, with the default bounds. */
  Server server(List<Bytes> records) {
    return server(records, SnapshotServer.Config.DEFAULT);
  }

  Server server(List<Bytes> records, SnapshotServer.Config config) {
    int n = nodes++;
    LogApplication log = new LogApplication(root.resolve("node" + n), CHUNK_BYTES, SNAPSHOT_EVERY);
    log.append(records);
    Server s = new Server(net.transport(TestNet.key(n)), log, config);
    servers.add(s);
    return s;
  }

  /** A client connected to every server made so far. */
  Client client() {
    Client c = new Client(net.transport(TestNet.key(nodes++)));
    for (Server s : servers) {
      net.connect(c.wire, s.wire);
    }
    return c;
  }

  /** A new, empty log for a client, in a directory of its own. */
  LogApplication emptyLog(String name) {
    return new LogApplication(root.resolve(name), CHUNK_BYTES, SNAPSHOT_EVERY);
  }

  /** Trusts every height of {@code reference}'s history, as a node that followed it would. */
  static TrustedAppHash trusting(LogApplication reference) {
    return s ->
        s.height() <= reference.records().size()
            ? Optional.of(reference.appHash(s.height()))
            : Optional.empty();
  }

  @Override
  public void close() {
    net.close();
  }
}
