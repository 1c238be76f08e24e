package io.ferry.sync.push;

import static org.assertj.core.api.Assertions.assertThat;

import io.ferry.core.Hash;
import io.ferry.core.Limits;
import io.ferry.core.identity.NodeId;
import java.util.List;
import org.junit.jupiter.api.Test;

/** The subscription table's rules: the limit, one per peer, updates, expiry and pushes. */
class SubscriptionsTest {
  private static final long SECOND = 1_000_000_000L;
  private static final List<KnownHead> HEADS = List.of(head(3, 3));

  static NodeId peer(int i) {
    byte[] b = new byte[NodeId.LENGTH];
    b[0] = (byte) i;
    b[1] = (byte) (i >> 8);
    b[2] = 0x77;
    return NodeId.of(b);
  }

  static KnownHead head(long height, int root) {
    byte[] b = new byte[Hash.LENGTH];
    b[0] = (byte) root;
    b[1] = (byte) (root >> 8);
    return new KnownHead(height, Hash.of(b));
  }

  private static Subscriptions full() {
    Subscriptions s = new Subscriptions();
    for (int i = 0; i < Limits.MAX_OPEN_SUBSCRIPTIONS; i++) {
      assertThat(s.subscribe(peer(i), 0, 60 * SECOND, 1000, HEADS))
          .isEqualTo(Subscriptions.Outcome.OPENED);
    }
    return s;
  }

  @Test
  void theDefaultCapacityIsTheDesignsMaximumOpenRequests() {
    assertThat(Limits.MAX_OPEN_SUBSCRIPTIONS).isEqualTo(128);
    assertThat(full().size()).isEqualTo(128);
  }

  @Test
  void the129thPeerIsRefusedWhile128AreOpen() {
    Subscriptions s = full();
    assertThat(s.subscribe(peer(500), SECOND, 60 * SECOND, 1000, HEADS))
        .isEqualTo(Subscriptions.Outcome.REFUSED_FULL);
    assertThat(s.size()).isEqualTo(128);
    assertThat(s.get(peer(500))).isEmpty();
    assertThat(s.snapshot()).doesNotContainKey(peer(500));
  }

  @Test
  void aSecondSubscribeUpdatesWindowBudgetAndHeadsEvenWhenFull() {
    Subscriptions s = full();
    KnownHead newer = head(9, 9);
    assertThat(s.subscribe(peer(7), 5 * SECOND, 10 * SECOND, 4242, List.of(newer)))
        .isEqualTo(Subscriptions.Outcome.UPDATED);
    assertThat(s.size()).isEqualTo(128);
    Subscription updated = s.get(peer(7)).orElseThrow();
    assertThat(updated.closeTimeNanos()).isEqualTo(15 * SECOND);
    assertThat(updated.remainingBytes()).isEqualTo(4242);
    assertThat(updated.knownHeads()).containsExactly(newer);
    // The others are untouched.
    assertThat(s.get(peer(8)).orElseThrow().remainingBytes()).isEqualTo(1000);
  }

  @Test
  void anUpdateKeepsThePeersPlaceInTheOrder() {
    Subscriptions s = new Subscriptions(4);
    s.subscribe(peer(1), 0, SECOND, 10, HEADS);
    s.subscribe(peer(2), 0, SECOND, 10, HEADS);
    s.subscribe(peer(1), 0, SECOND, 20, HEADS);
    assertThat(s.snapshot().keySet()).containsExactly(peer(1), peer(2));
  }

  @Test
  void unsubscribeWithNoneIsANoOp() {
    Subscriptions s = new Subscriptions(2);
    s.subscribe(peer(1), 0, SECOND, 10, HEADS);
    assertThat(s.unsubscribe(peer(2))).isFalse();
    assertThat(s.size()).isEqualTo(1);
    assertThat(s.unsubscribe(peer(1))).isTrue();
    assertThat(s.unsubscribe(peer(1))).isFalse();
    assertThat(s.size()).isZero();
  }

  @Test
  void aSubscriptionClosesOnlyWhenTheTimeIsPastItsCloseTime() {
    Subscriptions s = new Subscriptions(2);
    long t = 17 * SECOND + 3;
    long w = 30 * SECOND;
    s.subscribe(peer(1), t, w, 10, HEADS);
    assertThat(s.expire(t + w)).isZero();
    assertThat(s.get(peer(1))).isPresent();
    assertThat(s.get(peer(1)).orElseThrow().expired(t + w)).isFalse();
    assertThat(s.get(peer(1)).orElseThrow().expired(t + w + 1)).isTrue();
    assertThat(s.expire(t + w + 1)).isEqualTo(1);
    assertThat(s.get(peer(1))).isEmpty();
  }

  @Test
  void anExpiredSubscriptionMakesRoomForANewPeer() {
    Subscriptions s = new Subscriptions(2);
    s.subscribe(peer(1), 0, 10 * SECOND, 10, HEADS);
    s.subscribe(peer(2), 0, 20 * SECOND, 10, HEADS);
    assertThat(s.subscribe(peer(3), 10 * SECOND, SECOND, 10, HEADS))
        .isEqualTo(Subscriptions.Outcome.REFUSED_FULL);
    assertThat(s.subscribe(peer(3), 10 * SECOND + 1, SECOND, 10, HEADS))
        .isEqualTo(Subscriptions.Outcome.OPENED);
    assertThat(s.snapshot().keySet()).containsExactly(peer(2), peer(3));
  }

  @Test
  void aPeerWhoseSubscriptionClosedOpensANewOne() {
    Subscriptions s = new Subscriptions(1);
    s.subscribe(peer(1), 0, SECOND, 10, HEADS);
    assertThat(s.subscribe(peer(1), 2 * SECOND, SECOND, 10, HEADS))
        .isEqualTo(Subscriptions.Outcome.OPENED);
  }

  @Test
  void aPushSpendsBudgetAndMovesTheKnownHeads() {
    Subscriptions s = new Subscriptions(2);
    s.subscribe(peer(1), 0, SECOND, 1000, List.of(head(1, 1), head(2, 2)));
    KnownHead h5 = head(5, 5);
    s.pushed(peer(1), 300, h5);
    Subscription after = s.get(peer(1)).orElseThrow();
    assertThat(after.remainingBytes()).isEqualTo(700);
    assertThat(after.knownHeads()).containsExactly(h5);
    assertThat(after.highest()).contains(h5);
    assertThat(after.closeTimeNanos()).isEqualTo(SECOND);
    s.pushed(peer(1), 5000, head(6, 6));
    assertThat(s.get(peer(1)).orElseThrow().remainingBytes()).isZero();
  }

  @Test
  void aPushToAPeerWithoutSubscriptionChangesNothing() {
    Subscriptions s = new Subscriptions(2);
    s.pushed(peer(1), 300, head(5, 5));
    assertThat(s.size()).isZero();
  }

  @Test
  void theHighestKnownHeadIsByHeight() {
    Subscription s =
        new Subscription(0, 1, List.of(head(4, 1), head(9, 2), head(2, 3), head(9, 4)));
    assertThat(s.highest()).contains(head(9, 2));
    assertThat(new Subscription(0, 1, List.of()).highest()).isEmpty();
  }

  @Test
  void theSnapshotIsACopy() {
    Subscriptions s = new Subscriptions(2);
    s.subscribe(peer(1), 0, SECOND, 10, HEADS);
    var copy = s.snapshot();
    copy.clear();
    assertThat(s.size()).isEqualTo(1);
  }
}
