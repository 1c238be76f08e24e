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
import io.ferry.net.PeerAddress;
import io.ferry.net.TransportConfig;
import io.ferry.net.peers.Backoff;
import io.ferry.net.peers.PeerKeeper;
import io.ferry.net.tcp.NettyTransport;
import io.ferry.sync.proof.client.RocksSyncStore;
import io.ferry.sync.proof.client.SyncConfig;
import io.ferry.sync.proof.client.SyncManager;
import io.ferry.sync.proof.client.SyncStats;
import io.ferry.sync.proof.client.SyncStores;
import java.net.InetSocketAddress;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.Callable;
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
 * change proofs, resuming where an earlier run stopped. Verified data waits in DIR/sync-staging
 * until every range is at the root, then the store is built from it in one bulk load.
 */
@Command(
    name = "sync",
    mixinStandardHelpOptions = true,
    description = {
      "Sync the state from peers to a trusted root with verified proofs.",
      "Exits 0 once the local root equals --trust-root; the root is the last line printed."
    })
final class SyncCommand implements Callable<Integer> {
  private static final Logger log = LoggerFactory.getLogger(SyncCommand.class);

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
      names = "--trust-root",
      required = true,
      paramLabel = "HEX",
      description = "The root to sync to (64 hex digits).")
  String trustRoot;

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
    Hash target = Hash.fromHex(trustRoot);
    List<PeerAddress> servers = new ArrayList<>();
    for (String p : peers) {
      servers.add(PeerAddress.parse(p));
    }
    SyncConfig config = SyncConfig.DEFAULT.withWorkLimit(workLimit);
    FileChecks.directory(store.data);
    Logging.logToFile(store.data.resolve("logs"), parent.verbose());
    NodeKey key = KeyFile.loadOrCreate(store.data.resolve("node.key"));
    Path staging = store.data.resolve("sync-staging");
    RocksSyncStore.deleteIfFinished(staging); // a finished sync's files, if any
    MerkleDB db = store.open();
    config = config.withBranchFactor(db.branchFactor());
    if (db.root().equals(target)) {
      db.close();
      spec.commandLine().getOut().println(target.toHex());
      return ExitCodes.OK;
    }
    boolean synced = false;
    java.util.concurrent.ExecutorService verifiers =
        java.util.concurrent.Executors.newFixedThreadPool(
            Math.max(1, Runtime.getRuntime().availableProcessors()),
            r -> {
              Thread t = new Thread(r, "ferry-sync-verify");
              t.setDaemon(true);
              return t;
            });
    try (RocksSyncStore staged = io.ferry.node.NodeStores.openStaging(staging);
        ExecutorScheduler scheduler = new ExecutorScheduler("ferry-sync", 1);
        NettyTransport transport =
            NettyTransport.start(
                key, new InetSocketAddress("0.0.0.0", 0), TransportConfig.DEFAULT);
        PeerKeeper keeper =
            new PeerKeeper(transport, scheduler, new SecureRandomSource(), Backoff.DEFAULT)) {
      boolean stale = !db.root().isZero();
      if (stale && staged.target().isEmpty()) {
        // A store at an older root: stage its contents, then change proofs bring it up to date.
        log.info("store is at {}; staging it to catch up by change proofs", db.root());
        SyncStores.seedFrom(db, staged);
      }
      MerkleDB[] current = {db};
      SyncManager.Loader loader =
          sorted -> {
            if (!current[0].root().isZero()) {
              current[0].close();
              io.ferry.node.NodeStores.delete(store.stateDir());
              current[0] = store.open();
            }
            return current[0].bulkLoad(sorted).root();
          };
      SyncManager sync =
          new SyncManager(
              config,
              transport,
              scheduler,
              new SecureRandomSource(),
              staged,
              loader,
              peer -> allowed(servers, peer),
              verifiers);
      servers.forEach(keeper::keep);
      sync.start(target);
      Hash root;
      try (SyncProgress progress = new SyncProgress()) {
        root = await(sync, progress);
      } finally {
        sync.close();
      }
      current[0].close();
      SyncStats s = sync.stats();
      spec.commandLine()
          .getErr()
          .printf(
              "synced %,d keys (%,d bytes) in %,d proofs; %d failed requests, %d lies;"
                  + " fetched and verified in %.2f s, store built in %.2f s%n",
              s.keys(),
              s.bytes(),
              s.proofs(),
              s.failures(),
              s.lies(),
              s.fetchNanos() / 1e9,
              s.loadNanos() / 1e9);
      spec.commandLine().getOut().println(root.toHex());
      synced = true;
      return ExitCodes.OK;
    } catch (RuntimeException | Error e) {
      db.close();
      throw e;
    } finally {
      verifiers.shutdownNow();
      if (synced) {
        RocksSyncStore.deleteIfFinished(staging); // closed by now: the staged data is in the store
      }
    }
  }

  private Hash await(SyncManager sync, SyncProgress progress) throws Exception {
    long deadline =
        timeoutSeconds == null
            ? Long.MAX_VALUE
            : System.nanoTime() + timeoutSeconds * 1_000_000_000L;
    while (true) {
      try {
        return sync.done().get(200, TimeUnit.MILLISECONDS);
      } catch (TimeoutException e) {
        progress.show(sync.stats());
        if (System.nanoTime() > deadline) {
          throw new FerryException(
              ErrorCode.TIMEOUT,
              "sync not done after " + timeoutSeconds + "s; run again to resume");
        }
      } catch (ExecutionException e) {
        if (e.getCause() instanceof FerryException fe) {
          throw fe;
        }
        throw e;
      }
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
