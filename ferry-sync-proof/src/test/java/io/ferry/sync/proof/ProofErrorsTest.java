package io.ferry.sync.proof;

import static io.ferry.sync.proof.Requests.UNLIMITED;
import static io.ferry.sync.proof.Requests.key;
import static org.assertj.core.api.Assertions.assertThat;

import com.google.protobuf.ByteString;
import io.ferry.core.ErrorCode;
import io.ferry.core.Hash;
import io.ferry.core.KeyRange;
import io.ferry.core.Limits;
import io.ferry.merkledb.StateModel;
import io.ferry.merkledb.proof.ProofCodec;
import io.ferry.net.memory.MemoryTransport;
import io.ferry.wire.v1.GetChangeProofRequest;
import io.ferry.wire.v1.GetRangeProofRequest;
import io.ferry.wire.v1.MaybeBytes;
import io.ferry.wire.v1.Request;
import java.util.Arrays;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.TestInstance;

/**
 * Every failure reaches the client as a typed error with the right code (AvalancheGo's server drops
 * these requests silently; Ferry answers them), and misuse costs the peer score.
 */
@TestInstance(TestInstance.Lifecycle.PER_CLASS)
class ProofErrorsTest {
  private static final int HISTORY = 3;

  private Harness h;
  private MemoryTransport client;
  private StateModel m;
  private Hash head;
  private Hash pruned;
  private final Hash unknown = Hash.of(filled(32, (byte) 7));

  @BeforeAll
  void start() {
    h = Harness.start(HISTORY);
    m = new StateModel(5);
    m.fill(h.db, 200, 8);
    for (int i = 0; i < HISTORY + 1; i++) {
      m.churn(h.db, 200, 20);
    }
    head = h.db.root();
    pruned = m.root(1L);
    assertThat(h.db.hasRoot(pruned)).isFalse();
    client = h.client();
  }

  @AfterAll
  void stop() {
    h.close();
  }

  /** Sends from a new client each time: a bad request costs score, and four would ban one. */
  private void expect(Request request, ErrorCode code) {
    h.assertRemoteError(h.client(), request.toByteString(), code);
  }

  private static byte[] filled(int n, byte b) {
    byte[] out = new byte[n];
    Arrays.fill(out, b);
    return out;
  }

  @Test
  void anUnknownRootIsNotFoundAndAPrunedOneInsufficientHistory() {
    expect(Requests.range(unknown, KeyRange.ALL, 10, UNLIMITED), ErrorCode.NOT_FOUND);
    expect(Requests.range(pruned, KeyRange.ALL, 10, UNLIMITED), ErrorCode.INSUFFICIENT_HISTORY);
  }

  @Test
  void theEmptyRootAndRootsOfTheWrongLengthAreInvalidArguments() {
    expect(Requests.range(Hash.ZERO, KeyRange.ALL, 10, UNLIMITED), ErrorCode.INVALID_ARGUMENT);
    expect(
        Requests.range(ByteString.copyFrom(filled(31, (byte) 1)), KeyRange.ALL, 10, UNLIMITED),
        ErrorCode.INVALID_ARGUMENT);
    expect(
        Requests.range(ByteString.EMPTY, KeyRange.ALL, 10, UNLIMITED), ErrorCode.INVALID_ARGUMENT);
  }

  @Test
  void zeroLimitsAreInvalidArguments() {
    expect(Requests.range(head, KeyRange.ALL, 0, UNLIMITED), ErrorCode.INVALID_ARGUMENT);
    expect(Requests.range(head, KeyRange.ALL, 10, 0), ErrorCode.INVALID_ARGUMENT);
    Hash previous = m.root(h.db.height() - 1);
    expect(Requests.change(previous, head, KeyRange.ALL, 0, UNLIMITED), ErrorCode.INVALID_ARGUMENT);
    expect(Requests.change(previous, head, KeyRange.ALL, 10, 0), ErrorCode.INVALID_ARGUMENT);
  }

  @Test
  void aStartKeyAfterTheEndKeyIsAnInvalidArgument() {
    GetRangeProofRequest.Builder r =
        Requests.range(head, KeyRange.ALL, 10, UNLIMITED).getRangeProofRequest().toBuilder();
    r.setStartKey(ProofCodec.maybe(key(9))).setEndKey(ProofCodec.maybe(key(8)));
    expect(Request.newBuilder().setRangeProofRequest(r).build(), ErrorCode.INVALID_ARGUMENT);

    Hash previous = m.root(h.db.height() - 1);
    GetChangeProofRequest.Builder c =
        Requests.change(previous, head, KeyRange.ALL, 10, UNLIMITED)
            .getChangeProofRequest()
            .toBuilder();
    c.setStartKey(ProofCodec.maybe(key(9))).setEndKey(ProofCodec.maybe(key(8)));
    expect(Request.newBuilder().setChangeProofRequest(c).build(), ErrorCode.INVALID_ARGUMENT);
  }

  @Test
  void boundsThatAreNothingWithAValueOrLongerThanAnyKeyAreRefused() {
    GetRangeProofRequest.Builder r =
        Requests.range(head, KeyRange.ALL, 10, UNLIMITED).getRangeProofRequest().toBuilder();
    r.setStartKey(
        MaybeBytes.newBuilder().setIsNothing(true).setValue(ByteString.copyFromUtf8("x")));
    expect(Request.newBuilder().setRangeProofRequest(r).build(), ErrorCode.INVALID_ARGUMENT);

    r.setStartKey(
        MaybeBytes.newBuilder().setValue(ByteString.copyFrom(new byte[Limits.MAX_KEY_BYTES + 1])));
    expect(Request.newBuilder().setRangeProofRequest(r).build(), ErrorCode.LIMIT_EXCEEDED);

    // "nothing" without a value is simply no bound, as in merkledb
    r.setStartKey(MaybeBytes.newBuilder().setIsNothing(true));
    ByteString ok =
        Harness.await(h.send(client, Request.newBuilder().setRangeProofRequest(r).build()));
    Proofs.verifiedRange(ok, KeyRange.ALL, 10, head, h.db.branchFactor());
  }

  @Test
  void bytesThatDoNotParseAreInvalidEncodingAndCostThePeerScore() {
    MemoryTransport other = h.client();
    int before = h.serverTransport.peerManager().standing(other.localId()).score();
    h.assertRemoteError(
        other, ByteString.copyFrom(new byte[] {0x0a, 0x7f, 1}), ErrorCode.INVALID_ENCODING);
    h.assertRemoteError(
        other, ByteString.copyFrom(new byte[] {(byte) 0xff}), ErrorCode.INVALID_ENCODING);
    assertThat(h.serverTransport.peerManager().standing(other.localId()).score())
        .isLessThan(before);
  }

  @Test
  void repeatedMisuseGetsThePeerBanned() {
    MemoryTransport other = h.client();
    Request zeroLimit = Requests.range(head, KeyRange.ALL, 0, UNLIMITED);
    for (int i = 0; i < 3; i++) {
      h.assertRemoteError(other, zeroLimit.toByteString(), ErrorCode.INVALID_ARGUMENT);
    }
    Harness.awaitError(h.send(other, zeroLimit)); // the fourth bad request: banned
    assertThat(h.serverTransport.peerManager().isBanned(other.localId())).isTrue();
    // honest mistakes cost nothing: unknown roots are not misuse
    MemoryTransport honest = h.client();
    for (int i = 0; i < 6; i++) {
      h.assertRemoteError(
          honest,
          Requests.range(unknown, KeyRange.ALL, 10, UNLIMITED).toByteString(),
          ErrorCode.NOT_FOUND);
    }
    assertThat(h.serverTransport.peerManager().standing(honest.localId()).score()).isZero();
  }

  @Test
  void aRequestOfNoKnownKindIsUnsupported() {
    h.assertRemoteError(client, ByteString.EMPTY, ErrorCode.UNSUPPORTED);
  }

  @Test
  void changeProofEndRootsAreCheckedLikeRangeProofRoots() {
    Hash previous = m.root(h.db.height() - 1);
    expect(Requests.change(previous, unknown, KeyRange.ALL, 10, UNLIMITED), ErrorCode.NOT_FOUND);
    expect(
        Requests.change(previous, pruned, KeyRange.ALL, 10, UNLIMITED),
        ErrorCode.INSUFFICIENT_HISTORY);
    expect(
        Requests.change(previous, Hash.ZERO, KeyRange.ALL, 10, UNLIMITED),
        ErrorCode.INVALID_ARGUMENT);
    expect(Requests.change(head, head, KeyRange.ALL, 10, UNLIMITED), ErrorCode.INVALID_ARGUMENT);
    // backwards, between two retained roots: a bad request, not missing history
    expect(
        Requests.change(head, previous, KeyRange.ALL, 10, UNLIMITED), ErrorCode.INVALID_ARGUMENT);
  }

  /**
   * A change request that says the heights of its roots hears "not yet" ({@code NOT_FOUND}) for an
   * end root this server lacks only while the server may still give the change; once it is past the
   * end height, or past the start height without the start root, the answer is "never" ({@code
   * INSUFFICIENT_HISTORY}), so the client stops waiting for it.
   */
  @Test
  void aMissingEndRootIsNotYetOnlyWhileThisServerMayStillGiveTheChange() {
    long at = h.db.height(); // 5: heights 3 to 5 retained
    Hash previous = m.root(at - 1);
    // past the end height without its root: it never will hold it (a follower that jumped over it)
    expect(
        Requests.change(previous, unknown, KeyRange.ALL, 10, UNLIMITED, at - 1, at),
        ErrorCode.INSUFFICIENT_HISTORY);
    expect(
        Requests.change(previous, unknown, KeyRange.ALL, 10, UNLIMITED, at - 1, at - 1),
        ErrorCode.INSUFFICIENT_HISTORY);
    // below the end height, holding the start root: it may get there and give the change
    expect(
        Requests.change(previous, unknown, KeyRange.ALL, 10, UNLIMITED, at - 1, at + 1),
        ErrorCode.NOT_FOUND);
    // below the end height, but past the start height without the start root (pruned or skipped)
    expect(
        Requests.change(pruned, unknown, KeyRange.ALL, 10, UNLIMITED, 1, at + 1),
        ErrorCode.INSUFFICIENT_HISTORY);
    expect(
        Requests.change(unknown, m.root(1L), KeyRange.ALL, 10, UNLIMITED, 4, at + 1),
        ErrorCode.INSUFFICIENT_HISTORY);
    // below the start height too: behind the client, it may still commit both roots
    expect(
        Requests.change(pruned, unknown, KeyRange.ALL, 10, UNLIMITED, at + 1, at + 2),
        ErrorCode.NOT_FOUND);
    // a root pruned from history stays "too old", heights or not
    expect(
        Requests.change(previous, pruned, KeyRange.ALL, 10, UNLIMITED, at - 1, at + 1),
        ErrorCode.INSUFFICIENT_HISTORY);
    // without heights (an older client) an unknown end root is NOT_FOUND, as it always was
    expect(Requests.change(previous, unknown, KeyRange.ALL, 10, UNLIMITED), ErrorCode.NOT_FOUND);
  }

  @Test
  void heightsDoNotChangeTheAnswerWhenTheEndRootIsRetained() {
    long at = h.db.height();
    Hash previous = m.root(at - 1);
    ByteString change =
        Harness.await(
            h.send(
                client,
                Requests.change(previous, head, KeyRange.ALL, 2048, UNLIMITED, at - 1, at)));
    assertThat(Proofs.changeResponse(change).hasChangeProof()).isTrue();
    // the start root left the window: a range proof at the end root, as without heights
    ByteString range =
        Harness.await(
            h.send(client, Requests.change(pruned, head, KeyRange.ALL, 2048, UNLIMITED, 1, at)));
    assertThat(Proofs.changeResponse(range).hasRangeProof()).isTrue();
  }

  @Test
  void aHeightBeyondAnyIsAnInvalidArgument() {
    Hash previous = m.root(h.db.height() - 1);
    expect(
        Requests.change(previous, head, KeyRange.ALL, 10, UNLIMITED, -1, h.db.height()),
        ErrorCode.INVALID_ARGUMENT);
    expect(
        Requests.change(previous, head, KeyRange.ALL, 10, UNLIMITED, 1, Long.MIN_VALUE),
        ErrorCode.INVALID_ARGUMENT);
  }

  @Test
  void aByteLimitTooSmallForOneKeyValueIsLimitExceeded() {
    expect(Requests.range(head, KeyRange.ALL, 10, 16), ErrorCode.LIMIT_EXCEEDED);
    Hash previous = m.root(h.db.height() - 1);
    expect(Requests.change(previous, head, KeyRange.ALL, 10, 16), ErrorCode.LIMIT_EXCEEDED);
  }

  @Test
  void theRequestKeepsAvalancheGosFieldNumbers() {
    // sync.Request: range_proof_request = 1, change_proof_request = 2 (both length-delimited)
    assertThat(Requests.range(head, KeyRange.ALL, 1, 1).toByteArray()[0]).isEqualTo((byte) 0x0a);
    assertThat(Requests.change(pruned, head, KeyRange.ALL, 1, 1).toByteArray()[0])
        .isEqualTo((byte) 0x12);
    // Ferry's heights are fields 100 and 101 (varints), away from AvalancheGo's 1 to 6
    assertThat(
            GetChangeProofRequest.newBuilder()
                .setStartHeight(1)
                .setEndHeight(5)
                .build()
                .toByteArray())
        .containsExactly(0xa0, 0x06, 0x01, 0xa8, 0x06, 0x05);
  }
}
