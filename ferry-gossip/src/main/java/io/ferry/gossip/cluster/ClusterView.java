package io.ferry.gossip.cluster;

import com.google.protobuf.InvalidProtocolBufferException;
import io.ferry.core.archive.SnapshotHashes;
import io.ferry.core.identity.NodeId;
import io.ferry.gossip.head.SignedHead;
import io.ferry.gossip.plane.GossipPlane;
import io.ferry.gossip.value.ContactInfo;
import io.ferry.gossip.value.Result;
import io.ferry.gossip.value.SignedValue;
import io.ferry.gossip.value.SnapshotHashesCodec;
import io.ferry.gossip.value.ValueKind;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.OptionalLong;
import java.util.SortedMap;
import java.util.TreeMap;

/**
 * The cluster as one node's gossip table shows it: a row per node whose contact info it holds,
 * sorted by id. What {@code /status} lists as {@code cluster} and {@code ferry gossip} prints.
 * Stateless; thread-safe.
 */
public final class ClusterView {
  private ClusterView() {}

  /** The rows of {@code plane}'s table now. */
  public static List<ClusterNode> of(GossipPlane plane) {
    SortedMap<NodeId, SignedValue> contacts = new TreeMap<>();
    for (SignedValue v : plane.values(ValueKind.CONTACT_INFO)) {
      contacts.put(v.origin(), v);
    }
    List<ClusterNode> rows = new ArrayList<>();
    for (Map.Entry<NodeId, SignedValue> e : contacts.entrySet()) {
      if (!(ContactInfo.decode(e.getValue().payload()) instanceof Result.Ok<ContactInfo> info)) {
        continue; // the plane's rules keep these out; nothing to show if one slipped in
      }
      NodeId id = e.getKey();
      long wallclock = e.getValue().wallclock();
      OptionalLong head = OptionalLong.empty();
      Optional<SignedValue> headValue = plane.get(id, ValueKind.SIGNED_HEAD);
      if (headValue.isPresent()) {
        wallclock = Math.max(wallclock, headValue.get().wallclock());
        head = heightOf(headValue.get());
      }
      Optional<SnapshotHashes> snapshots = Optional.empty();
      Optional<SignedValue> snapValue = plane.get(id, ValueKind.SNAPSHOT_HASHES);
      if (snapValue.isPresent()
          && SnapshotHashesCodec.decode(snapValue.get().payload())
              instanceof Result.Ok<SnapshotHashes> ok) {
        wallclock = Math.max(wallclock, snapValue.get().wallclock());
        snapshots = Optional.of(ok.value());
      }
      rows.add(new ClusterNode(id, info.value(), head, snapshots, wallclock));
    }
    return rows;
  }

  private static OptionalLong heightOf(SignedValue v) {
    try {
      return OptionalLong.of(
          SignedHead.fromProto(io.ferry.wire.v1.SignedHead.parseFrom(v.payload().unsafeArray()))
              .height());
    } catch (InvalidProtocolBufferException | RuntimeException e) {
      return OptionalLong.empty();
    }
  }
}
