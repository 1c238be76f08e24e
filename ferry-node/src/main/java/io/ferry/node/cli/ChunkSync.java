package io.ferry.node.cli;

import io.ferry.core.Bytes;
import io.ferry.core.ErrorCode;
import io.ferry.core.FerryException;
import io.ferry.core.Hash;
import io.ferry.core.identity.NodeId;
import io.ferry.core.identity.NodeKey;
import io.ferry.core.runtime.ExecutorScheduler;
import io.ferry.core.runtime.SecureRandomSource;
import io.ferry.gossip.plane.GossipConfig;
import io.ferry.gossip.plane.GossipPlane;
import io.ferry.gossip.value.ValueRules;
import io.ferry.merkledb.MerkleDB;
import io.ferry.merkledb.MerkleDBConfig;
import io.ferry.net.PeerAddress;
import io.ferry.net.TransportConfig;
import io.ferry.net.peers.Backoff;
import io.ferry.net.peers.PeerKeeper;
import io.ferry.net.tcp.NettyTransport;
import io.ferry.node.NodeStores;
import io.ferry.node.bootstrap.PlaneGossip;
import io.ferry.node.bootstrap.SnapshotTrust;
import io.ferry.node.bootstrap.VouchedSnapshots;
import io.ferry.snapshot.SnapshotRestorer;
import io.ferry.sync.snapshot.StateSyncReactor;
import io.ferry.sync.snapshot.archive.ArchiveApplication;
import io.ferry.sync.snapshot.client.DirectoryChunkStore;
import io.ferry.sync.snapshot.client.StateSyncConfig;
import io.ferry.sync.snapshot.client.SyncOutcome;
import io.ferry.sync.snapshot.client.Syncer;
import io.ferry.sync.snapshot.client.TrustedAppHash;
import java.io.PrintWriter;
import java.net.InetSocketAddress;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.concurrent.ExecutionException;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.TimeoutException;

/**
 * {@code ferry sync --method chunks}: restores an empty store from a snapshot its peers hold,
 * fetched chunk by chunk over the peer protocol ({@link Syncer}, CometBFT's state sync) and
 * restored by {@link ArchiveApplication}. Trust is a root ({@code --trust-root}: only a snapshot of
 * that root is accepted) or a producer ({@code --trust-producer}: a snapshot the producer
 * advertises in its signed gossip, which the command joins through its peers). Fetched and verified
 * chunks stay in DIR/state-sync until the store is built, so a run that stops resumes.
 */
final class ChunkSync {
  private final Path data;
  private final Path state;
  private final List<PeerAddress> servers;
  private final Optional<Hash> trustRoot;
  private final Optional<NodeId> trustProducer;
  private final StateSyncConfig config;
  private final Optional<Long> timeoutSeconds;
  private final PrintWriter out;
  private final PrintWriter err;

  ChunkSync(
      Path data,
      Path state,
      List<PeerAddress> servers,
      Optional<Hash> trustRoot,
      Optional<NodeId> trustProducer,
      StateSyncConfig config,
      Optional<Long> timeoutSeconds,
      PrintWriter out,
      PrintWriter err) {
    this.data = data;
    this.state = state;
    this.servers = servers;
    this.trustRoot = trustRoot;
    this.trustProducer = trustProducer;
    this.config = config;
    this.timeoutSeconds = timeoutSeconds;
    this.out = out;
    this.err = err;
  }

  int run(NodeKey key) throws Exception {
    SnapshotRestorer.removeLeftovers(state);
    if (hasStore()) {
      MerkleDB db = NodeStores.open(state, null); // whatever branch factor it was made with
      Hash root = db.root();
      long height = db.height();
      db.close();
      if (trustRoot.isPresent() && trustRoot.get().equals(root)) {
        out.println(root.toHex());
        return ExitCodes.OK;
      }
      throw new FerryException(
          ErrorCode.ILLEGAL_STATE,
          state
              + " holds a store (height "
              + height
              + ", root "
              + root.toHex()
              + "): chunks restore an empty store. Catch it up with --method proofs, or sync"
              + " into a new directory.");
    }
    Path work = data.resolve("state-sync");
    ExecutorService appExecutor =
        Executors.newSingleThreadExecutor(
            Thread.ofPlatform().name("ferry-statesync-apply").daemon().factory());
    ArchiveApplication app =
        new ArchiveApplication(
            data.resolve("snapshots"),
            work.resolve("frames"),
            data.resolve("snapshots"),
            (archive, root) ->
                new SnapshotRestorer(MerkleDBConfig.defaults())
                    .restore(archive, Optional.empty(), state, Optional.of(root)));
    long started = System.nanoTime();
    try (ExecutorScheduler scheduler = new ExecutorScheduler("ferry-statesync", 1);
        NettyTransport transport =
            NettyTransport.start(
                key, new InetSocketAddress("0.0.0.0", 0), TransportConfig.DEFAULT);
        PeerKeeper keeper =
            new PeerKeeper(transport, scheduler, new SecureRandomSource(), Backoff.DEFAULT);
        StateSyncReactor reactor = new StateSyncReactor(transport, Optional.empty());
        GossipPlane gossip =
            trustProducer.isPresent() ? joinGossip(transport, scheduler, key) : null;
        DirectoryChunkStore chunks = new DirectoryChunkStore(work.resolve("chunks"))) {
      TrustedAppHash trust =
          trustRoot.isPresent()
              ? TrustedAppHash.fixed(Bytes.wrap(trustRoot.get().toBytes()))
              : new VouchedSnapshots(
                  new PlaneGossip(gossip, h -> Optional.empty()),
                  SnapshotTrust.producer(trustProducer.orElseThrow()));
      Syncer syncer =
          new Syncer(
              config,
              app,
              trust,
              chunks,
              transport,
              scheduler,
              new SecureRandomSource(),
              appExecutor);
      reactor.attach(syncer);
      servers.forEach(keeper::keep);
      SyncOutcome outcome = await(syncer);
      ArchiveApplication.Restored r = app.restored().orElseThrow();
      report(outcome, r, (System.nanoTime() - started) / 1e9);
      out.println(r.result().root().toHex());
      // The syncer's last store cleanup runs on the apply thread: let it finish first.
      appExecutor.shutdown();
      appExecutor.awaitTermination(30, TimeUnit.SECONDS);
      deleteQuietly(work);
      return ExitCodes.OK;
    } finally {
      appExecutor.shutdownNow();
    }
  }

  private boolean hasStore() throws java.io.IOException {
    if (!Files.isDirectory(state)) {
      return false;
    }
    try (var files = Files.list(state)) {
      return files.findAny().isPresent();
    }
  }

  private static GossipPlane joinGossip(
      NettyTransport transport, ExecutorScheduler scheduler, NodeKey key) {
    String network = GossipConfig.DEFAULT_NETWORK;
    return GossipPlane.start(
        transport,
        scheduler,
        new SecureRandomSource(),
        key,
        GossipConfig.defaults(network),
        new ValueRules(network, GossipConfig.DEFAULT_TTL, GossipConfig.DEFAULT_MAX_DRIFT));
  }

  private SyncOutcome await(Syncer syncer) throws Exception {
    long deadline =
        timeoutSeconds.map(t -> System.nanoTime() + t * 1_000_000_000L).orElse(Long.MAX_VALUE);
    var run = syncer.start();
    try (ChunkProgress progress = new ChunkProgress()) {
      while (true) {
        try {
          return run.get(200, TimeUnit.MILLISECONDS);
        } catch (TimeoutException e) {
          progress.show(syncer.progress());
          if (System.nanoTime() > deadline) {
            syncer.close();
            throw new FerryException(
                ErrorCode.TIMEOUT,
                "state sync not done after " + timeoutSeconds.get() + "s; run again to resume");
          }
        } catch (ExecutionException e) {
          if (e.getCause() instanceof FerryException fe) {
            throw fe;
          }
          throw e;
        }
      }
    }
  }

  private void report(SyncOutcome o, ArchiveApplication.Restored r, double seconds) {
    double fetchSeconds = Math.max(1e-3, o.fetched().toNanos() / 1e9);
    err.printf(
        "restored height %d (%,d keys) from snapshot %s: %d chunks, %,d bytes fetched"
            + " in %.2f s (%,.1f MiB/s) from %d peers, %d reused, %d missing, %d timeouts, %d peers"
            + " rejected; restored %.2f s after the last chunk, %.2f s in all%n",
        r.result().height(),
        r.result().keys(),
        r.archive().name().fileName(),
        o.chunksFetched(),
        o.bytesFetched(),
        o.fetched().toNanos() / 1e9,
        o.bytesFetched() / fetchSeconds / (1 << 20),
        o.bytesByPeer().size(),
        o.chunksReused(),
        o.missing(),
        o.timeouts(),
        o.rejectedPeers().size(),
        o.fetching().minus(o.fetched()).toNanos() / 1e9,
        seconds);
    for (Map.Entry<NodeId, Long> e : o.bytesByPeer().entrySet()) {
      err.printf("  %s %,d bytes%n", e.getKey().shortString(), e.getValue());
    }
  }

  private static void deleteQuietly(Path dir) {
    try {
      NodeStores.delete(dir);
    } catch (FerryException e) {
      // a leftover of a finished sync: the next run removes it
    }
  }
}
