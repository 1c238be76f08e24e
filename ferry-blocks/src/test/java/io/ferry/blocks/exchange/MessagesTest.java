package io.ferry.blocks.exchange;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import com.google.protobuf.ByteString;
import io.ferry.blocks.cid.Cid;
import io.ferry.blocks.cid.Multicodec;
import io.ferry.blocks.dataset.BlockProof;
import io.ferry.blocks.dataset.BlockTree;
import io.ferry.core.ErrorCode;
import io.ferry.core.FerryException;
import io.ferry.core.Hash;
import io.ferry.core.Limits;
import io.ferry.wire.v1.BlockAddress;
import io.ferry.wire.v1.BlockExchangeMessage;
import io.ferry.wire.v1.BlockPresence;
import io.ferry.wire.v1.WantEntry;
import io.ferry.wire.v1.WantList;
import java.util.ArrayList;
import java.util.BitSet;
import java.util.List;
import java.util.Optional;
import org.junit.jupiter.api.Test;

class MessagesTest {
  private static final Cid TREE = Cid.hash(Multicodec.FERRY_TREE, new byte[] {1});
  private static final Cid MANIFEST = Cid.hash(Multicodec.FERRY_MANIFEST, new byte[] {2});

  @Test
  void roundTripsEveryPart() {
    BitSet held = new BitSet();
    held.set(0, 5);
    held.set(77);
    BlockTree tree =
        BlockTree.of(
            List.of(Hash.wrap(new byte[32]), Hash.wrap(new byte[32]), Hash.wrap(new byte[32])));
    BlockProof proof = tree.proof(2);
    Messages.Message m =
        new Messages.Message(
            List.of(
                Want.have(new Address.ByCid(TREE)),
                Want.block(new Address.Leaf(TREE, 9), -9),
                Want.cancel(new Address.Leaf(TREE, 3)),
                Want.block(new Address.ByCid(MANIFEST), 1)),
            true,
            List.of(
                Presence.leaves(new Address.ByCid(TREE), held),
                Presence.dontHave(new Address.Leaf(TREE, 4)),
                Presence.have(new Address.ByCid(MANIFEST))),
            List.of(
                new Delivery(new Address.Leaf(TREE, 2), new byte[] {1, 2, 3}, Optional.of(proof)),
                new Delivery(new Address.ByCid(MANIFEST), new byte[] {4}, Optional.empty())));
    Messages.Message back = Messages.decode(Messages.encode(m));
    assertThat(back.wants()).isEqualTo(m.wants());
    assertThat(back.fullWantList()).isTrue();
    assertThat(back.presences()).isEqualTo(m.presences());
    assertThat(back.blocks()).hasSize(2);
    assertThat(back.blocks().get(0).data()).containsExactly(1, 2, 3);
    assertThat(back.blocks().get(0).proof()).contains(proof);
    assertThat(back.blocks().get(1).proof()).isEmpty();
  }

  private static BlockAddress leaf(int i) {
    return new Address.Leaf(TREE, i).toProto();
  }

  @Test
  void tooManyWantsPresencesOrBlocksAreRefusedByCount() {
    WantList.Builder wl = WantList.newBuilder();
    for (int i = 0; i <= Limits.MAX_WANT_LIST_ENTRIES; i++) {
      wl.addEntries(WantEntry.newBuilder().setAddress(leaf(i)));
    }
    expectLimit(
        BlockExchangeMessage.newBuilder().setWantList(wl).build().toByteString(), "want-list");
    BlockExchangeMessage.Builder p = BlockExchangeMessage.newBuilder();
    for (int i = 0; i <= Limits.MAX_PRESENCES_PER_MESSAGE; i++) {
      p.addPresences(BlockPresence.newBuilder().setAddress(leaf(i)));
    }
    expectLimit(p.build().toByteString(), "presences");
    BlockExchangeMessage.Builder b = BlockExchangeMessage.newBuilder();
    for (int i = 0; i <= Limits.MAX_BLOCKS_PER_MESSAGE; i++) {
      b.addBlocks(io.ferry.wire.v1.BlockDelivery.newBuilder().setAddress(leaf(i)));
    }
    expectLimit(b.build().toByteString(), "blocks");
  }

  @Test
  void anOversizedMessageIsRefusedBeforeParsing() {
    // Not even a valid message: the size alone refuses it.
    ByteString big = ByteString.copyFrom(new byte[Limits.MAX_BLOCK_EXCHANGE_MESSAGE_BYTES + 1]);
    expectLimit(big, "bytes");
  }

  @Test
  void malformedPartsAreInvalidEncoding() {
    List<ByteString> bad = new ArrayList<>();
    bad.add(ByteString.copyFrom(new byte[] {(byte) 0xff, (byte) 0xff}));
    // A leaf of a manifest, not a tree.
    bad.add(
        BlockExchangeMessage.newBuilder()
            .setWantList(
                WantList.newBuilder()
                    .addEntries(
                        WantEntry.newBuilder()
                            .setAddress(
                                BlockAddress.newBuilder()
                                    .setCid(ByteString.copyFrom(MANIFEST.toBytes()))
                                    .setLeaf(true))))
            .build()
            .toByteString());
    // A CID that does not parse.
    bad.add(
        BlockExchangeMessage.newBuilder()
            .addPresences(
                BlockPresence.newBuilder()
                    .setAddress(
                        BlockAddress.newBuilder().setCid(ByteString.copyFrom(new byte[] {9}))))
            .build()
            .toByteString());
    // Leaves in a dont-have.
    bad.add(
        BlockExchangeMessage.newBuilder()
            .addPresences(
                BlockPresence.newBuilder()
                    .setAddress(new Address.ByCid(TREE).toProto())
                    .setTypeValue(1)
                    .setLeaves(ByteString.copyFrom(new byte[] {1})))
            .build()
            .toByteString());
    for (ByteString b : bad) {
      assertThatThrownBy(() -> Messages.decode(b))
          .isInstanceOfSatisfying(
              FerryException.class,
              e -> assertThat(e.code()).isEqualTo(ErrorCode.INVALID_ENCODING));
    }
  }

  private static void expectLimit(ByteString payload, String what) {
    assertThatThrownBy(() -> Messages.decode(payload))
        .isInstanceOfSatisfying(
            FerryException.class, e -> assertThat(e.code()).isEqualTo(ErrorCode.LIMIT_EXCEEDED))
        .hasMessageContaining(what);
  }
}
