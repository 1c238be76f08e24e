package io.ferry.node.api;

import static org.assertj.core.api.Assertions.assertThat;

import com.google.protobuf.ByteString;
import io.ferry.core.Hash;
import io.ferry.core.Limits;
import io.ferry.gossip.head.SignedHead;
import io.ferry.merkledb.Batch;
import io.ferry.sync.push.Commit;
import io.ferry.sync.push.Messages;
import io.ferry.wire.v1.CommitRequest;
import io.ferry.wire.v1.KeyValue;
import java.nio.ByteBuffer;
import org.junit.jupiter.api.Test;

/** The largest commit the write API takes travels in one push message (docs/push.md). */
class CommitFitsAPushTest {
  @Test
  void theLargestApiCommitFitsOnePush() {
    int ops = Limits.MAX_COMMIT_OPERATIONS;
    int keyBytes = 32;
    // As many operations as allowed, sharing the byte limit: the most framing per byte of data.
    int valueBytes = Limits.MAX_COMMIT_BYTES / ops - keyBytes;
    CommitRequest.Builder request = CommitRequest.newBuilder();
    for (int i = 0; i < ops; i++) {
      byte[] key = ByteBuffer.allocate(keyBytes).putInt(i).array();
      request.addPut(
          KeyValue.newBuilder()
              .setKey(ByteString.copyFrom(key))
              .setValue(ByteString.copyFrom(new byte[valueBytes])));
    }
    Batch batch = CommitParser.protobuf(request.build().toByteArray());
    assertThat(batch.size()).isEqualTo(ops);

    SignedHead head =
        SignedHead.sign(
            VerifiedReadTest.PRODUCER, Long.MAX_VALUE, Hash.of(VerifiedReadTest.filled(1)));
    Commit commit = Commit.of(batch, Hash.of(VerifiedReadTest.filled(2)), head);
    int pushBytes = Messages.pushSize(Messages.commitEntry(commit).size());
    assertThat(pushBytes).isLessThanOrEqualTo(Limits.MAX_PUSH_MESSAGE_BYTES);
  }
}
