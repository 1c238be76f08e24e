package io.ferry.node.api;

import static org.assertj.core.api.Assertions.assertThat;

import io.ferry.core.Bytes;
import io.ferry.gossip.head.SignedHead;
import io.ferry.http.HttpRoute;
import io.ferry.merkledb.Batch;
import io.ferry.merkledb.BranchFactor;
import io.ferry.merkledb.MerkleDB;
import io.ferry.merkledb.Revision;
import java.nio.charset.StandardCharsets;
import java.util.Optional;
import java.util.concurrent.atomic.AtomicReference;
import org.junit.jupiter.api.Test;

/** The server side of a verified read: the head it picks for the state the store is at. */
class StateReadsTest {
  @Test
  void provesAgainstTheHeadOfTheStoresRootOr503() {
    try (MerkleDB db = VerifiedReadTest.store()) {
      RecentHeads heads = new RecentHeads();
      AtomicReference<SignedHead> newest = new AtomicReference<>();
      StateReads reads = new StateReads(() -> db, heads, () -> Optional.ofNullable(newest.get()));
      String key = VerifiedReadTest.PRESENT.toHex();

      // No head names the store's state yet: retry later.
      HttpRoute.Answer none = reads.answer(key);
      assertThat(none.status()).isEqualTo(503);
      assertThat(none.retryAfterSeconds()).isEqualTo(1);
      assertThat(text(none)).contains("NO_SIGNED_HEAD");

      Revision at = db.revision();
      SignedHead h1 = SignedHead.sign(VerifiedReadTest.PRODUCER, at.height(), at.root());
      newest.set(h1); // learnt as the newest head, remembered on the read
      HttpRoute.Answer ok = reads.answer(key);
      assertThat(ok.status()).isEqualTo(200);
      VerifiedRead r =
          VerifiedRead.check(
              StateAnswer.fromJson(ok.body()),
              VerifiedReadTest.PRESENT,
              VerifiedReadTest.PRODUCER.id(),
              BranchFactor.BF16);
      assertThat(r.head()).isEqualTo(h1);

      // A newer head arrives before the store reaches it: the read still proves against h1.
      newest.set(SignedHead.sign(VerifiedReadTest.PRODUCER, at.height() + 1, hashOf(5)));
      HttpRoute.Answer behind = reads.answer(key);
      assertThat(StateAnswer.fromJson(behind.body()).head().height()).isEqualTo(at.height());

      // The store moves to a state no head names (a commit not yet signed): 503 again.
      db.commit(new Batch().put(Bytes.fromHex("01"), Bytes.fromHex("02")));
      assertThat(reads.answer(key).status()).isEqualTo(503);

      assertThat(reads.answer("zz").status()).isEqualTo(400);
      assertThat(text(reads.answer("zz"))).contains("INVALID_HEX");
    }
  }

  @Test
  void aClosedStoreIs503() {
    MerkleDB db = VerifiedReadTest.store();
    db.close();
    StateReads reads = new StateReads(() -> db, new RecentHeads(), Optional::empty);
    assertThat(reads.answer("00").status()).isEqualTo(503);
  }

  private static io.ferry.core.Hash hashOf(int b) {
    return io.ferry.core.Hash.of(VerifiedReadTest.filled(b));
  }

  private static String text(HttpRoute.Answer a) {
    return new String(a.body(), StandardCharsets.UTF_8);
  }
}
