package io.ferry.sync.push;

import static org.assertj.core.api.Assertions.assertThat;

import com.google.protobuf.ByteString;
import io.ferry.core.Bytes;
import io.ferry.core.Hash;
import io.ferry.core.identity.NodeKey;
import io.ferry.gossip.head.SignedHead;
import io.ferry.merkledb.KeyChange;
import io.ferry.net.testing.TestNet;
import io.ferry.wire.v1.PushCommits;
import io.ferry.wire.v1.PushSyncMessage;
import java.util.ArrayList;
import java.util.List;
import java.util.Optional;
import java.util.Set;
import java.util.TreeSet;
import net.jqwik.api.Arbitraries;
import net.jqwik.api.Arbitrary;
import net.jqwik.api.Combinators;
import net.jqwik.api.ForAll;
import net.jqwik.api.Property;
import net.jqwik.api.Provide;

/**
 * The hand-built push encoding: a push put together from commits encoded once is exactly the
 * message protobuf would build, decodes to the same commits, and is as long as {@link
 * Messages#pushSize} says.
 */
class MessagesProperties {
  private static final NodeKey PRODUCER = TestNet.key(2);

  /** A commit's content before it has a height: its changes and its roots. */
  record Shape(Set<Bytes> keys, List<Optional<Bytes>> values, Hash parent, Hash root) {}

  @Provide
  Arbitrary<List<Commit>> commits() {
    Arbitrary<Bytes> key = Arbitraries.bytes().array(byte[].class).ofMaxSize(4).map(Bytes::of);
    Arbitrary<Optional<Bytes>> value =
        Arbitraries.frequencyOf(
                net.jqwik.api.Tuple.of(4, Arbitraries.bytes().array(byte[].class).ofMaxSize(8)),
                net.jqwik.api.Tuple.of(
                    1, Arbitraries.bytes().array(byte[].class).ofMinSize(100).ofMaxSize(300)))
            .map(Bytes::of)
            .optional(0.75);
    Arbitrary<Hash> hash =
        Arbitraries.bytes().array(byte[].class).ofSize(Hash.LENGTH).map(Hash::of);
    Arbitrary<Shape> shape =
        Combinators.combine(key.set().ofMaxSize(8), value.list().ofSize(8), hash, hash)
            .as(Shape::new);
    return Combinators.combine(
            Arbitraries.longs().between(1, Long.MAX_VALUE - 100), shape.list().ofMaxSize(6))
        .as(
            (first, shapes) -> {
              List<Commit> out = new ArrayList<>();
              long h = first;
              for (Shape s : shapes) {
                List<KeyChange> changes = new ArrayList<>();
                int i = 0;
                for (Bytes k : new TreeSet<>(s.keys())) {
                  changes.add(new KeyChange(k, s.values().get(i++)));
                }
                out.add(new Commit(h, s.parent(), changes, SignedHead.sign(PRODUCER, h, s.root())));
                h++;
              }
              return out;
            });
  }

  @Property(tries = 300)
  void aHandBuiltPushIsTheProtobufMessageOfItsCommits(@ForAll("commits") List<Commit> commits)
      throws Exception {
    List<ByteString> entries = commits.stream().map(Messages::commitEntry).toList();
    ByteString payload = Messages.push(entries);

    PushSyncMessage parsed = PushSyncMessage.parseFrom(payload);
    assertThat(parsed.getSyncTypeCase()).isEqualTo(PushSyncMessage.SyncTypeCase.PUSH);
    PushCommits push = parsed.getPush();
    assertThat(push.getCommitsCount()).isEqualTo(commits.size());
    // Protobuf's own encoding of what it parsed is byte for byte the hand-built one.
    assertThat(parsed.toByteString()).isEqualTo(payload);
    for (int i = 0; i < commits.size(); i++) {
      Commit c = commits.get(i);
      io.ferry.wire.v1.Commit p = push.getCommits(i);
      assertThat(p.getHeight()).isEqualTo(c.height());
      assertThat(p.getParentRoot().toByteArray()).isEqualTo(c.parentRoot().toBytes());
      assertThat(SignedHead.fromProto(p.getHead())).isEqualTo(c.head());
      assertThat(p.getChangesCount()).isEqualTo(c.changes().size());
    }

    assertThat(Messages.decode(payload)).isEqualTo(new Messages.PushMsg(commits, payload.size()));
    int entryBytes = entries.stream().mapToInt(ByteString::size).sum();
    assertThat(Messages.pushSize(entryBytes)).isEqualTo(payload.size());
  }

  @Property(tries = 200)
  void aCommitEntryIsTheCommitsFieldOfAOneCommitPush(@ForAll("commits") List<Commit> commits)
      throws Exception {
    for (Commit c : commits) {
      ByteString entry = Messages.commitEntry(c);
      PushCommits single = PushCommits.parseFrom(entry);
      assertThat(single.getCommitsCount()).isEqualTo(1);
      assertThat(single.toByteString()).isEqualTo(entry);
    }
  }
}
