package io.ferry.node;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;
import static org.awaitility.Awaitility.await;

import io.ferry.core.Bytes;
import io.ferry.core.ErrorCode;
import io.ferry.core.FerryException;
import io.ferry.merkledb.Batch;
import io.ferry.merkledb.Revision;
import io.ferry.net.PeerAddress;
import io.ferry.node.config.NodeSettings;
import io.ferry.node.follow.Follower;
import io.ferry.sync.push.PushClient;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.Optional;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;
import org.junit.jupiter.api.io.TempDir;

/**
 * Push sync between whole nodes over loopback: the application commits through {@link Node#commit},
 * and followers apply each commit from its push, directly from the producer or relayed by a
 * follower, and poll only when they must.
 */
@Timeout(120)
class PushNodeTest {
  @TempDir Path tmp;
  private final List<Node> nodes = new ArrayList<>();

  @AfterEach
  void stop() {
    for (int i = nodes.size() - 1; i >= 0; i--) {
      nodes.get(i).close();
    }
  }

  private NodeSettings settings(String name) {
    NodeSettings s = new NodeSettings();
    s.data = tmp.resolve(name).toString();
    s.p2p = "127.0.0.1:0";
    s.http = "off";
    s.headIntervalMs = 100L;
    s.snapshots.fullInterval = 0L;
    s.snapshots.incrementalInterval = 0L;
    return s;
  }

  /** A producer that commits only what the application writes. */
  private Node producer() {
    NodeSettings s = settings("producer");
    s.produce = true;
    s.producer.updatesPerCommit = 0;
    return start(s);
  }

  private Node follower(String name, Node producer, boolean push, Node... peers) {
    NodeSettings s = settings(name);
    s.trustProducer = producer.id().toString();
    s.push = push;
    s.peers = new ArrayList<>();
    for (Node p : peers) {
      s.peers.add(p.p2pAddress().toString());
    }
    return start(s);
  }

  private Node start(NodeSettings s) {
    Node n = Node.start(s.toConfig());
    nodes.add(n);
    return n;
  }

  private static Batch batch(int commit) {
    Batch b = new Batch();
    for (int i = 0; i < 50; i++) {
      b.put(Bytes.fromHex(String.format("%08x%04x", commit, i)), Bytes.fromHex("ab".repeat(20)));
    }
    if (commit > 1) {
      b.delete(Bytes.fromHex(String.format("%08x%04x", commit - 1, 0)));
    }
    return b;
  }

  private static void awaitAt(Node follower, Revision r) {
    await().atMost(Duration.ofSeconds(60)).until(() -> follower.store().revision().equals(r));
  }

  private static long applied(Node n) {
    return n.pushClient().map(PushClient::stats).map(PushClient.Stats::applied).orElse(0L);
  }

  @Test
  void commitsArriveByPushDirectAndRelayedAndByPollWithoutPush() {
    Node producer = producer();
    Revision first = producer.commit(batch(1));
    Node direct = follower("direct", producer, true, producer);
    Node relayed = follower("relayed", producer, true, direct); // cannot reach the producer
    Node polling = follower("polling", producer, false, producer);
    for (Node f : List.of(direct, relayed, polling)) {
      awaitAt(f, first);
    }
    await()
        .atMost(Duration.ofSeconds(30))
        .until(
            () ->
                producer.pushServer().stats().open() == 1
                    && direct.pushServer().stats().open() == 1);

    // One commit at a time, as an application that commits now and then: each is pushed.
    Revision last = first;
    for (int c = 2; c <= 21; c++) {
      last = producer.commit(batch(c));
      for (Node f : List.of(direct, relayed, polling)) {
        awaitAt(f, last);
      }
    }
    for (Node f : List.of(direct, relayed, polling)) {
      assertThat(f.follower().orElseThrow().phase()).isEqualTo(Follower.Phase.FOLLOWING);
    }
    // A burst faster than the followers apply: they skip pushes they cannot keep up with and poll,
    // and end at the last commit all the same.
    for (int c = 22; c <= 61; c++) {
      last = producer.commit(batch(c));
    }
    for (Node f : List.of(direct, relayed, polling)) {
      awaitAt(f, last);
    }
    // The subscribers took (nearly) every commit from its push: at most a race with the head's
    // gossip at the start costs one poll.
    assertThat(applied(direct)).isGreaterThanOrEqualTo(19);
    assertThat(applied(relayed)).isGreaterThanOrEqualTo(19);
    // A subscriber that polled through the burst may have left its source (three polls with no
    // push) and be about to subscribe again: each ends up with its own.
    await()
        .atMost(Duration.ofSeconds(20))
        .until(
            () ->
                direct
                        .pushClient()
                        .orElseThrow()
                        .stats()
                        .source()
                        .equals(Optional.of(producer.id()))
                    && relayed
                        .pushClient()
                        .orElseThrow()
                        .stats()
                        .source()
                        .equals(Optional.of(direct.id())));
    assertThat(polling.pushClient()).isEmpty();
    assertThat(producer.pushServer().stats().commitsPushed()).isGreaterThanOrEqualTo(20);
    // /status says so.
    assertThat(direct.status().push().source()).isEqualTo(producer.id().toString());
    assertThat(direct.status().push().applied()).isEqualTo(applied(direct));
    assertThat(producer.status().push().subscribers()).isEqualTo(1);
    assertThat(producer.status().push().source()).isNull();
    // The value is there.
    assertThat(relayed.store().get(Bytes.fromHex(String.format("%08x%04x", 61, 7))))
        .contains(Bytes.fromHex("ab".repeat(20)));
  }

  @Test
  void aFollowerDoesNotCommit() {
    Node producer = producer();
    Node follower = follower("f", producer, true, producer);
    assertThatThrownBy(() -> follower.commit(batch(1)))
        .isInstanceOf(FerryException.class)
        .satisfies(e -> assertThat(((FerryException) e).code()).isEqualTo(ErrorCode.ILLEGAL_STATE))
        .hasMessageContaining(producer.id().toString());
    assertThatThrownBy(() -> producer.commit(new Batch()))
        .isInstanceOf(FerryException.class)
        .satisfies(
            e -> assertThat(((FerryException) e).code()).isEqualTo(ErrorCode.INVALID_ARGUMENT));
    assertThat(producer.producerId()).contains(producer.id());
    assertThat(follower.producerId()).contains(producer.id());
    PeerAddress unused = follower.p2pAddress();
    assertThat(unused.expectedId()).contains(follower.id());
  }
}
