package io.ferry.sync.push;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import com.google.protobuf.ByteString;
import io.ferry.core.Bytes;
import io.ferry.core.ErrorCode;
import io.ferry.core.FerryException;
import io.ferry.core.Limits;
import io.ferry.core.identity.NodeKey;
import io.ferry.gossip.head.SignedHead;
import io.ferry.merkledb.KeyChange;
import io.ferry.net.testing.TestNet;
import io.ferry.wire.v1.MaybeBytes;
import io.ferry.wire.v1.Poll;
import io.ferry.wire.v1.PushCommits;
import io.ferry.wire.v1.PushSyncMessage;
import io.ferry.wire.v1.Subscribe;
import io.ferry.wire.v1.SubscribeResponse;
import io.ferry.wire.v1.SyncTypeError;
import java.util.ArrayList;
import java.util.List;
import java.util.Optional;
import java.util.function.UnaryOperator;
import org.junit.jupiter.api.Test;

/** The push-sync messages: round trips, the limits, and what counts as malformed. */
class MessagesTest {
  private static final NodeKey PRODUCER = TestNet.key(1);

  static Commit commit(long height, KeyChange... changes) {
    return new Commit(
        height,
        Chain.root((int) height - 1),
        List.of(changes),
        SignedHead.sign(PRODUCER, height, Chain.root((int) height)));
  }

  static KeyChange put(String key, String value) {
    return KeyChange.put(Bytes.wrap(key.getBytes()), Bytes.wrap(value.getBytes()));
  }

  static KeyChange delete(String key) {
    return KeyChange.delete(Bytes.wrap(key.getBytes()));
  }

  private static ByteString push(List<Commit> commits) {
    return Messages.push(commits.stream().map(Messages::commitEntry).toList());
  }

  private static void assertFails(ByteString payload, ErrorCode code) {
    assertThatThrownBy(() -> Messages.decode(payload))
        .isInstanceOfSatisfying(FerryException.class, e -> assertThat(e.code()).isEqualTo(code));
  }

  static PushCommits parsePush(ByteString payload) {
    try {
      return PushSyncMessage.parseFrom(payload).getPush();
    } catch (com.google.protobuf.InvalidProtocolBufferException e) {
      throw new AssertionError("a push does not parse", e);
    }
  }

  private static ByteString message(PushSyncMessage.Builder m) {
    return m.build().toByteString();
  }

  /** A valid encoded push of commits 5 and 6, changed by {@code edit}. */
  private static ByteString editedPush(UnaryOperator<PushCommits.Builder> edit) {
    PushCommits p = parsePush(push(List.of(commit(5, put("a", "1")), commit(6, delete("b")))));
    return message(PushSyncMessage.newBuilder().setPush(edit.apply(p.toBuilder())));
  }

  // ------------------------------------------------------------------ round trips

  @Test
  void aSubscribeRoundTrips() {
    List<KnownHead> heads =
        List.of(new KnownHead(0, Chain.root(0)), new KnownHead(7, Chain.root(7)));
    Messages.Message m = Messages.decode(Messages.subscribe(90, 1234567, heads));
    assertThat(m).isEqualTo(new Messages.SubscribeMsg(90, 1234567, heads));
  }

  @Test
  void aSubscribeWithTheLongestWindowAndMostHeadsRoundTrips() {
    List<KnownHead> heads = new ArrayList<>();
    for (int i = 0; i < Limits.MAX_HEADS_PER_SAMPLE; i++) {
      heads.add(new KnownHead(i, Chain.root(i)));
    }
    Messages.Message m =
        Messages.decode(Messages.subscribe(Limits.MAX_SUBSCRIPTION_SECONDS, Long.MAX_VALUE, heads));
    assertThat(m)
        .isEqualTo(
            new Messages.SubscribeMsg(Limits.MAX_SUBSCRIPTION_SECONDS, Long.MAX_VALUE, heads));
  }

  @Test
  void anUnsubscribeRoundTrips() {
    assertThat(Messages.decode(Messages.unsubscribe())).isEqualTo(new Messages.UnsubscribeMsg());
  }

  @Test
  void aPollRoundTripsItsRequestUntouched() {
    ByteString request = ByteString.copyFrom(new byte[] {8, 1, 18, 3, 1, 2, 3});
    assertThat(Messages.decode(Messages.poll(request))).isEqualTo(new Messages.PollMsg(request));
  }

  @Test
  void aPushRoundTripsWithItsSize() {
    List<Commit> commits =
        List.of(
            commit(3, put("a", "1"), delete("b"), put("c", "")),
            commit(4),
            commit(5, delete("zz")));
    ByteString payload = push(commits);
    Messages.Message m = Messages.decode(payload);
    assertThat(m).isEqualTo(new Messages.PushMsg(commits, payload.size()));
    // A put of an empty value stays a put; a delete stays a delete.
    Commit first = ((Messages.PushMsg) m).commits().getFirst();
    assertThat(first.changes().get(2).value()).contains(Bytes.EMPTY);
    assertThat(first.changes().get(1).value()).isEmpty();
  }

  @Test
  void answersRoundTrip() {
    assertThat(Messages.decodeAnswer(Messages.granted(new Messages.Granted(60, 1 << 20))))
        .contains(new Messages.Granted(60, 1 << 20));
    assertThat(Messages.decodeAnswer(Messages.refusedFull())).isEmpty();
  }

  @Test
  void aDeleteIsEncodedAsNoValueAsTheWireSays() {
    ByteString entry = Messages.commitEntry(commit(2, delete("k"), put("v", "")));
    PushCommits p = parsePush(Messages.push(List.of(entry)));
    io.ferry.wire.v1.KeyChange del = p.getCommits(0).getChanges(0);
    io.ferry.wire.v1.KeyChange emptyPut = p.getCommits(0).getChanges(1);
    assertThat(del.hasValue()).isFalse();
    assertThat(emptyPut.hasValue()).isTrue();
    assertThat(emptyPut.getValue().getIsNothing()).isFalse();
  }

  @Test
  void aDeleteFromAPeerThatSetsIsNothingIsReadAsADelete() {
    ByteString payload =
        editedPush(
            p -> {
              p.getCommitsBuilder(0)
                  .getChangesBuilder(0)
                  .setValue(MaybeBytes.newBuilder().setIsNothing(true));
              return p;
            });
    Messages.PushMsg m = (Messages.PushMsg) Messages.decode(payload);
    assertThat(m.commits().getFirst().changes().getFirst().value()).isEmpty();
  }

  @Test
  void pushSizeCountsALengthOfThreeBytes() {
    byte[] big = new byte[40_000];
    Commit c = commit(9, KeyChange.put(Bytes.wrap(new byte[] {1}), Bytes.wrap(big)), put("b", "2"));
    ByteString entry = Messages.commitEntry(c);
    ByteString payload = Messages.push(List.of(entry, entry));
    assertThat(Messages.pushSize(2 * entry.size())).isEqualTo(payload.size());
    assertThat(Messages.pushSize(0)).isEqualTo(Messages.push(List.of()).size());
  }

  // ------------------------------------------------------------------ limits

  @Test
  void aMessageOverTheLimitIsRefusedBeforeItIsParsed() {
    // Bytes that would not parse: the size is what it is refused for.
    byte[] junk = new byte[Limits.MAX_PUSH_MESSAGE_BYTES + 1];
    java.util.Arrays.fill(junk, (byte) 0xff);
    assertFails(ByteString.copyFrom(junk), ErrorCode.LIMIT_EXCEEDED);
  }

  @Test
  void aMessageAtTheLimitIsParsed() {
    byte[] junk = new byte[Limits.MAX_PUSH_MESSAGE_BYTES];
    java.util.Arrays.fill(junk, (byte) 0xff);
    assertFails(ByteString.copyFrom(junk), ErrorCode.INVALID_ENCODING);
  }

  @Test
  void tooManyKnownHeadsIsOverTheLimit() {
    List<KnownHead> heads = new ArrayList<>();
    for (int i = 0; i <= Limits.MAX_HEADS_PER_SAMPLE; i++) {
      heads.add(new KnownHead(i, Chain.root(i)));
    }
    assertFails(Messages.subscribe(60, 100, heads), ErrorCode.LIMIT_EXCEEDED);
  }

  @Test
  void tooManyCommitsIsOverTheLimit() {
    List<Commit> commits = new ArrayList<>();
    for (int h = 1; h <= Limits.MAX_COMMITS_PER_PUSH + 1; h++) {
      commits.add(commit(h));
    }
    assertFails(push(commits), ErrorCode.LIMIT_EXCEEDED);
    assertThat(Messages.decode(push(commits.subList(0, Limits.MAX_COMMITS_PER_PUSH))))
        .isInstanceOfSatisfying(
            Messages.PushMsg.class,
            p -> assertThat(p.commits()).hasSize(Limits.MAX_COMMITS_PER_PUSH));
  }

  @Test
  void aKeyOverTheLimitIsOverTheLimit() {
    ByteString payload =
        editedPush(
            p -> {
              p.getCommitsBuilder(0)
                  .getChangesBuilder(0)
                  .setKey(ByteString.copyFrom(new byte[Limits.MAX_KEY_BYTES + 1]));
              return p;
            });
    assertFails(payload, ErrorCode.LIMIT_EXCEEDED);
  }

  // ------------------------------------------------------------------ malformed

  @Test
  void bytesThatDoNotParseAreMalformed() {
    assertFails(ByteString.copyFrom(new byte[] {(byte) 0xff, 1, 2}), ErrorCode.INVALID_ENCODING);
  }

  @Test
  void anEmptyMessageIsMalformed() {
    assertFails(ByteString.EMPTY, ErrorCode.INVALID_ENCODING);
  }

  @Test
  void aKnownHeadRootOfTheWrongLengthIsMalformed() {
    ByteString payload =
        message(
            PushSyncMessage.newBuilder()
                .setSubscribe(
                    Subscribe.newBuilder()
                        .setRemainOpen(60)
                        .setMaxBytes(100)
                        .addKnownHeads(
                            io.ferry.wire.v1.KnownHead.newBuilder()
                                .setHeight(3)
                                .setRoot(ByteString.copyFrom(new byte[31])))));
    assertFails(payload, ErrorCode.INVALID_ENCODING);
  }

  @Test
  void aKnownHeadHeightPastASignedLongIsMalformed() {
    ByteString payload =
        message(
            PushSyncMessage.newBuilder()
                .setSubscribe(
                    Subscribe.newBuilder()
                        .setRemainOpen(60)
                        .setMaxBytes(100)
                        .addKnownHeads(
                            io.ferry.wire.v1.KnownHead.newBuilder()
                                .setHeight(-1L)
                                .setRoot(ByteString.copyFrom(Chain.root(1).toBytes())))));
    assertFails(payload, ErrorCode.INVALID_ENCODING);
  }

  @Test
  void aWindowOfZeroOrOverAnHourIsMalformed() {
    assertFails(Messages.subscribe(0, 100, List.of()), ErrorCode.INVALID_ENCODING);
    assertFails(
        Messages.subscribe(Limits.MAX_SUBSCRIPTION_SECONDS + 1, 100, List.of()),
        ErrorCode.INVALID_ENCODING);
    // uint32 on the wire: a window past 2^31 must not pass as a negative int.
    assertFails(Messages.subscribe(-5, 100, List.of()), ErrorCode.INVALID_ENCODING);
    assertThat(Messages.decode(Messages.subscribe(1, 100, List.of())))
        .isEqualTo(new Messages.SubscribeMsg(1, 100, List.of()));
  }

  @Test
  void aBudgetOfNothingIsMalformed() {
    assertFails(Messages.subscribe(60, 0, List.of()), ErrorCode.INVALID_ENCODING);
    assertFails(Messages.subscribe(60, -1, List.of()), ErrorCode.INVALID_ENCODING);
  }

  @Test
  void aParentRootOfTheWrongLengthIsMalformed() {
    assertFails(
        editedPush(
            p -> {
              p.getCommitsBuilder(1).setParentRoot(ByteString.copyFrom(new byte[33]));
              return p;
            }),
        ErrorCode.INVALID_ENCODING);
  }

  @Test
  void commitsOfHeightsNotConsecutiveAreMalformed() {
    assertFails(push(List.of(commit(5), commit(7))), ErrorCode.INVALID_ENCODING);
    assertFails(push(List.of(commit(5), commit(5))), ErrorCode.INVALID_ENCODING);
    assertFails(push(List.of(commit(6), commit(5))), ErrorCode.INVALID_ENCODING);
  }

  @Test
  void keysOutOfOrderOrRepeatedAreMalformed() {
    assertFails(
        editedPush(
            p -> {
              p.getCommitsBuilder(0).addChanges(p.getCommits(0).getChanges(0));
              return p;
            }),
        ErrorCode.INVALID_ENCODING);
    assertFails(
        editedPush(
            p -> {
              p.getCommitsBuilder(0)
                  .addChanges(
                      io.ferry.wire.v1.KeyChange.newBuilder()
                          .setKey(ByteString.copyFromUtf8("0"))
                          .setValue(
                              MaybeBytes.newBuilder().setValue(ByteString.copyFromUtf8("x"))));
              return p;
            }),
        ErrorCode.INVALID_ENCODING);
  }

  @Test
  void aHeadAtAnotherHeightThanItsCommitIsMalformed() {
    SignedHead other = SignedHead.sign(PRODUCER, 9, Chain.root(9));
    assertFails(
        editedPush(
            p -> {
              p.getCommitsBuilder(0).setHead(other.toProto());
              return p;
            }),
        ErrorCode.INVALID_ENCODING);
  }

  @Test
  void aCommitWithoutHeadIsMalformed() {
    assertFails(
        editedPush(
            p -> {
              p.getCommitsBuilder(1).clearHead();
              return p;
            }),
        ErrorCode.INVALID_ENCODING);
  }

  @Test
  void aHeadWithAShortSignatureIsMalformed() {
    assertFails(
        editedPush(
            p -> {
              p.getCommitsBuilder(0)
                  .getHeadBuilder()
                  .setSignature(ByteString.copyFrom(new byte[63]));
              return p;
            }),
        ErrorCode.INVALID_ENCODING);
  }

  @Test
  void aCommitAtHeightZeroIsMalformed() {
    assertFails(
        editedPush(
            p -> {
              p.removeCommits(1);
              p.getCommitsBuilder(0).setHeight(0).getHeadBuilder().setHeight(0);
              return p;
            }),
        ErrorCode.INVALID_ENCODING);
  }

  @Test
  void aPollWithNothingSetIsStillAPoll() {
    assertThat(Messages.decode(message(PushSyncMessage.newBuilder().setPoll(Poll.newBuilder()))))
        .isEqualTo(new Messages.PollMsg(ByteString.EMPTY));
  }

  @Test
  void answersThatGrantNothingOrDoNotParseAreMalformed() {
    for (ByteString bad :
        List.of(
            ByteString.copyFrom(new byte[] {(byte) 0xff}),
            SubscribeResponse.newBuilder().setMaxBytes(10).build().toByteString(),
            SubscribeResponse.newBuilder().setRemainOpen(10).build().toByteString(),
            SubscribeResponse.newBuilder()
                .setErrorValue(7)
                .setRemainOpen(10)
                .setMaxBytes(10)
                .build()
                .toByteString())) {
      assertThatThrownBy(() -> Messages.decodeAnswer(bad))
          .isInstanceOfSatisfying(
              FerryException.class,
              e -> assertThat(e.code()).isEqualTo(ErrorCode.INVALID_ENCODING));
    }
    assertThat(
            Messages.decodeAnswer(
                SubscribeResponse.newBuilder()
                    .setError(SyncTypeError.SYNC_TYPE_ERROR_MAXIMUM_SUBSCRIPTIONS_EXCEEDED)
                    .build()
                    .toByteString()))
        .isEqualTo(Optional.empty());
  }
}
