package io.ferry.node.cli;

import static io.ferry.node.cli.CliRun.ferry;
import static org.assertj.core.api.Assertions.assertThat;
import static org.awaitility.Awaitility.await;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import io.ferry.node.Node;
import io.ferry.node.config.NodeSettings;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.Set;
import java.util.stream.Collectors;
import java.util.stream.StreamSupport;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;
import org.junit.jupiter.api.io.TempDir;

/** {@code ferry gossip} against a producer and a follower on loopback. */
@Timeout(120)
class GossipCommandTest {
  @TempDir Path tmp;
  private final List<Node> nodes = new ArrayList<>();

  @AfterEach
  void stop() {
    nodes.forEach(Node::close);
  }

  private Node start(String name, String network, boolean produce, Node peer) {
    NodeSettings s = new NodeSettings();
    s.data = tmp.resolve(name).toString();
    s.p2p = "127.0.0.1:0";
    s.http = "127.0.0.1:0";
    s.headIntervalMs = 200L;
    s.network = network;
    s.produce = produce;
    s.producer.updatesPerCommit = 10;
    s.producer.commitIntervalMs = 200L;
    if (peer != null) {
      s.trustProducer = peer.id().toString();
      s.peers = List.of(peer.p2pAddress().toString());
    }
    Node n = Node.start(s.toConfig());
    nodes.add(n);
    return n;
  }

  @Test
  void listsEveryNodeOfTheNetworkWithItsAddressesAndTheProducersHead() throws Exception {
    Node producer = start("p", "testnet", true, null);
    Node follower = start("f", "testnet", false, producer);
    // The producer holds the follower's contact info once gossip has run a round.
    await().atMost(Duration.ofSeconds(30)).until(() -> producer.status().cluster().size() == 2);

    CliRun r =
        ferry(
            "gossip",
            "--entrypoint",
            "127.0.0.1:" + producer.p2pAddress().port(),
            "--network",
            "testnet",
            "--json",
            "--timeout",
            "20");
    assertThat(r.exitCode()).as(r.err()).isZero();
    JsonNode table = new ObjectMapper().readTree(r.out());
    Set<String> ids =
        StreamSupport.stream(table.spliterator(), false)
            .map(n -> n.get("id").asText())
            .collect(Collectors.toSet());
    assertThat(ids).containsExactlyInAnyOrder(producer.id().toString(), follower.id().toString());
    for (JsonNode n : table) {
      assertThat(n.get("network").asText()).isEqualTo("testnet");
      Node which = n.get("id").asText().equals(producer.id().toString()) ? producer : follower;
      assertThat(n.get("p2p").asText()).endsWith(":" + which.p2pAddress().port());
      assertThat(n.get("http").asText())
          .endsWith(":" + which.httpAddress().orElseThrow().getPort());
      if (which == producer) {
        assertThat(n.get("head_height").asLong()).isPositive();
      } else {
        assertThat(n.has("head_height")).isFalse();
      }
    }

    CliRun text =
        ferry("gossip", "--entrypoint", producer.p2pAddress().toString(), "--network", "testnet");
    assertThat(text.exitCode()).as(text.err()).isZero();
    assertThat(text.out()).contains(producer.id().toString()).contains("2 nodes in network");
  }

  @Test
  void aSpyOfAnotherNetworkLearnsNothing() {
    Node producer = start("p", "testnet", true, null);
    CliRun r =
        ferry(
            "gossip",
            "--entrypoint",
            producer.p2pAddress().toString(),
            "--network",
            "othernet",
            "--timeout",
            "3");
    assertThat(r.exitCode()).isEqualTo(ExitCodes.UNAVAILABLE);
    assertThat(r.err()).contains("no entrypoint answered");
  }

  @Test
  void anUnreachableEntrypointExitsUnavailable() {
    CliRun r = ferry("gossip", "--entrypoint", "127.0.0.1:1", "--timeout", "5");
    assertThat(r.exitCode()).isEqualTo(ExitCodes.UNAVAILABLE);
  }
}
