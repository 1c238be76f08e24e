package io.ferry.node.cli;

import io.ferry.core.ErrorCode;
import io.ferry.core.FerryException;
import io.ferry.core.Hash;
import io.ferry.core.identity.KeyFile;
import io.ferry.core.identity.NodeId;
import io.ferry.core.identity.NodeKey;
import io.ferry.core.runtime.ExecutorScheduler;
import io.ferry.core.runtime.SecureRandomSource;
import io.ferry.merkledb.MerkleDB;
import io.ferry.merkledb.Revision;
import io.ferry.net.PeerAddress;
import io.ferry.net.TransportConfig;
import io.ferry.net.peers.Backoff;
import io.ferry.net.peers.PeerKeeper;
import io.ferry.net.tcp.NettyTransport;
import io.ferry.node.NodeStores;
import io.ferry.sync.proof.ProofSync;
import io.ferry.sync.proof.client.ChangeCatchUp;
import io.ferry.sync.proof.client.KvSyncStore;
import io.ferry.sync.proof.client.SyncConfig;
import io.ferry.sync.proof.client.SyncStats;
import io.ferry.sync.proof.client.SyncStores;
import java.net.InetSocketAddress;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.Optional;
import java.util.concurrent.Callable;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.ExecutionException;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.TimeoutException;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;
import picocli.CommandLine.Command;
import picocli.CommandLine.Mixin;
import picocli.CommandLine.Option;
import picocli.CommandLine.ParentCommand;
import picocli.CommandLine.Spec;

/**
 * {@code ferry sync}: syncs the store in DIR to a trusted root from peers with verified range and
 * change proofs ({@link ProofSync}), resuming where an earlier run stopped. An empty store gets a
 * full sync: verified data waits in DIR/sync-staging until every range is at the root, then the
 * store is built from it in one bulk load. A store at an older root catches up with change proofs,
 * or, when no peer keeps the history from its root, is staged and full-synced.
 */
@Command(
    name = "sync",
    mixinStandardHelpOptions = true,
    description = {
      "Sync the state from peers to a trusted root: with verified proofs, or chunk by chunk from"
          + " a snapshot (--method chunks).",
      "Exits 0 once the local root is the trusted one; the root is the last line printed."
    })
final class SyncCommand implements Callable<Integer> {
  private static final Logger log = LoggerFactory.getLogger(SyncCommand.class);

  /** Wait before asking again for a catch-up that no server could serve. */
  private static final Duration RETRY = Duration.ofSeconds(1);

  @Spec picocli.CommandLine.Model.CommandSpec spec;
  @ParentCommand FerryCommand parent;
  @Mixin StoreOptions store;

  @Option(
      names = "--peer",
      required = true,
      paramLabel = "[ID@]HOST:PORT",
      description =
          "A server to sync from; repeat for several. Without ID any key is accepted: every proof"
              + " is checked against the trusted root.")
  List<String> peers;

  @Option(
      names = "--method",
      paramLabel = "proofs|chunks",
      defaultValue = "proofs",
      description =
          "proofs: range and change proofs to --trust-root, resuming and catching up (default);"
              + " chunks: restore an empty store from a snapshot the peers hold, chunk by chunk"
              + " (CometBFT state sync).")
  String method;

  @Option(
      names = "--trust-root",
      paramLabel = "HEX",
      description =
          "The root to sync to (64 hex digits); with chunks, the root the snapshot must have.")
  String trustRoot;

  @Option(
      names = "--trust-producer",
      paramLabel = "ID",
      description =
          "chunks: restore a snapshot this producer advertises in its signed gossip (joined"
              + " through the peers).")
  String trustProducer;

  @Option(
      names = "--chunk-fetchers",
      paramLabel = "N",
      defaultValue = "4",
      description = "chunks: chunk requests in flight at once (default ${DEFAULT-VALUE}).")
  int chunkFetchers;

  @Option(
      names = "--chunk-timeout",
      paramLabel = "SECONDS",
      defaultValue = "10",
      description = "chunks: a chunk not here after this goes to another peer (default 10).")
  long chunkTimeout;

  @Option(
      names = "--cometbft-behaviour",
      hidden = true,
      description =
          "chunks: fetch as CometBFT's syncer does (in-order apply, a missing chunk waits for its"
              + " timeout); the benchmark's reference.")
  boolean cometbftBehaviour;

  @Option(
      names = "--discovery-time",
      paramLabel = "SECONDS",
      defaultValue = "15",
      description =
          "chunks: how long to collect snapshot listings (at least 5; default 15); the first"
              + " offer comes sooner once every peer has listed.")
  long discoveryTime;

  @Option(
      names = "--work-limit",
      paramLabel = "N",
      defaultValue = "8",
      description = "Proof requests in flight at once (default ${DEFAULT-VALUE}).")
  int workLimit;

  @Option(
      names = "--timeout",
      paramLabel = "SECONDS",
      description = "Give up (exit 6) if not done after this long; default: never.")
  Long timeoutSeconds;

  @Override
  public Integer call() throws Exception {
    List<PeerAddress> servers = new ArrayList<>();
    for (String p : peers) {
      servers.add(PeerAddress.parse(p));
    }
    switch (method) {
      case "chunks" -> {
        return chunks(servers);
      }
      case "proofs" -> {}
      default ->
          throw new FerryException(
              ErrorCode.INVALID_ARGUMENT, "--method is proofs or chunks, not '" + method + "'");
    }
    if (trustRoot == null || trustProducer != null) {
      throw new FerryException(
          ErrorCode.INVALID_ARGUMENT, "a proof sync needs --trust-root (and no --trust-producer)");
    }
    Hash target = Hash.fromHex(trustRoot);
    SyncConfig config = SyncConfig.DEFAULT.withWorkLimit(workLimit);
    FileChecks.directory(store.data);
    Logging.logToFile(store.data.resolve("logs"), parent.verbose());
    NodeKey key = KeyFile.loadOrCreate(store.data.resolve("node.key"));
    Path staging = store.data.resolve("sync-staging");
    SyncStores.deleteIfFinished(staging); // a finished sync's files, if any
    MerkleDB db = store.open();
    if (db.root().equals(target)) {
      db.close();
      spec.commandLine().getOut().println(target.toHex());
      return ExitCodes.OK;
    }
    // A root alone names no height: the state synced to counts as one commit above the store's.
    Revision goal = new Revision(db.height() + 1, target);
    boolean synced = false;
    java.util.concurrent.ExecutorService verifiers =
        java.util.concurrent.Executors.newFixedThreadPool(
            Math.max(1, Runtime.getRuntime().availableProcessors()),
            Thread.ofPlatform().name("ferry-sync-verify").daemon().factory());
    StateDir live = new StateDir(db);
    try (KvSyncStore staged = io.ferry.node.NodeStores.openStaging(staging);
        ExecutorScheduler scheduler = new ExecutorScheduler("ferry-sync", 1);
        NettyTransport transport =
            NettyTransport.start(
                key, new InetSocketAddress("0.0.0.0", 0), TransportConfig.DEFAULT);
        PeerKeeper keeper =
            new PeerKeeper(transport, scheduler, new SecureRandomSource(), Backoff.DEFAULT);
        ProofSync sync =
            new ProofSync(
                config,
                transport,
                scheduler,
                new SecureRandomSource(),
                staged,
                verifiers,
                live,
                peer -> allowed(servers, peer))) {
      servers.forEach(keeper::keep);
      Revision reached;
      try (SyncProgress progress = new SyncProgress()) {
        reached = await(sync, goal, progress);
      }
      live.current().close();
      report(sync);
      spec.commandLine().getOut().println(reached.root().toHex());
      synced = true;
      return ExitCodes.OK;
    } catch (RuntimeException | Error e) {
      live.current().close();
      throw e;
    } finally {
      verifiers.shutdownNow();
      if (synced) {
        SyncStores.deleteIfFinished(staging); // closed by now: the staged data is in the store
      }
    }
  }

  private int chunks(List<PeerAddress> servers) throws Exception {
    if ((trustRoot == null) == (trustProducer == null)) {
      throw new FerryException(
          ErrorCode.INVALID_ARGUMENT, "a chunk sync needs --trust-root or --trust-producer");
    }
    io.ferry.sync.snapshot.client.StateSyncConfig config =
        io.ferry.sync.snapshot.client.StateSyncConfig.DEFAULT
            .withDiscoveryTime(Duration.ofSeconds(discoveryTime))
            .withChunkFetchers(chunkFetchers)
            .withChunkTimeout(Duration.ofSeconds(chunkTimeout));
    if (cometbftBehaviour) {
      config = config.cometbft();
    }
    FileChecks.directory(store.data);
    Logging.logToFile(store.data.resolve("logs"), parent.verbose());
    NodeKey key = KeyFile.loadOrCreate(store.data.resolve("node.key"));
    return new ChunkSync(
            store.data,
            store.stateDir(),
            servers,
            Optional.ofNullable(trustRoot).map(Hash::fromHex),
            Optional.ofNullable(trustProducer).map(t -> NodeId.parse(t.strip())),
            config,
            Optional.ofNullable(timeoutSeconds),
            spec.commandLine().getOut(),
            spec.commandLine().getErr())
        .run(key);
  }

  private void report(ProofSync sync) {
    java.io.PrintWriter err = spec.commandLine().getErr();
    Optional<SyncStats> full = sync.syncStats();
    if (full.isPresent()) {
      SyncStats s = full.get();
      err.printf(
          "synced %,d keys (%,d bytes) in %,d proofs; %d failed requests, %d lies;"
              + " fetched and verified in %.2f s, store built in %.2f s%n",
          s.keys(),
          s.bytes(),
          s.proofs(),
          s.failures(),
          s.lies(),
          s.fetchNanos() / 1e9,
          s.loadNanos() / 1e9);
    } else {
      ChangeCatchUp.Stats c = sync.catchUpStats();
      err.printf(
          "caught up with %,d changes in %,d change proofs; %d failed requests, %d lies%n",
          c.changes(), c.proofs(), c.failures(), c.lies());
    }
  }

  /**
   * Waits for the sync, showing its progress. A catch-up that no server can serve yet (none
   * connected, or none at the root) is asked again after {@link #RETRY}, until the timeout.
   */
  private Revision await(ProofSync sync, Revision goal, SyncProgress progress) throws Exception {
    long deadline =
        timeoutSeconds == null
            ? Long.MAX_VALUE
            : System.nanoTime() + timeoutSeconds * 1_000_000_000L;
    CompletableFuture<Revision> run = sync.bringTo(goal);
    while (true) {
      try {
        return run.get(200, TimeUnit.MILLISECONDS);
      } catch (TimeoutException e) {
        sync.syncStats().ifPresent(progress::show);
        if (System.nanoTime() > deadline) {
          throw new FerryException(
              ErrorCode.TIMEOUT,
              "sync not done after " + timeoutSeconds + "s; run again to resume");
        }
      } catch (ExecutionException e) {
        if (e.getCause() instanceof FerryException fe && fe.code() == ErrorCode.UNAVAILABLE) {
          log.info("{}; asking again in {} ms", fe.getMessage(), RETRY.toMillis());
          run =
              CompletableFuture.runAsync(
                      () -> {},
                      CompletableFuture.delayedExecutor(RETRY.toMillis(), TimeUnit.MILLISECONDS))
                  .thenCompose(v -> sync.bringTo(goal));
        } else if (e.getCause() instanceof FerryException fe) {
          throw fe;
        } else {
          throw e;
        }
      }
    }
  }

  /**
   * The store in DIR/state as a proof sync sees it: a full sync of a stale store deletes it and
   * builds a new one of the same branch factor.
   */
  private final class StateDir implements ProofSync.LiveStore {
    private volatile MerkleDB db;

    StateDir(MerkleDB db) {
      this.db = db;
    }

    @Override
    public MerkleDB current() {
      return db;
    }

    @Override
    public MerkleDB reset() {
      MerkleDB old = db;
      old.close();
      NodeStores.delete(store.stateDir());
      db = NodeStores.open(store.stateDir(), old.branchFactor().width());
      return db;
    }
  }

  private static boolean allowed(List<PeerAddress> servers, NodeId peer) {
    for (PeerAddress a : servers) {
      if (a.expectedId().isEmpty() || a.expectedId().get().equals(peer)) {
        return true;
      }
    }
    return false;
  }
}
