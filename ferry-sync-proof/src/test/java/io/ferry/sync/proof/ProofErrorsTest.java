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
  }
}
