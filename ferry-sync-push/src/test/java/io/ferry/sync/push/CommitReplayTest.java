package io.ferry.sync.push;

import static org.assertj.core.api.Assertions.assertThat;

import io.ferry.core.Bytes;
import io.ferry.core.KeyRange;
import io.ferry.gossip.head.SignedHead;
import io.ferry.merkledb.Batch;
import io.ferry.merkledb.KeyValue;
import io.ferry.merkledb.MerkleDB;
import io.ferry.merkledb.MerkleTestSupport;
import io.ferry.merkledb.Revision;
import io.ferry.net.testing.TestNet;
import java.util.List;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.Test;

/** Re-applying a pushed commit: kept only when it continues the store and makes the signed root. */
class CommitReplayTest {
  private final Chain chain = new Chain(TestNet.key(4), 4);
  private final MerkleDB replica = Chain.newDb();

  @AfterEach
  void close() {
    chain.close();
    replica.close();
  }

  @Test
  void commitsThatContinueTheStoreAreAppliedToTheSignedRoot() {
    for (int i = 0; i < 5; i++) {
      Commit c = chain.commitRandom(6);
      assertThat(CommitReplay.replay(replica, c)).isEqualTo(Applied.APPLIED);
      assertThat(replica.revision()).isEqualTo(new Revision(c.height(), c.head().root()));
    }
    assertThat(replica.root()).isEqualTo(chain.db.root());
    assertThat(replica.height()).isEqualTo(chain.db.height());
  }

  @Test
  void anEmptyBatchIsApplied() {
    chain.commitRandom(3);
    Commit empty = chain.commit(new Batch());
    assertThat(CommitReplay.replay(replica, chain.commits.getFirst())).isEqualTo(Applied.APPLIED);
    assertThat(CommitReplay.replay(replica, empty)).isEqualTo(Applied.APPLIED);
    assertThat(replica.revision()).isEqualTo(chain.db.revision());
  }

  @Test
  void aCommitTheStoreHasIsAlreadyHad() {
    Commit first = chain.commitRandom(4);
    Commit second = chain.commitRandom(4);
    CommitReplay.replay(replica, first);
    CommitReplay.replay(replica, second);
    Revision before = replica.revision();
    assertThat(CommitReplay.replay(replica, first)).isEqualTo(Applied.ALREADY_HAD);
    assertThat(CommitReplay.replay(replica, second)).isEqualTo(Applied.ALREADY_HAD);
    // Even a lie at a height the store has passed is not looked at.
    assertThat(CommitReplay.replay(replica, Chain.tampered(second))).isEqualTo(Applied.ALREADY_HAD);
    assertThat(replica.revision()).isEqualTo(before);
  }

  @Test
  void aCommitAboveTheNextHeightIsAGap() {
    Commit first = chain.commitRandom(4);
    chain.commitRandom(4);
    Commit third = chain.commitRandom(4);
    CommitReplay.replay(replica, first);
    Revision before = replica.revision();
    assertThat(CommitReplay.replay(replica, third)).isEqualTo(Applied.GAP);
    assertThat(replica.revision()).isEqualTo(before);
  }

  @Test
  void aCommitOnAnotherParentIsAGap() {
    chain.commitRandom(4);
    Commit second = chain.commitRandom(4);
    // The replica's height 1 is some other state.
    replica.commit(new Batch().put(Bytes.wrap(new byte[] {9}), Bytes.wrap(new byte[] {9})));
    Revision before = replica.revision();
    assertThat(before.height()).isEqualTo(1);
    assertThat(CommitReplay.replay(replica, second)).isEqualTo(Applied.GAP);
    assertThat(replica.revision()).isEqualTo(before);
  }

  @Test
  void aTamperedBatchIsAWrongRootAndChangesNothing() {
    Commit first = chain.commitRandom(8);
    Commit second = chain.commitRandom(8);
    CommitReplay.replay(replica, first);
    Revision before = replica.revision();
    List<KeyValue> content = MerkleTestSupport.scan(replica, KeyRange.ALL);
    assertThat(CommitReplay.replay(replica, Chain.tampered(second))).isEqualTo(Applied.WRONG_ROOT);
    assertThat(replica.revision()).isEqualTo(before);
    assertThat(MerkleTestSupport.scan(replica, KeyRange.ALL)).isEqualTo(content);
    // The true commit still applies.
    assertThat(CommitReplay.replay(replica, second)).isEqualTo(Applied.APPLIED);
  }

  @Test
  void aHeadSignedForAnotherRootIsAWrongRoot() {
    Commit c = chain.commitRandom(3);
    Commit lie =
        new Commit(
            c.height(),
            c.parentRoot(),
            c.changes(),
            SignedHead.sign(chain.key, c.height(), Chain.root(5)));
    assertThat(CommitReplay.replay(replica, lie)).isEqualTo(Applied.WRONG_ROOT);
    assertThat(replica.height()).isZero();
  }
}
