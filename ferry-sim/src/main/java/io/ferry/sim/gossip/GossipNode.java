package io.ferry.sim.gossip;

import com.google.protobuf.ByteString;
import io.ferry.core.Bytes;
import io.ferry.core.archive.SnapshotHashes;
import io.ferry.core.runtime.Scheduler;
import io.ferry.gossip.discovery.Discovery;
import io.ferry.gossip.discovery.DiscoveryConfig;
import io.ferry.gossip.plane.GossipConfig;
import io.ferry.gossip.plane.GossipPlane;
import io.ferry.gossip.value.ContactInfo;
import io.ferry.gossip.value.SnapshotHashesCodec;
import io.ferry.gossip.value.ValueKind;
import io.ferry.gossip.value.ValueRules;
import io.ferry.net.PeerAddress;
import io.ferry.net.peers.Backoff;
import io.ferry.net.peers.PeerKeeper;
import io.ferry.sim.NodeContext;
import java.util.List;
import java.util.function.Supplier;

/**
 * One lightweight simulated node: what a Ferry node runs for gossip and nothing else. A real {@link
 * GossipPlane} on the incarnation's transport and random stream, with its machine's clock, and the
 * node's own peer logic: {@link Discovery} from entrypoints (as {@code ferry node --entrypoint}),
 * or a {@link PeerKeeper} of static peers (as {@code --peer}). Like {@code Node}, it publishes its
 * contact info at start; the snapshot hashes it advertises are kept on its disk, so a restarted
 * node advertises them again, as a node with its archives on disk does.
 */
public final class GossipNode implements AutoCloseable {
  /** Where the advertised snapshot hashes are kept on the node's disk. */
  static final String SNAPSHOT_HASHES_KEY = "gossip/snapshot-hashes";

  private final NodeContext ctx;
  private final GossipPlane plane;
  private final Runnable closePeers;

  private GossipNode(NodeContext ctx, GossipPlane plane, Runnable closePeers) {
    this.ctx = ctx;
    this.plane = plane;
    this.closePeers = closePeers;
  }

  private static GossipPlane plane(
      NodeContext ctx, Scheduler time, GossipConfig config, ValueRules rules) {
    return GossipPlane.start(ctx.transport(), time, ctx.random(), ctx.key(), config, rules);
  }

  /**
   * A node that finds its peers through gossip, starting from {@code entrypoints}, and keeps up to
   * {@code discovery}'s outbound peers.
   */
  public static GossipNode discovering(
      NodeContext ctx,
      Scheduler time,
      GossipConfig config,
      ValueRules rules,
      DiscoveryConfig discovery,
      List<PeerAddress> entrypoints) {
    GossipPlane plane = plane(ctx, time, config, rules);
    Discovery d =
        Discovery.start(
            ctx.transport(), time, ctx.random().fork(), plane, discovery, entrypoints, id -> false);
    return new GossipNode(ctx, plane, d::close).announce(config);
  }

  /**
   * A node that keeps connections to static peers, redialled with backoff; {@code peers} is read
   * once the simulation has added every node, so each address resolves.
   */
  static GossipNode withStaticPeers(
      NodeContext ctx,
      Scheduler time,
      GossipConfig config,
      ValueRules rules,
      Supplier<List<PeerAddress>> peers) {
    GossipPlane plane = plane(ctx, time, config, rules);
    PeerKeeper keeper = new PeerKeeper(ctx.transport(), time, ctx.random().fork(), Backoff.DEFAULT);
    time.execute(() -> peers.get().forEach(keeper::keep));
    return new GossipNode(ctx, plane, keeper::close).announce(config);
  }

  /** Publishes the contact info, and the snapshot hashes on disk if any. */
  private GossipNode announce(GossipConfig config) {
    PeerAddress self = ctx.address();
    plane.publish(
        ValueKind.CONTACT_INFO,
        new ContactInfo(self.host() + ":" + self.port(), "", config.network(), "sim").encode());
    ctx.disk()
        .get(SNAPSHOT_HASHES_KEY)
        .ifPresent(b -> plane.publish(ValueKind.SNAPSHOT_HASHES, Bytes.wrap(b.toByteArray())));
    return this;
  }

  /** Advertises {@code hashes} now and after every restart. */
  public void advertise(SnapshotHashes hashes) {
    Bytes payload = SnapshotHashesCodec.encode(hashes);
    ctx.disk().put(SNAPSHOT_HASHES_KEY, ByteString.copyFrom(payload.unsafeArray()));
    ctx.disk().sync();
    plane.publish(ValueKind.SNAPSHOT_HASHES, payload);
  }

  public GossipPlane plane() {
    return plane;
  }

  public NodeContext context() {
    return ctx;
  }

  @Override
  public void close() {
    closePeers.run();
    plane.close();
  }
}
