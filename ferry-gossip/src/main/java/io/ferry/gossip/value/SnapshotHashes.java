package io.ferry.gossip.value;

import com.google.protobuf.ByteString;
import com.google.protobuf.InvalidProtocolBufferException;
import io.ferry.core.Bytes;
import io.ferry.core.Hash;
import io.ferry.core.Limits;
import java.util.ArrayList;
import java.util.List;

/**
 * A node's newest full snapshot and the incrementals it holds on it: the payload of a {@link
 * ValueKind#SNAPSHOT_HASHES} value. Agave's rule: every incremental is above the full, and there
 * are at most {@link Limits#MAX_INCREMENTAL_SNAPSHOT_HASHES}, ascending by height.
 *
 * @param full the newest full snapshot
 * @param incrementals incrementals built on {@code full}, ascending, each above it
 */
public record SnapshotHashes(Slot full, List<Slot> incrementals) {

  /** One archive: the height it was taken at and the hash its name carries. */
  public record Slot(long height, Hash hash) {}

  public SnapshotHashes {
    incrementals = List.copyOf(incrementals);
    String broken = brokenRule(full, incrementals);
    if (broken != null) {
      throw new IllegalArgumentException(broken);
    }
  }

  /** The newest incremental, if any. */
  public java.util.Optional<Slot> newestIncremental() {
    return incrementals.isEmpty()
        ? java.util.Optional.empty()
        : java.util.Optional.of(incrementals.getLast());
  }

  public Bytes encode() {
    io.ferry.wire.v1.SnapshotHashes.Builder b =
        io.ferry.wire.v1.SnapshotHashes.newBuilder().setFull(toProto(full));
    incrementals.forEach(i -> b.addIncrementals(toProto(i)));
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
        return Result.refused("a snapshot slot with a " + s.getHash().size() + "-byte hash");
      }
    }
    Slot full = fromProto(proto.getFull());
    List<Slot> incrementals =
        proto.getIncrementalsList().stream().map(SnapshotHashes::fromProto).toList();
    String broken = brokenRule(full, incrementals);
    return broken == null
        ? Result.ok(new SnapshotHashes(full, incrementals))
        : Result.refused(broken);
  }

  private static String brokenRule(Slot full, List<Slot> incrementals) {
    if (full == null) {
      return "snapshot hashes need a full snapshot";
    }
    if (incrementals.size() > Limits.MAX_INCREMENTAL_SNAPSHOT_HASHES) {
      return "at most " + Limits.MAX_INCREMENTAL_SNAPSHOT_HASHES + " incrementals";
    }
    long below = full.height();
    for (Slot i : incrementals) {
      if (i.height() <= below) {
        return "incremental at " + i.height() + " is not above " + below;
      }
      below = i.height();
    }
    return null;
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
