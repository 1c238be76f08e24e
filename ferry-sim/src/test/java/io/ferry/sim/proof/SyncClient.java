package io.ferry.sim.proof;

import io.ferry.core.Hash;
import io.ferry.core.identity.NodeId;
import io.ferry.merkledb.MerkleDB;
import io.ferry.merkledb.MerkleDBConfig;
import io.ferry.net.PeerAddress;
import io.ferry.net.peers.Backoff;
import io.ferry.net.peers.PeerKeeper;
import io.ferry.sim.NodeContext;
import io.ferry.sim.node.SimStaging;
import io.ferry.sync.proof.client.SyncConfig;
import io.ferry.sync.proof.client.SyncManager;
import io.ferry.sync.proof.client.SyncStore;
import java.time.Duration;
import java.util.List;
import java.util.Set;
import java.util.TreeSet;

/**
 * The syncing node's app for one incarnation: keeps connections to the servers, and runs a {@link
 * SyncManager} over the node's staging store on its disk ({@link SimStaging}, which a restart
 * reopens) that bulk-loads into a fresh local MerkleDB at the end. Everything comes from the {@link
 * NodeContext}: transport, scheduler, randomness.
 */
final class SyncClient implements AutoCloseable {
  /** Where the sync store lives on the node's disk. */
  static final String STORE = "sync/";

  final SyncManager sync;
  final SyncStore staging;
  final MerkleDB local;
  private final PeerKeeper keeper;

  SyncClient(
      NodeContext ctx,
      List<PeerAddress> servers,
      Hash target,
      SyncConfig config,
      List<RecordingTransport.Asked> asked) {
    RecordingTransport transport =
        new RecordingTransport(ctx.transport(), ctx.incarnation(), ctx.clock()::nanos, asked);
    local = MerkleDB.inMemory(MerkleDBConfig.defaults().withSyncWrites(false));
    keeper =
        new PeerKeeper(
            transport,
            ctx.scheduler(),
            ctx.random().fork(),
            new Backoff(Duration.ofMillis(250), Duration.ofSeconds(5)));
    Set<NodeId> ids = new TreeSet<>();
    for (PeerAddress a : servers) {
      ids.add(a.expectedId().orElseThrow());
      keeper.keep(a);
    }
    staging = SimStaging.open(ctx.disk(), STORE);
    sync =
        new SyncManager(
            config,
            transport,
            ctx.scheduler(),
            ctx.random().fork(),
            staging,
            sorted -> local.bulkLoad(sorted).root(),
            ids::contains);
    sync.start(target);
  }

  @Override
  public void close() {
    sync.close();
    staging.close();
    keeper.close();
    local.close();
  }
}
