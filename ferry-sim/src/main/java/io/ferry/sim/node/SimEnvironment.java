package io.ferry.sim.node;

import io.ferry.core.Hash;
import io.ferry.core.identity.NodeKey;
import io.ferry.core.runtime.RandomSource;
import io.ferry.core.runtime.Scheduler;
import io.ferry.merkledb.MerkleDB;
import io.ferry.merkledb.MerkleDBConfig;
import io.ferry.merkledb.store.KvStore;
import io.ferry.merkledb.store.MemoryStore;
import io.ferry.net.Transport;
import io.ferry.node.NodeEnvironment;
import io.ferry.node.NodeStores;
import io.ferry.node.config.NodeConfig;
import io.ferry.sim.NodeContext;
import io.ferry.snapshot.RestoreResult;
import io.ferry.snapshot.SnapshotRestorer;
import io.ferry.snapshot.SnapshotWriter;
import io.ferry.sync.proof.client.SyncStore;
import io.prometheus.metrics.model.registry.PrometheusRegistry;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.Optional;
import java.util.concurrent.ExecutorService;

/**
 * The world of a simulated {@link io.ferry.node.Node}: one incarnation's {@link NodeContext}. Its
 * key, transport, scheduler and random stream are the context's; workers run tasks inline on the
 * simulator's thread; stores live on the node's {@link io.ferry.sim.SimDisk} ({@link SimKvStore}
 * for the MerkleDB, the node's own staging store over one for sync staging: {@link SimStaging}), so
 * they survive crashes as far as they were synced.
 *
 * <p>Archives are files: the node's snapshot directory is a real one that its simulation keeps for
 * it across incarnations. The snapshot scheduler writes an archive inline (a worker here runs it on
 * the spot), within one instant of virtual time, so a crash never cuts one short; on a real node a
 * crash mid-write leaves only the writer's temporary files, never a half archive under an archive's
 * name, and {@link #removeLeftovers} deletes them here as a real node does. So are the chunks a
 * snapshot bootstrap fetches by state sync (its bootstrap directory, kept across incarnations too,
 * so a restarted bootstrap resumes); the store it restores is on the disk, and becomes the node's
 * by {@link #moveStore}, a rename of its keys.
 *
 * <p>Every part gets the one scheduler of the incarnation: the simulator runs a node on one thread
 * in virtual time, and the scheduler dies with the incarnation on a crash.
 */
public final class SimEnvironment implements NodeEnvironment {
  private final NodeContext context;
  private final Path snapshotDir;
  private final Path bootstrapDir;

  /**
   * @param snapshotDir the node's archive directory, the same in every incarnation
   * @param bootstrapDir where the node's snapshot bootstrap keeps the chunks it fetched, the same
   *     in every incarnation (the store it restores lives on the disk)
   */
  public SimEnvironment(NodeContext context, Path snapshotDir, Path bootstrapDir) {
    this.context = context;
    this.snapshotDir = snapshotDir;
    this.bootstrapDir = bootstrapDir;
  }

  @Override
  public NodeKey key(NodeConfig config) {
    return context.key();
  }

  @Override
  public Transport transport(NodeKey key, NodeConfig config, PrometheusRegistry registry) {
    return context.transport();
  }

  @Override
  public Scheduler scheduler(String name) {
    return context.scheduler();
  }

  @Override
  public RandomSource random(String name) {
    return context.random().fork();
  }

  @Override
  public ExecutorService workers(String name, int threads) {
    return new DirectExecutorService();
  }

  @Override
  public MerkleDB openStore(Path dir, Integer branchFactor) {
    SimKvStore store =
        new SimKvStore(context.disk(), storePrefix(dir), MerkleDBConfig.defaults().syncWrites());
    return NodeStores.open(store, context.name() + ":" + dir, branchFactor);
  }

  @Override
  public Path snapshotDir(NodeConfig config) {
    return snapshotDir;
  }

  @Override
  public Path bootstrapDir(NodeConfig config) {
    return bootstrapDir;
  }

  @Override
  public void deleteStore(Path dir) {
    SimKvStore.delete(context.disk(), storePrefix(dir));
  }

  /** Restores into a store on the node's disk, as {@link #openStore} opens them. */
  @Override
  public RestoreResult restoreStore(Path archive, Path dir, Hash trustedRoot) {
    deleteStore(dir);
    List<MerkleDB> opened = new ArrayList<>(1);
    try {
      return new SnapshotRestorer(MerkleDBConfig.defaults())
          .restoreInto(
              archive,
              Optional.empty(),
              bf -> {
                MerkleDB db = openStore(dir, bf.width());
                opened.add(db);
                return db;
              },
              Optional.of(trustedRoot));
    } finally {
      opened.forEach(MerkleDB::close);
    }
  }

  @Override
  public void moveStore(Path from, Path to) {
    SimKvStore.move(context.disk(), storePrefix(from), storePrefix(to));
  }

  @Override
  public void removeLeftovers(NodeConfig config) {
    // As a real node does: an archive write's temporary files, and a finished sync's staging
    // store; the stores live on the SimDisk, where a crash leaves no stray files (and no restore
    // runs).
    SnapshotWriter.removeLeftovers(snapshotDir);
    SimStaging.deleteIfFinished(context.disk(), stagingPrefix(config.stagingDir()));
  }

  @Override
  public SyncStore openStaging(Path dir) {
    return SimStaging.open(context.disk(), stagingPrefix(dir));
  }

  /**
   * The block store lives in memory: it is not part of what the simulator checks, and a restarted
   * node fetches or imports its datasets again.
   */
  @Override
  public KvStore openBlocks(NodeConfig config) {
    return new MemoryStore();
  }

  private static String stagingPrefix(Path dir) {
    return "staging/" + dir + "/";
  }

  private static String storePrefix(Path dir) {
    return "store/" + dir + "/";
  }
}
