package io.ferry.node.api;

import static org.assertj.core.api.Assertions.assertThat;

import io.ferry.core.Hash;
import io.ferry.gossip.head.SignedHead;
import org.junit.jupiter.api.Test;

class RecentHeadsTest {
  private static Hash root(int i) {
    byte[] b = new byte[32];
    b[0] = (byte) (i >> 8);
    b[1] = (byte) i;
    return Hash.of(b);
  }

  private static SignedHead head(long height, Hash root) {
    return SignedHead.sign(VerifiedReadTest.PRODUCER, height, root);
  }

  @Test
  void findsAHeadByRootAndKeepsTheHighestOfARoot() {
    RecentHeads heads = new RecentHeads();
    heads.remember(head(3, root(1)));
    heads.remember(head(4, root(2)));
    assertThat(heads.forRoot(root(1)).map(SignedHead::height)).contains(3L);
    assertThat(heads.forRoot(root(9))).isEmpty();
    // A root that comes back (a put undone) names its latest head; an older one changes nothing.
    heads.remember(head(7, root(1)));
    heads.remember(head(5, root(1)));
    assertThat(heads.forRoot(root(1)).map(SignedHead::height)).contains(7L);
  }

  @Test
  void isBoundedAndForgetsTheOldestFirst() {
    RecentHeads heads = new RecentHeads();
    for (int i = 0; i < RecentHeads.CAPACITY + 10; i++) {
      heads.remember(head(i, root(i)));
    }
    assertThat(heads.size()).isEqualTo(RecentHeads.CAPACITY);
    assertThat(heads.forRoot(root(9))).isEmpty();
    assertThat(heads.forRoot(root(10))).isPresent();
    assertThat(heads.forRoot(root(RecentHeads.CAPACITY + 9))).isPresent();
  }
}
