package io.ferry.node;

import static org.assertj.core.api.Assertions.assertThat;
import static org.awaitility.Awaitility.await;

import io.ferry.core.identity.NodeId;
import io.ferry.gossip.value.ContactInfo;
import io.ferry.gossip.value.Result;
import io.ferry.gossip.value.SignedValue;
import io.ferry.gossip.value.ValueKind;
import io.ferry.node.config.NodeSettings;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.Set;
import java.util.TreeSet;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;
import org.junit.jupiter.api.io.TempDir;

/** Whole nodes on loopback that find each other from one entrypoint, through gossip. */
@Timeout(120)
class NodeDiscoveryTest {
  @TempDir Path tmp;
  private final List<Node> nodes = new ArrayList<>();

  @AfterEach
  void stop() {
    for (int i = nodes.size() - 1; i >= 0; i--) {
      nodes.get(i).close();
    }
  }

  private Node start(String name, String... entrypoints) {
    NodeSettings s = new NodeSettings();
    s.data = tmp.resolve(name).toString();
    s.p2p = "127.0.0.1:0";
    s.http = "off";
    s.headIntervalMs = 100L;
    s.snapshots.fullInterval = 0L;
    s.snapshots.incrementalInterval = 0L;
    s.entrypoints = entrypoints.length == 0 ? null : List.of(entrypoints);
    s.advertise = "localhost"; // not the bound host's text: what others dial comes from here
    Node n = Node.start(s.toConfig());
    nodes.add(n);
    return n;
  }

  /** The node's address as an operator writes an entrypoint: host and port, no id. */
  private static String entrypoint(Node n) {
    return n.p2pAddress().hostPort();
  }

  private static Set<NodeId> ids(Node... ns) {
    Set<NodeId> out = new TreeSet<>();
    for (Node n : ns) {
      out.add(n.id());
    }
    return out;
  }

  private static Set<NodeId> contactsOf(Node n) {
    Set<NodeId> out = new TreeSet<>();
    for (SignedValue v : n.gossip().values(ValueKind.CONTACT_INFO)) {
      out.add(v.origin());
    }
    return out;
  }

  @Test
  void aNewcomerGivenOneEntrypointConnectsToEveryNodeOfASmallNetwork() {
    Node seed = start("seed");
    Node b = start("b", entrypoint(seed));
    Node c = start("c", entrypoint(seed));
    await("b and c know each other")
        .atMost(Duration.ofSeconds(60))
        .until(
            () -> contactsOf(b).equals(ids(seed, b, c)) && contactsOf(c).equals(ids(seed, b, c)));
    Node newcomer = start("newcomer", entrypoint(seed));
    await("the newcomer connected to all three")
        .atMost(Duration.ofSeconds(60))
        .until(() -> newcomer.status().peers().containsAll(List.of(idText(seed, b, c))));
    assertThat(contactsOf(newcomer)).isEqualTo(ids(seed, b, c, newcomer));
    assertThat(new TreeSet<>(newcomer.discovery().orElseThrow().chosen()))
        .isEqualTo(ids(seed, b, c));
    // Each contact names the advertised host with the port bound.
    for (Node n : List.of(seed, b, c)) {
      SignedValue v = newcomer.gossip().get(n.id(), ValueKind.CONTACT_INFO).orElseThrow();
      ContactInfo info = ((Result.Ok<ContactInfo>) ContactInfo.decode(v.payload())).value();
      assertThat(info.p2p()).isEqualTo("localhost:" + n.p2pAddress().port());
    }
    // The seed runs no discovery; the others did all the dialling.
    assertThat(seed.discovery()).isEmpty();
    assertThat(seed.status().peers()).containsAll(List.of(idText(b, c, newcomer)));
  }

  private static String[] idText(Node... ns) {
    String[] out = new String[ns.length];
    for (int i = 0; i < ns.length; i++) {
      out[i] = ns[i].id().toString();
    }
    return out;
  }
}
