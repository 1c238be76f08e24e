package io.ferry.node.api;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import io.ferry.core.Bytes;
import io.ferry.core.ErrorCode;
import io.ferry.core.FerryException;
import io.ferry.core.Hash;
import io.ferry.core.identity.NodeKey;
import io.ferry.gossip.head.SignedHead;
import io.ferry.merkledb.Batch;
import io.ferry.merkledb.BranchFactor;
import io.ferry.merkledb.MerkleDB;
import io.ferry.merkledb.MerkleDBConfig;
import io.ferry.merkledb.Revision;
import io.ferry.merkledb.StateSnapshot;
import io.ferry.merkledb.proof.ProofGenerator;
import java.util.Optional;
import java.util.Random;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;

/** What a reader of an untrusted node refuses, and what it takes. */
class VerifiedReadTest {
  static final NodeKey PRODUCER = NodeKey.fromSeed(new byte[32]);
  static final NodeKey STRANGER = NodeKey.fromSeed(filled(7));
  static final Bytes PRESENT = Bytes.fromHex("00112233");
  static final Bytes ABSENT = Bytes.fromHex("ffeedd");

  private MerkleDB db;
  private SignedHead head;

  static byte[] filled(int b) {
    byte[] a = new byte[32];
    java.util.Arrays.fill(a, (byte) b);
    return a;
  }

  /** A store of 200 random keys and {@link #PRESENT}, and the producer's head of it. */
  static MerkleDB store() {
    MerkleDB db = MerkleDB.inMemory(MerkleDBConfig.defaults());
    Batch b = new Batch();
    Random r = new Random(3);
    for (int i = 0; i < 200; i++) {
      byte[] k = new byte[8];
      byte[] v = new byte[20];
      r.nextBytes(k);
      r.nextBytes(v);
      b.put(Bytes.wrap(k), Bytes.wrap(v));
    }
    b.put(PRESENT, Bytes.fromHex("cafe"));
    db.commit(b);
    return db;
  }

  @BeforeEach
  void setUp() {
    db = store();
    Revision r = db.revision();
    head = SignedHead.sign(PRODUCER, r.height(), r.root());
  }

  @AfterEach
  void tearDown() {
    db.close();
  }

  static StateAnswer answer(MerkleDB db, Bytes key, SignedHead head) {
    try (StateSnapshot s = db.snapshot()) {
      return StateAnswer.of(ProofGenerator.proof(s, key), head, s.branchFactor());
    }
  }

  private VerifiedRead check(StateAnswer a, Bytes key) {
    return VerifiedRead.check(a, key, PRODUCER.id(), BranchFactor.BF16);
  }

  private void refused(StateAnswer a, Bytes key, ErrorCode code, String why) {
    assertThatThrownBy(() -> check(a, key))
        .isInstanceOfSatisfying(FerryException.class, e -> assertThat(e.code()).isEqualTo(code))
        .hasMessageContaining(why);
  }

  @Test
  void anHonestAnswerProvesTheValueOrItsAbsence() {
    VerifiedRead in = check(answer(db, PRESENT, head), PRESENT);
    assertThat(in.value()).contains(Bytes.fromHex("cafe"));
    assertThat(in.head()).isEqualTo(head);
    VerifiedRead out = check(answer(db, ABSENT, head), ABSENT);
    assertThat(out.value()).isEmpty();
    // Through JSON and back, as the client reads it.
    StateAnswer viaJson = StateAnswer.fromJson(answer(db, PRESENT, head).toJson());
    assertThat(check(viaJson, PRESENT).value()).contains(Bytes.fromHex("cafe"));
  }

  @Test
  void aTamperedValueIsRefused() {
    StateAnswer a = answer(db, PRESENT, head);
    StateAnswer lie = new StateAnswer(a.key(), "beef", a.head(), a.branchFactor(), a.proof());
    refused(lie, PRESENT, ErrorCode.VERIFICATION_FAILED, "the proof proves value cafe");
    StateAnswer hidden = new StateAnswer(a.key(), null, a.head(), a.branchFactor(), a.proof());
    refused(hidden, PRESENT, ErrorCode.VERIFICATION_FAILED, "states no value");
  }

  @Test
  void aProofOfAnotherValueIsRefused() {
    // A node that changed the value in its store: its proof reaches another root.
    try (MerkleDB other = store()) {
      other.commit(new Batch().put(PRESENT, Bytes.fromHex("beef")));
      StateAnswer forged = answer(other, PRESENT, head);
      refused(forged, PRESENT, ErrorCode.VERIFICATION_FAILED, "does not reach the root");
      // ... and one that claims the key absent while the signed state holds it.
      other.commit(new Batch().delete(PRESENT));
      refused(answer(other, PRESENT, head), PRESENT, ErrorCode.VERIFICATION_FAILED, "root");
    }
  }

  @Test
  void aProofOfAnotherKeyIsRefused() {
    StateAnswer other = answer(db, ABSENT, head);
    StateAnswer swapped =
        new StateAnswer(PRESENT.toHex(), null, other.head(), other.branchFactor(), other.proof());
    refused(swapped, PRESENT, ErrorCode.VERIFICATION_FAILED, "the proof is of key");
    refused(answer(db, ABSENT, head), PRESENT, ErrorCode.VERIFICATION_FAILED, "is for key");
  }

  @Test
  void aBadSignatureIsRefused() {
    StateAnswer a = answer(db, PRESENT, head);
    byte[] sig = head.signature().toByteArray();
    sig[5] ^= 1;
    StateAnswer.Head bad =
        new StateAnswer.Head(
            a.head().producer(), a.head().height(), a.head().root(), Bytes.wrap(sig).toHex());
    refused(
        new StateAnswer(a.key(), a.value(), bad, a.branchFactor(), a.proof()),
        PRESENT,
        ErrorCode.VERIFICATION_FAILED,
        "does not verify");
    // The producer's signature moved to another height: it covers the height too.
    StateAnswer.Head moved =
        new StateAnswer.Head(
            a.head().producer(), a.head().height() + 1, a.head().root(), a.head().signature());
    refused(
        new StateAnswer(a.key(), a.value(), moved, a.branchFactor(), a.proof()),
        PRESENT,
        ErrorCode.VERIFICATION_FAILED,
        "does not verify");
  }

  @Test
  void anotherProducersHeadIsRefused() {
    // Honestly signed, and the proof holds: but by a producer this reader does not trust.
    SignedHead theirs = SignedHead.sign(STRANGER, head.height(), head.root());
    refused(answer(db, PRESENT, theirs), PRESENT, ErrorCode.VERIFICATION_FAILED, "not the trusted");
  }

  @Test
  void aHeadOfAnotherRootIsRefused() {
    SignedHead elsewhere = SignedHead.sign(PRODUCER, head.height(), Hash.of(filled(9)));
    refused(answer(db, PRESENT, elsewhere), PRESENT, ErrorCode.VERIFICATION_FAILED, "root");
  }

  @Test
  void anotherBranchFactorIsRefused() {
    StateAnswer a = answer(db, PRESENT, head);
    assertThatThrownBy(() -> VerifiedRead.check(a, PRESENT, PRODUCER.id(), BranchFactor.BF256))
        .isInstanceOfSatisfying(
            FerryException.class,
            e -> assertThat(e.code()).isEqualTo(ErrorCode.VERIFICATION_FAILED))
        .hasMessageContaining("branch factor 16");
  }

  @Test
  void aMalformedAnswerIsABadInput() {
    StateAnswer a = answer(db, PRESENT, head);
    refused(
        new StateAnswer(a.key(), a.value(), null, 16, a.proof()),
        PRESENT,
        ErrorCode.INVALID_ENCODING,
        "lacks");
    refused(
        new StateAnswer(a.key(), "xyz", a.head(), 16, a.proof()),
        PRESENT,
        ErrorCode.INVALID_ENCODING,
        "not hex");
    assertThatThrownBy(() -> StateAnswer.fromJson("not json".getBytes()))
        .isInstanceOfSatisfying(
            FerryException.class, e -> assertThat(e.code()).isEqualTo(ErrorCode.INVALID_ENCODING));
    assertThat(Optional.of(a.head().producer())).contains(PRODUCER.id().toString());
  }
}
