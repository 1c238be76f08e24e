package io.ferry.net.peers;

import static org.assertj.core.api.Assertions.assertThat;

import io.ferry.core.identity.NodeId;
import io.ferry.core.identity.NodeKey;
import io.ferry.core.runtime.ManualClock;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import org.junit.jupiter.api.Test;

class PeerManagerTest {
  private final ManualClock clock = new ManualClock();
  private final PeerManager peers = new PeerManager(clock);
  private final NodeId liar = NodeKey.generate().id();

  @Test
  void twoLiesBanAndTheBanExpires() {
    List<NodeId> banned = new ArrayList<>();
    peers.onBan(banned::add);
    assertThat(peers.report(liar, Offence.INVALID_PROOF, "bad proof")).isFalse();
    assertThat(peers.isBanned(liar)).isFalse();
    assertThat(peers.report(liar, Offence.INVALID_PROOF, "bad proof again")).isTrue();
    assertThat(peers.isBanned(liar)).isTrue();
    assertThat(banned).containsExactly(liar);
    assertThat(peers.admit(liar, true, 0, 0).allowed()).isFalse();
    assertThat(peers.admit(liar, true, 0, 0).reason()).contains("banned");
    clock.advance(Duration.ofMinutes(10).minusSeconds(1));
    assertThat(peers.isBanned(liar)).isTrue();
    clock.advance(Duration.ofSeconds(1));
    assertThat(peers.isBanned(liar)).isFalse();
    assertThat(peers.admit(liar, true, 0, 0).allowed()).isTrue();
  }

  @Test
  void repeatBansDoubleUpToTheCap() {
    PeerManager p =
        new PeerManager(
            clock, new PeerManager.Config(8, 4, Duration.ofMinutes(10), Duration.ofMinutes(30), 5));
    for (Duration expected :
        List.of(
            Duration.ofMinutes(10),
            Duration.ofMinutes(20),
            Duration.ofMinutes(30),
            Duration.ofMinutes(30))) {
      p.report(liar, Offence.INVALID_PROOF, "lie");
      p.report(liar, Offence.INVALID_PROOF, "lie");
      assertThat(p.standing(liar).bannedFor()).contains(expected);
      clock.advance(expected);
      assertThat(p.isBanned(liar)).isFalse();
    }
  }

  @Test
  void scoresRecoverSoRareTimeoutsNeverBan() {
    for (int i = 0; i < 200; i++) {
      peers.report(liar, Offence.TIMEOUT, "slow");
      clock.advance(Duration.ofMinutes(1));
    }
    assertThat(peers.isBanned(liar)).isFalse();
    assertThat(peers.standing(liar).score()).isGreaterThan(PeerManager.BAN_THRESHOLD);
  }

  @Test
  void connectionLimitsKeepSlotsForOutbound() {
    PeerManager p =
        new PeerManager(
            clock, new PeerManager.Config(4, 2, Duration.ofMinutes(1), Duration.ofMinutes(1), 5));
    NodeId peer = NodeKey.generate().id();
    assertThat(p.admit(peer, true, 2, 1).allowed()).isTrue();
    assertThat(p.admit(peer, true, 2, 2).allowed()).isFalse();
    assertThat(p.admit(peer, false, 3, 2).allowed()).isTrue();
    assertThat(p.admit(peer, false, 4, 2).reason()).contains("connection limit 4");
  }

  @Test
  void capingInboundKeepsTheRoomForOutbound() {
    PeerManager.Config c = PeerManager.Config.DEFAULT.withMaxInbound(3);
    assertThat(c.maxInbound()).isEqualTo(3);
    assertThat(c.maxConnections() - c.maxInbound())
        .isEqualTo(
            PeerManager.Config.DEFAULT.maxConnections() - PeerManager.Config.DEFAULT.maxInbound());
    PeerManager p = new PeerManager(clock, c);
    NodeId peer = NodeKey.generate().id();
    assertThat(p.admit(peer, true, 3, 3).reason()).contains("inbound connection limit 3");
    assertThat(p.admit(peer, false, 3, 3).allowed()).isTrue();
    assertThat(PeerManager.Config.DEFAULT.withMaxInbound(0).maxInbound()).isZero();
  }

  @Test
  void manualBanAndUnban() {
    peers.ban(liar, Duration.ofHours(1), "operator");
    assertThat(peers.banned()).containsExactly(liar);
    peers.unban(liar);
    assertThat(peers.banned()).isEmpty();
  }

  private static NodeId randomId(java.util.Random r) {
    byte[] b = new byte[NodeId.LENGTH];
    r.nextBytes(b);
    return NodeId.of(b);
  }

  @Test
  void theRememberedPeersAreBoundedAndBansAreForgottenLast() {
    PeerManager p = new PeerManager(clock, PeerManager.Config.DEFAULT, 100);
    p.report(liar, Offence.INVALID_PROOF, "lie");
    p.report(liar, Offence.INVALID_PROOF, "lie");
    assertThat(p.isBanned(liar)).isTrue();
    java.util.Random r = new java.util.Random(7);
    NodeId recent = null;
    for (int i = 0; i < 1_000; i++) {
      recent = randomId(r);
      p.report(recent, Offence.MALFORMED_MESSAGE, "garbage");
      assertThat(p.tracked()).isLessThanOrEqualTo(100);
    }
    assertThat(p.isBanned(liar)).isTrue();
    assertThat(p.standing(recent).score()).isNegative();
  }

  @Test
  void peersWhoseScoreRecoveredAreForgottenFirst() {
    PeerManager p = new PeerManager(clock, PeerManager.Config.DEFAULT, 10);
    java.util.Random r = new java.util.Random(8);
    NodeId first = randomId(r);
    p.report(first, Offence.MALFORMED_MESSAGE, "garbage");
    clock.advance(Duration.ofHours(1)); // first has recovered
    List<NodeId> others = new ArrayList<>();
    for (int i = 0; i < 9; i++) {
      NodeId id = randomId(r);
      others.add(id);
      p.report(id, Offence.MALFORMED_MESSAGE, "garbage");
    }
    p.report(randomId(r), Offence.MALFORMED_MESSAGE, "garbage"); // over the bound
    assertThat(p.tracked()).isLessThanOrEqualTo(10);
    for (NodeId id : others) {
      assertThat(p.standing(id).score()).isNegative();
    }
  }

  @Test
  void theDefaultBoundHolds() {
    java.util.Random r = new java.util.Random(9);
    for (int i = 0; i < PeerManager.MAX_TRACKED_PEERS + 5_000; i++) {
      peers.report(randomId(r), Offence.MALFORMED_MESSAGE, "garbage");
    }
    assertThat(peers.tracked()).isLessThanOrEqualTo(PeerManager.MAX_TRACKED_PEERS);
  }
}
