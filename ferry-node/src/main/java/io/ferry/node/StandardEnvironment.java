package io.ferry.node;

import io.ferry.blocks.store.BlockStore;
import io.ferry.core.ErrorCode;
import io.ferry.core.FerryException;
import io.ferry.core.Hash;
import io.ferry.core.identity.KeyFile;
import io.ferry.core.identity.NodeKey;
import io.ferry.core.runtime.ExecutorScheduler;
import io.ferry.core.runtime.RandomSource;
import io.ferry.core.runtime.Scheduler;
import io.ferry.core.runtime.SecureRandomSource;
import io.ferry.merkledb.MerkleDB;
import io.ferry.merkledb.MerkleDBConfig;
import io.ferry.merkledb.store.KvStore;
import io.ferry.merkledb.store.RocksStore;
import io.ferry.net.Transport;
import io.ferry.net.TransportConfig;
import io.ferry.net.metrics.TransportMetrics;
import io.ferry.net.peers.PeerManager;
import io.ferry.net.tcp.NettyTransport;
import io.ferry.node.config.NodeConfig;
import io.ferry.snapshot.RestoreResult;
import io.ferry.snapshot.SnapshotRestorer;
import io.ferry.snapshot.SnapshotWriter;
import io.ferry.sync.proof.client.SyncStore;
import io.ferry.sync.proof.client.SyncStores;
import io.prometheus.metrics.model.registry.PrometheusRegistry;
import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.StandardCopyOption;
import java.util.Optional;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;

/**
 * The real world of {@link NodeEnvironment#standard()}: the key file, Netty over TCP with TLS, one
 * daemon thread per scheduler, {@link SecureRandomSource}, RocksDB stores that fsync (the block
 * store's does not). Stateless.
 */
final class StandardEnvironment implements NodeEnvironment {
  static final StandardEnvironment INSTANCE = new StandardEnvironment();

  private StandardEnvironment() {}

  @Override
  public NodeKey key(NodeConfig config) {
    return KeyFile.loadOrCreate(config.keyFile());
  }

  @Override
  public Transport transport(NodeKey key, NodeConfig config, PrometheusRegistry registry) {
    return NettyTransport.start(
        key,
        config.p2p(),
        TransportConfig.DEFAULT.withEgressBytesPerSecond(config.p2pEgressBytesPerSecond()),
        PeerManager.Config.DEFAULT.withMaxInbound(config.maxInbound()),
        new TransportMetrics(registry));
  }

  @Override
  public Scheduler scheduler(String name) {
    return new ExecutorScheduler(name, 1);
  }

  @Override
  public RandomSource random(String name) {
    return new SecureRandomSource();
  }

  @Override
  public ExecutorService workers(String name, int threads) {
    return Executors.newFixedThreadPool(
        threads, Thread.ofPlatform().name(name + "-", 0).daemon().factory());
  }

  @Override
  public MerkleDB openStore(Path dir, Integer branchFactor) {
    return NodeStores.open(dir, branchFactor);
  }

  @Override
  public Path snapshotDir(NodeConfig config) {
    return config.snapshotDir();
  }

  @Override
  public Path bootstrapDir(NodeConfig config) {
    return config.bootstrapDir();
  }

  @Override
  public void deleteStore(Path dir) {
    NodeStores.delete(dir);
  }

  @Override
  public RestoreResult restoreStore(Path archive, Path dir, Hash trustedRoot) {
    return new SnapshotRestorer(MerkleDBConfig.defaults())
        .restore(archive, Optional.empty(), dir, Optional.of(trustedRoot));
  }

  @Override
  public void moveStore(Path from, Path to) {
    try {
      Files.move(from, to, StandardCopyOption.ATOMIC_MOVE);
    } catch (IOException e) {
      throw new FerryException(
          ErrorCode.IO_ERROR, "cannot move the store in " + from + " to " + to + ": " + e, e);
    }
  }

  @Override
  public void removeLeftovers(NodeConfig config) {
    SnapshotWriter.removeLeftovers(snapshotDir(config));
    SnapshotRestorer.removeLeftovers(config.stateDir());
    SyncStores.deleteIfFinished(config.stagingDir());
  }

  @Override
  public SyncStore openStaging(Path dir) {
    return NodeStores.openStaging(dir);
  }

  /** A small block cache: blocks are read once per peer that asks, rarely again soon. */
  private static final long BLOCKS_CACHE_BYTES = 16L << 20;

  @Override
  public KvStore openBlocks(NodeConfig config) {
    return new RocksStore(config.blocksDir(), BLOCKS_CACHE_BYTES, false, BlockStore.COLUMNS);
  }
}
