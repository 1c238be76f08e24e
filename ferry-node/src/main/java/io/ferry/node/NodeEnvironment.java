package io.ferry.node;

import io.ferry.core.Hash;
import io.ferry.core.identity.NodeKey;
import io.ferry.core.runtime.RandomSource;
import io.ferry.core.runtime.Scheduler;
import io.ferry.merkledb.MerkleDB;
import io.ferry.merkledb.store.KvStore;
import io.ferry.net.Transport;
import io.ferry.node.config.NodeConfig;
import io.ferry.snapshot.RestoreResult;
import io.ferry.sync.proof.client.SyncStore;
import io.prometheus.metrics.model.registry.PrometheusRegistry;
import java.nio.file.Path;
import java.util.concurrent.ExecutorService;

/**
 * Everything a {@link Node} takes from the world around it: its key, its transport, its timers and
 * threads, its randomness, its stores and where its archives go. {@link #standard()} is the real
 * world (a key file, Netty over TCP, threads, RocksDB); the simulator gives a node one made of a
 * simulated network and disk on one virtual-time thread. The node's assembly and protocol code are
 * the same in both: nothing in {@link Node} knows which one it runs on.
 *
 * <p>What an environment hands out that is {@link AutoCloseable} belongs to the node, which closes
 * it when it stops. Implementations are thread-safe.
 */
public interface NodeEnvironment {
  /** The node's identity; created on the first start. */
  NodeKey key(NodeConfig config);

  /** The node's transport, listening where {@code config} says. */
  Transport transport(NodeKey key, NodeConfig config, PrometheusRegistry registry);

  /** A scheduler of its own for the part named {@code name} (one thread, in the real world). */
  Scheduler scheduler(String name);

  /** Randomness for the part named {@code name}. */
  RandomSource random(String name);

  /**
   * Workers for blocking or CPU-bound work that must not hold up a scheduler: proof verification,
   * archive writing.
   *
   * @param threads how many may run at once (a real environment's pool size)
   */
  ExecutorService workers(String name, int threads);

  /**
   * Opens (or creates) the MerkleDB in {@code dir}.
   *
   * @param branchFactor for a new store (null: 16); a stored one that differs is an error
   */
  MerkleDB openStore(Path dir, Integer branchFactor);

  /**
   * The directory the node's snapshot archives are written to, listed from and served from: {@code
   * config.snapshotDir()} in the real world; one the simulator keeps for the node across its
   * crashes.
   */
  Path snapshotDir(NodeConfig config);

  /**
   * Where a snapshot bootstrap keeps what it fetches and the store it restores until the node
   * adopts it: {@code config.bootstrapDir()} in the real world; one the simulator keeps for the
   * node across its crashes.
   */
  Path bootstrapDir(NodeConfig config);

  /** Deletes the store in {@code dir}, if there is one. */
  void deleteStore(Path dir);

  /**
   * Restores the full archive {@code archive} into a new store in {@code dir} (absent), every chunk
   * and the root checked against {@code trustedRoot}, and closes it: the store a snapshot bootstrap
   * hands to {@link #moveStore}.
   *
   * @throws io.ferry.core.FerryException {@code VERIFICATION_FAILED} or {@code CORRUPT_DATA} when
   *     the archive is not the trusted state
   */
  RestoreResult restoreStore(Path archive, Path dir, Hash trustedRoot);

  /**
   * Moves the closed store in {@code from} to {@code to} (absent): a restored snapshot becomes the
   * node's store.
   *
   * @throws io.ferry.core.FerryException {@code IO_ERROR} when it cannot
   */
  void moveStore(Path from, Path to);

  /**
   * Removes what a killed archive write or restore, or a finished sync, left in the node's data;
   * leaves alone what a live process uses, and logs what it removed.
   */
  void removeLeftovers(NodeConfig config);

  /** Opens the staging store a full sync keeps its verified data and progress in. */
  SyncStore openStaging(Path dir);

  /**
   * Opens (or creates) the key-value store under the node's block store, with the columns {@link
   * io.ferry.blocks.store.BlockStore#COLUMNS}: RocksDB in {@code config.blocksDir()} in the real
   * world, without an fsync per write (blocks can be fetched again; the block store makes an import
   * durable itself); memory in the simulator.
   */
  KvStore openBlocks(NodeConfig config);

  /** The real world: a key file, Netty over TCP, threads, RocksDB with fsync. */
  static NodeEnvironment standard() {
    return StandardEnvironment.INSTANCE;
  }
}
