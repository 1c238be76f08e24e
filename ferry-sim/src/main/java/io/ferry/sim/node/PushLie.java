package io.ferry.sim.node;

import com.google.protobuf.ByteString;
import com.google.protobuf.InvalidProtocolBufferException;
import io.ferry.net.ProtocolId;
import io.ferry.wire.v1.Commit;
import io.ferry.wire.v1.Envelope;
import io.ferry.wire.v1.KeyChange;
import io.ferry.wire.v1.Kind;
import io.ferry.wire.v1.MaybeBytes;
import io.ferry.wire.v1.PushCommits;
import io.ferry.wire.v1.PushSyncMessage;

/**
 * A lying pusher's rewrite of what it sends on {@link ProtocolId#PUSH_SYNC}: in every push, the
 * first commit's batch gets one value changed (a byte flipped; a delete becomes a put), while the
 * commit keeps its height, parent root and the producer's real signed head. The message still
 * decodes and the signature still verifies, so only a subscriber that re-applies the batch and
 * compares the root it makes with the signed one sees the lie ({@code Applied.WRONG_ROOT}).
 * Subscribes, unsubscribes, polls and every answer pass unchanged. Stateless.
 */
public final class PushLie {
  private PushLie() {}

  /** {@code env} with its push falsified, or {@code env} itself when it carries no push. */
  public static Envelope falsify(Envelope env) {
    if (env.getProtocolValue() != ProtocolId.PUSH_SYNC.value()
        || env.getKind() != Kind.KIND_MESSAGE) {
      return env;
    }
    PushSyncMessage m;
    try {
      m = PushSyncMessage.parseFrom(env.getPayload());
    } catch (InvalidProtocolBufferException e) {
      return env;
    }
    if (!m.hasPush() || m.getPush().getCommitsCount() == 0) {
      return env;
    }
    Commit first = m.getPush().getCommits(0);
    if (first.getChangesCount() == 0) {
      return env;
    }
    KeyChange change = first.getChanges(0);
    byte[] value = change.getValue().getValue().toByteArray();
    if (change.getValue().getIsNothing() || value.length == 0) {
      value = new byte[1];
    }
    value[value.length / 2] ^= 0x5a;
    Commit lie =
        first.toBuilder()
            .setChanges(
                0,
                change.toBuilder()
                    .setValue(MaybeBytes.newBuilder().setValue(ByteString.copyFrom(value))))
            .build();
    PushCommits push = m.getPush().toBuilder().setCommits(0, lie).build();
    return env.toBuilder()
        .setPayload(PushSyncMessage.newBuilder().setPush(push).build().toByteString())
        .build();
  }
}
