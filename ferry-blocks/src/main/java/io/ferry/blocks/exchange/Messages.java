package io.ferry.blocks.exchange;

import com.google.protobuf.ByteString;
import com.google.protobuf.CodedInputStream;
import com.google.protobuf.InvalidProtocolBufferException;
import com.google.protobuf.UnsafeByteOperations;
import com.google.protobuf.WireFormat;
import io.ferry.blocks.dataset.BlockProof;
import io.ferry.core.ErrorCode;
import io.ferry.core.FerryException;
import io.ferry.core.Limits;
import io.ferry.wire.v1.BlockExchangeMessage;
import io.ferry.wire.v1.BlockPresenceType;
import io.ferry.wire.v1.WantType;
import java.io.IOException;
import java.util.ArrayList;
import java.util.BitSet;
import java.util.List;
import java.util.Optional;

/**
 * Encodes and decodes block-exchange messages. Decoding checks the limits first: the message's
 * bytes, then (by scanning its tags, before any entry is built) its want-list entries, presences
 * and blocks, so an oversized message costs a scan, not its objects.
 */
public final class Messages {

  /** A decoded message: any of a want-list, presences and blocks. */
  public record Message(
      List<Want> wants, boolean fullWantList, List<Presence> presences, List<Delivery> blocks) {
    public static Message of(List<Want> wants) {
      return new Message(wants, false, List.of(), List.of());
    }

    public static Message presences(List<Presence> presences) {
      return new Message(List.of(), false, presences, List.of());
    }

    public static Message blocks(List<Delivery> blocks) {
      return new Message(List.of(), false, List.of(), blocks);
    }
  }

  private Messages() {}

  public static ByteString encode(Message m) {
    BlockExchangeMessage.Builder b = BlockExchangeMessage.newBuilder();
    if (!m.wants().isEmpty() || m.fullWantList()) {
      io.ferry.wire.v1.WantList.Builder w =
          io.ferry.wire.v1.WantList.newBuilder().setFull(m.fullWantList());
      for (Want want : m.wants()) {
        w.addEntries(want.toProto());
      }
      b.setWantList(w);
    }
    for (Presence p : m.presences()) {
      io.ferry.wire.v1.BlockPresence.Builder pb =
          io.ferry.wire.v1.BlockPresence.newBuilder()
              .setAddress(p.address().toProto())
              .setType(
                  p.have()
                      ? BlockPresenceType.BLOCK_PRESENCE_TYPE_HAVE
                      : BlockPresenceType.BLOCK_PRESENCE_TYPE_DONT_HAVE);
      p.leaves().ifPresent(l -> pb.setLeaves(UnsafeByteOperations.unsafeWrap(l.toByteArray())));
      b.addPresences(pb);
    }
    for (Delivery d : m.blocks()) {
      io.ferry.wire.v1.BlockDelivery.Builder db =
          io.ferry.wire.v1.BlockDelivery.newBuilder()
              .setAddress(d.address().toProto())
              .setData(UnsafeByteOperations.unsafeWrap(d.data()));
      d.proof().ifPresent(p -> db.setProof(p.toProto()));
      b.addBlocks(db);
    }
    return b.build().toByteString();
  }

  /**
   * @throws FerryException {@link ErrorCode#LIMIT_EXCEEDED} over a limit; {@link
   *     ErrorCode#INVALID_ENCODING} for bytes that do not decode
   */
  public static Message decode(ByteString payload) {
    if (payload.size() > Limits.MAX_BLOCK_EXCHANGE_MESSAGE_BYTES) {
      throw new FerryException(
          ErrorCode.LIMIT_EXCEEDED,
          "a block-exchange message of "
              + payload.size()
              + " bytes is over "
              + Limits.MAX_BLOCK_EXCHANGE_MESSAGE_BYTES);
    }
    checkCounts(payload);
    BlockExchangeMessage p;
    try {
      p = BlockExchangeMessage.parseFrom(payload);
    } catch (InvalidProtocolBufferException e) {
      throw new FerryException(
          ErrorCode.INVALID_ENCODING, "a block-exchange message: " + e.getMessage(), e);
    }
    List<Want> wants = new ArrayList<>(p.getWantList().getEntriesCount());
    for (io.ferry.wire.v1.WantEntry e : p.getWantList().getEntriesList()) {
      if (e.getWantType() == WantType.UNRECOGNIZED) {
        throw new FerryException(ErrorCode.INVALID_ENCODING, "an unknown want type");
      }
      wants.add(
          new Want(
              Address.fromProto(e.getAddress()),
              e.getPriority(),
              e.getCancel(),
              e.getWantType() == WantType.WANT_TYPE_HAVE,
              e.getSendDontHave()));
    }
    List<Presence> presences = new ArrayList<>(p.getPresencesCount());
    for (io.ferry.wire.v1.BlockPresence bp : p.getPresencesList()) {
      if (bp.getType() == BlockPresenceType.UNRECOGNIZED) {
        throw new FerryException(ErrorCode.INVALID_ENCODING, "an unknown presence type");
      }
      boolean have = bp.getType() == BlockPresenceType.BLOCK_PRESENCE_TYPE_HAVE;
      Optional<BitSet> leaves =
          bp.getLeaves().isEmpty()
              ? Optional.empty()
              : Optional.of(BitSet.valueOf(bp.getLeaves().asReadOnlyByteBuffer()));
      if (leaves.isPresent() && !have) {
        throw new FerryException(ErrorCode.INVALID_ENCODING, "leaves in a dont-have");
      }
      presences.add(new Presence(Address.fromProto(bp.getAddress()), have, leaves));
    }
    List<Delivery> blocks = new ArrayList<>(p.getBlocksCount());
    for (io.ferry.wire.v1.BlockDelivery d : p.getBlocksList()) {
      if (d.getData().size() > Limits.MAX_BLOCK_BYTES) {
        throw new FerryException(
            ErrorCode.LIMIT_EXCEEDED, "a block of " + d.getData().size() + " bytes");
      }
      blocks.add(
          new Delivery(
              Address.fromProto(d.getAddress()),
              d.getData().toByteArray(),
              d.hasProof() ? Optional.of(BlockProof.fromProto(d.getProof())) : Optional.empty()));
    }
    return new Message(wants, p.getWantList().getFull(), presences, blocks);
  }

  /** Counts the repeated fields by their tags, before anything is parsed into objects. */
  private static void checkCounts(ByteString payload) {
    int wants = 0;
    int presences = 0;
    int blocks = 0;
    try {
      CodedInputStream in = payload.newCodedInput();
      for (int tag = in.readTag(); tag != 0; tag = in.readTag()) {
        int field = WireFormat.getTagFieldNumber(tag);
        if (field == BlockExchangeMessage.WANT_LIST_FIELD_NUMBER
            && WireFormat.getTagWireType(tag) == WireFormat.WIRETYPE_LENGTH_DELIMITED) {
          int old = in.pushLimit(in.readRawVarint32());
          for (int t = in.readTag(); t != 0; t = in.readTag()) {
            if (WireFormat.getTagFieldNumber(t) == io.ferry.wire.v1.WantList.ENTRIES_FIELD_NUMBER) {
              wants++;
            }
            in.skipField(t);
          }
          in.popLimit(old);
        } else {
          if (field == BlockExchangeMessage.PRESENCES_FIELD_NUMBER) {
            presences++;
          } else if (field == BlockExchangeMessage.BLOCKS_FIELD_NUMBER) {
            blocks++;
          }
          in.skipField(tag);
        }
      }
    } catch (IOException e) {
      throw new FerryException(
          ErrorCode.INVALID_ENCODING, "a block-exchange message: " + e.getMessage(), e);
    }
    if (wants > Limits.MAX_WANT_LIST_ENTRIES) {
      throw over("want-list entries", wants, Limits.MAX_WANT_LIST_ENTRIES);
    }
    if (presences > Limits.MAX_PRESENCES_PER_MESSAGE) {
      throw over("presences", presences, Limits.MAX_PRESENCES_PER_MESSAGE);
    }
    if (blocks > Limits.MAX_BLOCKS_PER_MESSAGE) {
      throw over("blocks", blocks, Limits.MAX_BLOCKS_PER_MESSAGE);
    }
  }

  private static FerryException over(String what, int count, int limit) {
    return new FerryException(
        ErrorCode.LIMIT_EXCEEDED,
        "a block-exchange message with " + count + " " + what + " (at most " + limit + ")");
  }
}
