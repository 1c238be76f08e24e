package io.ferry.gossip.value;

import com.google.protobuf.ByteString;
import com.google.protobuf.InvalidProtocolBufferException;
import io.ferry.core.Bytes;
import io.ferry.core.FerryException;
import io.ferry.core.Hash;
import io.ferry.core.Limits;
import io.ferry.core.archive.SnapshotHashes;
import io.ferry.core.archive.SnapshotHashes.Slot;
import java.util.ArrayList;
import java.util.List;

/**
 * The payload of a {@link ValueKind#SNAPSHOT_HASHES} value: a node's {@link SnapshotHashes} (its
 * newest full snapshot and incrementals on it) on the wire. Decoding checks every size before it
 * builds anything and then Agave's rules, which {@link SnapshotHashes} holds. Stateless.
 */
public final class SnapshotHashesCodec {
  private SnapshotHashesCodec() {}

  public static Bytes encode(SnapshotHashes hashes) {
    io.ferry.wire.v1.SnapshotHashes.Builder b =
        io.ferry.wire.v1.SnapshotHashes.newBuilder().setFull(toProto(hashes.full()));
    hashes.incrementals().forEach(i -> b.addIncrementals(toProto(i)));
    return Bytes.wrap(b.build().toByteArray());
  }

  /** The snapshot hashes {@code payload} holds, or the rule it breaks. */
  public static Result<SnapshotHashes> decode(Bytes payload) {
    io.ferry.wire.v1.SnapshotHashes proto;
    try {
      proto = io.ferry.wire.v1.SnapshotHashes.parseFrom(payload.unsafeArray());
    } catch (InvalidProtocolBufferException e) {
      return Result.refused("snapshot hashes that do not decode");
    }
    if (!proto.hasFull()) {
      return Result.refused("snapshot hashes without a full snapshot");
    }
    if (proto.getIncrementalsCount() > Limits.MAX_INCREMENTAL_SNAPSHOT_HASHES) {
      return Result.refused(
          "snapshot hashes with " + proto.getIncrementalsCount() + " incrementals");
    }
    List<io.ferry.wire.v1.SnapshotSlot> all = new ArrayList<>(proto.getIncrementalsList());
    all.add(proto.getFull());
    for (io.ferry.wire.v1.SnapshotSlot s : all) {
      if (s.getHash().size() != Hash.LENGTH || s.getHeight() < 0) {
        return Result.refused(
            "a snapshot slot of height "
                + s.getHeight()
                + " with a "
                + s.getHash().size()
                + "-byte hash");
      }
    }
    try {
      return Result.ok(
          new SnapshotHashes(
              fromProto(proto.getFull()),
              proto.getIncrementalsList().stream().map(SnapshotHashesCodec::fromProto).toList()));
    } catch (FerryException e) {
      return Result.refused(e.getMessage());
    }
  }

  private static io.ferry.wire.v1.SnapshotSlot toProto(Slot s) {
    return io.ferry.wire.v1.SnapshotSlot.newBuilder()
        .setHeight(s.height())
        .setHash(ByteString.copyFrom(s.hash().toBytes()))
        .build();
  }

  private static Slot fromProto(io.ferry.wire.v1.SnapshotSlot s) {
    return new Slot(s.getHeight(), Hash.of(s.getHash().toByteArray()));
  }
}
