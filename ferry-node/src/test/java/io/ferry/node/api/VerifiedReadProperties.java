package io.ferry.node.api;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.catchThrowable;

import io.ferry.core.Bytes;
import io.ferry.core.ErrorCode;
import io.ferry.core.FerryException;
import io.ferry.gossip.head.SignedHead;
import io.ferry.merkledb.BranchFactor;
import io.ferry.merkledb.MerkleDB;
import io.ferry.merkledb.Revision;
import net.jqwik.api.ForAll;
import net.jqwik.api.Property;
import net.jqwik.api.constraints.IntRange;
import net.jqwik.api.lifecycle.AfterContainer;
import net.jqwik.api.lifecycle.BeforeContainer;

/**
 * A single flipped bit anywhere in what a node answers (its proof, its value, its head) is never
 * taken: the read is refused, or, where the bit does not matter to any check (none should), it
 * still proves the true value.
 */
class VerifiedReadProperties {
  private static MerkleDB db;
  private static SignedHead head;
  private static StateAnswer honest;
  private static StateAnswer absent;

  @BeforeContainer
  static void setUp() {
    db = VerifiedReadTest.store();
    Revision r = db.revision();
    head = SignedHead.sign(VerifiedReadTest.PRODUCER, r.height(), r.root());
    honest = VerifiedReadTest.answer(db, VerifiedReadTest.PRESENT, head);
    absent = VerifiedReadTest.answer(db, VerifiedReadTest.ABSENT, head);
  }

  @AfterContainer
  static void tearDown() {
    db.close();
  }

  private static String flip(String hex, int bit) {
    byte[] b = Bytes.fromHex(hex).toByteArray();
    int i = Math.floorMod(bit, b.length * 8);
    b[i / 8] ^= (byte) (1 << (i % 8));
    return Bytes.wrap(b).toHex();
  }

  private static void neverALie(StateAnswer tampered, StateAnswer original, Bytes key) {
    Throwable t =
        catchThrowable(
            () -> {
              VerifiedRead r =
                  VerifiedRead.check(
                      tampered, key, VerifiedReadTest.PRODUCER.id(), BranchFactor.BF16);
              // Taken: then it must say exactly what the honest answer says.
              assertThat(r.value())
                  .isEqualTo(
                      original.value() == null
                          ? java.util.Optional.empty()
                          : java.util.Optional.of(Bytes.fromHex(original.value())));
            });
    if (t != null && !(t instanceof AssertionError)) {
      assertThat(t).isInstanceOf(FerryException.class);
      assertThat(((FerryException) t).code())
          .isIn(ErrorCode.VERIFICATION_FAILED, ErrorCode.INVALID_ENCODING);
    } else if (t != null) {
      throw (AssertionError) t;
    }
  }

  @Property(tries = 400)
  void aFlippedProofBitIsNeverTakenForAnotherValue(@ForAll @IntRange(min = 0) int bit) {
    for (StateAnswer a : new StateAnswer[] {honest, absent}) {
      StateAnswer t =
          new StateAnswer(a.key(), a.value(), a.head(), a.branchFactor(), flip(a.proof(), bit));
      neverALie(t, a, Bytes.fromHex(a.key()));
    }
  }

  @Property(tries = 200)
  void aFlippedHeadBitIsRefused(@ForAll @IntRange(min = 0, max = 64 * 8 + 32 * 8 - 1) int bit) {
    StateAnswer a = honest;
    StateAnswer.Head h = a.head();
    StateAnswer.Head bad =
        bit < 64 * 8
            ? new StateAnswer.Head(h.producer(), h.height(), h.root(), flip(h.signature(), bit))
            : new StateAnswer.Head(
                h.producer(), h.height(), flip(h.root(), bit - 64 * 8), h.signature());
    Throwable t =
        catchThrowable(
            () ->
                VerifiedRead.check(
                    new StateAnswer(a.key(), a.value(), bad, a.branchFactor(), a.proof()),
                    VerifiedReadTest.PRESENT,
                    VerifiedReadTest.PRODUCER.id(),
                    BranchFactor.BF16));
    assertThat(t).isInstanceOf(FerryException.class);
    assertThat(((FerryException) t).code()).isEqualTo(ErrorCode.VERIFICATION_FAILED);
  }
}
