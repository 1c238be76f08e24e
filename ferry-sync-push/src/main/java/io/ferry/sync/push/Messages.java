package io.ferry.sync.push;

import com.google.protobuf.ByteString;
import com.google.protobuf.CodedOutputStream;
import com.google.protobuf.InvalidProtocolBufferException;
import com.google.protobuf.UnsafeByteOperations;
import com.google.protobuf.WireFormat;
import io.ferry.core.Bytes;
import io.ferry.core.ErrorCode;
import io.ferry.core.FerryException;
import io.ferry.core.Hash;
import io.ferry.core.Limits;
import io.ferry.gossip.head.SignedHead;
import io.ferry.merkledb.Batch;
import io.ferry.merkledb.KeyChange;
import io.ferry.wire.v1.MaybeBytes;
import io.ferry.wire.v1.Poll;
import io.ferry.wire.v1.PushSyncMessage;
import io.ferry.wire.v1.Subscribe;
import io.ferry.wire.v1.SubscribeResponse;
import io.ferry.wire.v1.SyncTypeError;
import io.ferry.wire.v1.Unsubscribe;
import java.io.IOException;
import java.util.ArrayList;
import java.util.List;
import java.util.Optional;

/**
 * Encodes and decodes the push-sync messages (the design's {@code SyncType}), checking the size
 * before parsing and every field after, so that what reaches the server and the client is well
 * formed. A commit is encoded once, when it is made, and that encoding is sent to every subscriber:
 * a push message is put together from encoded commits without encoding them again. Stateless.
 */
public final class Messages {
  private Messages() {}

  /** A decoded message: one of the design's four sync types. */
  public sealed interface Message permits PollMsg, SubscribeMsg, UnsubscribeMsg, PushMsg {}

  /** {@code Poll}: a proof-sync request, answered as the proof server answers it. */
  public record PollMsg(ByteString request) implements Message {}

  /** {@code Subscribe}: open or update the sender's subscription. */
  public record SubscribeMsg(int remainOpenSeconds, long maxBytes, List<KnownHead> knownHeads)
      implements Message {}

  /** {@code Unsubscribe}: close the sender's subscription, if any. */
  public record UnsubscribeMsg() implements Message {}

  /**
   * {@code Push}: commits of consecutive heights, oldest first.
   *
   * @param bytes the message's size, which the subscriber counts against its budget
   */
  public record PushMsg(List<Commit> commits, int bytes) implements Message {}

  /** What a pusher answers to a subscribe. */
  public record Granted(int remainOpenSeconds, long maxBytes) {}

  // ------------------------------------------------------------------ encode

  public static ByteString subscribe(int remainOpenSeconds, long maxBytes, List<KnownHead> heads) {
    Subscribe.Builder b =
        Subscribe.newBuilder().setRemainOpen(remainOpenSeconds).setMaxBytes(maxBytes);
    for (KnownHead h : heads) {
      b.addKnownHeads(
          io.ferry.wire.v1.KnownHead.newBuilder()
              .setHeight(h.height())
              .setRoot(ByteString.copyFrom(h.root().toBytes())));
    }
    return PushSyncMessage.newBuilder().setSubscribe(b).build().toByteString();
  }

  public static ByteString unsubscribe() {
    return PushSyncMessage.newBuilder()
        .setUnsubscribe(Unsubscribe.getDefaultInstance())
        .build()
        .toByteString();
  }

  public static ByteString poll(ByteString proofRequest) {
    return PushSyncMessage.newBuilder()
        .setPoll(Poll.newBuilder().setRequest(proofRequest))
        .build()
        .toByteString();
  }

  public static ByteString granted(Granted g) {
    return SubscribeResponse.newBuilder()
        .setRemainOpen(g.remainOpenSeconds())
        .setMaxBytes(g.maxBytes())
        .build()
        .toByteString();
  }

  public static ByteString refusedFull() {
    return SubscribeResponse.newBuilder()
        .setError(SyncTypeError.SYNC_TYPE_ERROR_MAXIMUM_SUBSCRIPTIONS_EXCEEDED)
        .build()
        .toByteString();
  }

  /**
   * A commit as one entry of a push's repeated {@code commits} field: tag, length and the encoded
   * {@code Commit}. Made once per commit and shared by every push that carries it.
   */
  public static ByteString commitEntry(Commit c) {
    io.ferry.wire.v1.Commit.Builder b =
        io.ferry.wire.v1.Commit.newBuilder()
            .setHeight(c.height())
            .setParentRoot(ByteString.copyFrom(c.parentRoot().toBytes()))
            .setHead(c.head().toProto());
    // Keys and values are immutable Bytes: wrapped, not copied, on the producer's commit path.
    for (KeyChange k : c.changes()) {
      io.ferry.wire.v1.KeyChange.Builder kc =
          io.ferry.wire.v1.KeyChange.newBuilder()
              .setKey(UnsafeByteOperations.unsafeWrap(k.key().unsafeArray()));
      // A delete is a change with no value, as the wire says and as proofs encode it; is_nothing
      // is only read, for old merkledb peers, never written.
      k.value()
          .ifPresent(
              v ->
                  kc.setValue(
                      MaybeBytes.newBuilder()
                          .setValue(UnsafeByteOperations.unsafeWrap(v.unsafeArray()))));
      b.addChanges(kc);
    }
    return field(io.ferry.wire.v1.PushCommits.COMMITS_FIELD_NUMBER, b.build().toByteString());
  }

  /** A push of commit entries ({@link #commitEntry}), in order. */
  public static ByteString push(List<ByteString> commitEntries) {
    return field(PushSyncMessage.PUSH_FIELD_NUMBER, ByteString.copyFrom(commitEntries));
  }

  /** Bytes of a push of commit entries totalling {@code entryBytes}. */
  public static int pushSize(int entryBytes) {
    return CodedOutputStream.computeTagSize(PushSyncMessage.PUSH_FIELD_NUMBER)
        + CodedOutputStream.computeUInt32SizeNoTag(entryBytes)
        + entryBytes;
  }

  /** A length-delimited field: tag, length, bytes (ropes: nothing is copied). */
  private static ByteString field(int number, ByteString value) {
    ByteString.Output out = ByteString.newOutput(16);
    CodedOutputStream c = CodedOutputStream.newInstance(out, 16);
    try {
      c.writeTag(number, WireFormat.WIRETYPE_LENGTH_DELIMITED);
      c.writeUInt32NoTag(value.size());
      c.flush();
    } catch (IOException e) {
      throw new IllegalStateException("writing to memory failed", e);
    }
    return out.toByteString().concat(value);
  }

  // ------------------------------------------------------------------ decode

  /**
   * Decodes a message, checking its size first and its fields after.
   *
   * @throws FerryException {@link ErrorCode#LIMIT_EXCEEDED} for a message over {@link
   *     Limits#MAX_PUSH_MESSAGE_BYTES} or with too many heads or commits; {@link
   *     ErrorCode#INVALID_ENCODING} for anything malformed
   */
  public static Message decode(ByteString payload) {
    if (payload.size() > Limits.MAX_PUSH_MESSAGE_BYTES) {
      throw new FerryException(
          ErrorCode.LIMIT_EXCEEDED,
          "a push-sync message of "
              + payload.size()
              + " bytes is over the limit of "
              + Limits.MAX_PUSH_MESSAGE_BYTES);
    }
    PushSyncMessage m;
    try {
      m = PushSyncMessage.parseFrom(payload);
    } catch (InvalidProtocolBufferException e) {
      throw new FerryException(
          ErrorCode.INVALID_ENCODING, "a push-sync message does not parse: " + e.getMessage());
    }
    return switch (m.getSyncTypeCase()) {
      case POLL -> new PollMsg(m.getPoll().getRequest());
      case SUBSCRIBE -> subscribeOf(m.getSubscribe());
      case UNSUBSCRIBE -> new UnsubscribeMsg();
      case PUSH -> pushOf(m.getPush(), payload.size());
      case SYNCTYPE_NOT_SET ->
          throw new FerryException(ErrorCode.INVALID_ENCODING, "a push-sync message is empty");
    };
  }

  private static SubscribeMsg subscribeOf(Subscribe s) {
    if (s.getRemainOpen() < 1 || s.getRemainOpen() > Limits.MAX_SUBSCRIPTION_SECONDS) {
      throw new FerryException(
          ErrorCode.INVALID_ENCODING,
          "a subscription stays open 1 to "
              + Limits.MAX_SUBSCRIPTION_SECONDS
              + " s, not "
              + Integer.toUnsignedString(s.getRemainOpen()));
    }
    if (s.getMaxBytes() < 1) {
      throw new FerryException(
          ErrorCode.INVALID_ENCODING, "a subscription's byte budget is positive");
    }
    if (s.getKnownHeadsCount() > Limits.MAX_HEADS_PER_SAMPLE) {
      throw new FerryException(
          ErrorCode.LIMIT_EXCEEDED,
          "a subscription carries at most "
              + Limits.MAX_HEADS_PER_SAMPLE
              + " known heads, not "
              + s.getKnownHeadsCount());
    }
    List<KnownHead> heads = new ArrayList<>(s.getKnownHeadsCount());
    for (io.ferry.wire.v1.KnownHead h : s.getKnownHeadsList()) {
      heads.add(new KnownHead(h.getHeight(), hash(h.getRoot(), "known head root")));
    }
    return new SubscribeMsg(s.getRemainOpen(), s.getMaxBytes(), heads);
  }

  private static PushMsg pushOf(io.ferry.wire.v1.PushCommits p, int bytes) {
    if (p.getCommitsCount() > Limits.MAX_COMMITS_PER_PUSH) {
      throw new FerryException(
          ErrorCode.LIMIT_EXCEEDED,
          "a push carries at most "
              + Limits.MAX_COMMITS_PER_PUSH
              + " commits, not "
              + p.getCommitsCount());
    }
    List<Commit> commits = new ArrayList<>(p.getCommitsCount());
    for (io.ferry.wire.v1.Commit c : p.getCommitsList()) {
      Commit commit = commitOf(c);
      if (!commits.isEmpty() && commit.height() != commits.getLast().height() + 1) {
        throw new FerryException(
            ErrorCode.INVALID_ENCODING, "a push's commits are of consecutive heights");
      }
      commits.add(commit);
    }
    return new PushMsg(commits, bytes);
  }

  private static Commit commitOf(io.ferry.wire.v1.Commit c) {
    if (!c.hasHead()) {
      throw new FerryException(ErrorCode.INVALID_ENCODING, "a pushed commit carries no head");
    }
    List<KeyChange> changes = new ArrayList<>(c.getChangesCount());
    for (io.ferry.wire.v1.KeyChange k : c.getChangesList()) {
      Bytes key = Bytes.wrap(k.getKey().toByteArray());
      Optional<Bytes> value =
          !k.hasValue() || k.getValue().getIsNothing()
              ? Optional.empty()
              : Optional.of(Bytes.wrap(k.getValue().getValue().toByteArray()));
      try {
        Batch.checkLimits(key, value);
      } catch (FerryException e) {
        throw new FerryException(ErrorCode.LIMIT_EXCEEDED, "a pushed change: " + e.getMessage());
      }
      changes.add(new KeyChange(key, value));
    }
    return new Commit(
        c.getHeight(),
        hash(c.getParentRoot(), "parent root"),
        changes,
        SignedHead.fromProto(c.getHead()));
  }

  private static Hash hash(ByteString b, String what) {
    if (b.size() != Hash.LENGTH) {
      throw new FerryException(
          ErrorCode.INVALID_ENCODING,
          "a " + what + " is " + Hash.LENGTH + " bytes, not " + b.size());
    }
    return Hash.of(b.toByteArray());
  }

  /**
   * Decodes a subscribe answer: what was granted, or empty when the pusher holds its most
   * subscriptions already.
   *
   * @throws FerryException {@link ErrorCode#INVALID_ENCODING} when it does not parse or grants
   *     nothing
   */
  public static Optional<Granted> decodeAnswer(ByteString payload) {
    SubscribeResponse r;
    try {
      r = SubscribeResponse.parseFrom(payload);
    } catch (InvalidProtocolBufferException e) {
      throw new FerryException(
          ErrorCode.INVALID_ENCODING, "a subscribe answer does not parse: " + e.getMessage());
    }
    if (r.getError() == SyncTypeError.SYNC_TYPE_ERROR_MAXIMUM_SUBSCRIPTIONS_EXCEEDED) {
      return Optional.empty();
    }
    if (r.getError() != SyncTypeError.SYNC_TYPE_ERROR_NONE
        || r.getRemainOpen() < 1
        || r.getMaxBytes() < 1) {
      throw new FerryException(
          ErrorCode.INVALID_ENCODING, "a subscribe answer grants no window or no bytes");
    }
    return Optional.of(new Granted(r.getRemainOpen(), r.getMaxBytes()));
  }
}
