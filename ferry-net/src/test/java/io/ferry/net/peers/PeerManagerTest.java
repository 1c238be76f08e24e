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
  void manualBanAndUnban() {
    peers.ban(liar, Duration.ofHours(1), "operator");
    assertThat(peers.banned()).containsExactly(liar);
    peers.unban(liar);
    assertThat(peers.banned()).isEmpty();
  }
}
