package io.ferry.node.cli;

import com.fasterxml.jackson.databind.ObjectMapper;
import com.fasterxml.jackson.databind.SerializationFeature;
import io.ferry.core.ErrorCode;
import io.ferry.core.FerryException;
import io.ferry.core.archive.SnapshotHashes;
import io.ferry.core.identity.NodeKey;
import io.ferry.core.runtime.ExecutorScheduler;
import io.ferry.core.runtime.SecureRandomSource;
import io.ferry.gossip.cluster.ClusterNode;
import io.ferry.gossip.cluster.ClusterView;
import io.ferry.gossip.head.HeadExchange;
import io.ferry.gossip.plane.GossipConfig;
import io.ferry.gossip.plane.GossipPlane;
import io.ferry.gossip.value.ValueKind;
import io.ferry.gossip.value.ValueRules;
import io.ferry.net.PeerAddress;
import io.ferry.net.TransportConfig;
import io.ferry.net.tcp.NettyTransport;
import io.ferry.node.NodeStatus;
import java.io.PrintWriter;
import java.net.InetSocketAddress;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.Callable;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.TimeUnit;
import picocli.CommandLine.Command;
import picocli.CommandLine.Option;
import picocli.CommandLine.ParentCommand;
import picocli.CommandLine.Spec;

/**
 * {@code ferry gossip}: joins a network briefly as a spy (a fresh key, no values of its own), pulls
 * the gossip table from its entrypoints and prints the nodes it holds, like {@code solana gossip}.
 */
@Command(
    name = "gossip",
    mixinStandardHelpOptions = true,
    description = {
      "Join a network briefly and print its nodes: id, addresses, version, head, snapshots.",
      "Exits 6 if no entrypoint answered."
    })
final class GossipCommand implements Callable<Integer> {
  /** The table is taken as complete once it has not grown for this long. */
  private static final Duration SETTLED = Duration.ofSeconds(1);

  private static final Duration PULL_INTERVAL = Duration.ofMillis(250);

  @Spec picocli.CommandLine.Model.CommandSpec spec;
  @ParentCommand FerryCommand parent;

  @Option(
      names = "--entrypoint",
      required = true,
      paramLabel = "HOST:PORT",
      description = "A node of the network (its p2p address); repeat for several.")
  List<String> entrypoints;

  @Option(
      names = "--network",
      defaultValue = GossipConfig.DEFAULT_NETWORK,
      paramLabel = "NAME",
      description = "The network's name (default ${DEFAULT-VALUE}).")
  String network;

  @Option(names = "--json", description = "Print the table as JSON (as /status lists it).")
  boolean json;

  @Option(
      names = "--timeout",
      paramLabel = "SECONDS",
      defaultValue = "10",
      description = "Stop listening after this long (default ${DEFAULT-VALUE}).")
  long timeoutSeconds;

  @Override
  public Integer call() throws Exception {
    List<PeerAddress> targets = new ArrayList<>();
    for (String e : entrypoints) {
      targets.add(PeerAddress.parse(e));
    }
    GossipConfig config = GossipConfig.defaults(network).withPullInterval(PULL_INTERVAL);
    ValueRules rules =
        new ValueRules(network, config.ttl(), config.maxDrift())
            .with(ValueKind.SIGNED_HEAD, HeadExchange.PAYLOAD_RULE);
    NodeKey key = NodeKey.generate();
    List<ClusterNode> table;
    try (ExecutorScheduler scheduler = new ExecutorScheduler("ferry-gossip", 1);
        NettyTransport transport =
            NettyTransport.start(
                key, new InetSocketAddress("0.0.0.0", 0), TransportConfig.DEFAULT);
        GossipPlane plane =
            GossipPlane.start(transport, scheduler, new SecureRandomSource(), key, config, rules)) {
      List<CompletableFuture<?>> dials = new ArrayList<>();
      for (PeerAddress t : targets) {
        dials.add(transport.connect(t));
      }
      table = listen(plane, transport, dials);
    }
    if (table == null) {
      throw new FerryException(
          ErrorCode.UNAVAILABLE,
          "no entrypoint answered (is --network "
              + network
              + " theirs?): "
              + String.join(", ", entrypoints));
    }
    PrintWriter out = spec.commandLine().getOut();
    if (json) {
      ObjectMapper mapper = new ObjectMapper().enable(SerializationFeature.INDENT_OUTPUT);
      out.println(
          mapper.writeValueAsString(table.stream().map(NodeStatus.ClusterStatus::of).toList()));
    } else {
      print(out, table);
    }
    out.flush();
    return ExitCodes.OK;
  }

  /**
   * Waits until the table has not grown for {@link #SETTLED} after the first values arrived, or the
   * timeout; null when no entrypoint could be reached.
   */
  private List<ClusterNode> listen(
      GossipPlane plane, NettyTransport transport, List<CompletableFuture<?>> dials)
      throws InterruptedException {
    long deadline = System.nanoTime() + TimeUnit.SECONDS.toNanos(timeoutSeconds);
    int size = 0;
    long grewAt = System.nanoTime();
    while (System.nanoTime() < deadline) {
      if (dials.stream().allMatch(CompletableFuture::isCompletedExceptionally)) {
        return null;
      }
      int now = plane.size();
      if (now != size) {
        size = now;
        grewAt = System.nanoTime();
      } else if (size > 0 && System.nanoTime() - grewAt > SETTLED.toNanos()) {
        break;
      }
      Thread.sleep(50);
    }
    return transport.peers().isEmpty() && size == 0 ? null : ClusterView.of(plane);
  }

  private static void print(PrintWriter out, List<ClusterNode> table) {
    String format = "%-44s  %-21s  %-21s  %-8s  %8s  %-20s  %s%n";
    out.printf(format, "ID", "P2P", "HTTP", "VERSION", "HEAD", "FULL", "INCREMENTALS");
    for (ClusterNode n : table) {
      out.printf(
          format,
          n.id(),
          n.contact().p2p(),
          n.contact().http().isEmpty() ? "-" : n.contact().http(),
          n.contact().version(),
          n.headHeight().isPresent() ? Long.toString(n.headHeight().getAsLong()) : "-",
          n.snapshots().map(s -> slot(s.full())).orElse("-"),
          n.snapshots()
              .map(s -> s.incrementals().stream().map(GossipCommand::slot).toList().toString())
              .orElse("-"));
    }
    out.printf("%d nodes in network%n", table.size());
  }

  private static String slot(SnapshotHashes.Slot s) {
    return s.height() + ":" + s.hash().toHex().substring(0, 8);
  }
}
