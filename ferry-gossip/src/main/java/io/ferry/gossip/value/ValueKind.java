package io.ferry.gossip.value;

import io.ferry.core.ErrorCode;
import io.ferry.core.FerryException;

/**
 * What a {@link SignedValue} is about, and so how its payload decodes and which rules it obeys.
 * Each origin holds one value per kind, except {@link #PROVIDER}, of which it holds one per index.
 */
public enum ValueKind {
  /** Where the origin is reached and what it runs: {@link ContactInfo}. */
  CONTACT_INFO(io.ferry.wire.v1.ValueKind.VALUE_KIND_CONTACT_INFO),
  /** The origin's newest full snapshot and incrementals on it: {@link SnapshotHashes}. */
  SNAPSHOT_HASHES(io.ferry.wire.v1.ValueKind.VALUE_KIND_SNAPSHOT_HASHES),
  /** A head the origin produced and signed: a {@code SignedHead} whose producer is the origin. */
  SIGNED_HEAD(io.ferry.wire.v1.ValueKind.VALUE_KIND_SIGNED_HEAD),
  /** A dataset the origin provides (block exchange, step 12); keyed by its index. */
  PROVIDER(io.ferry.wire.v1.ValueKind.VALUE_KIND_PROVIDER);

  private final io.ferry.wire.v1.ValueKind wire;

  ValueKind(io.ferry.wire.v1.ValueKind wire) {
    this.wire = wire;
  }

  public io.ferry.wire.v1.ValueKind toProto() {
    return wire;
  }

  /** Whether an origin holds many values of this kind, told apart by their index. */
  public boolean indexed() {
    return this == PROVIDER;
  }

  /**
   * The kind a message names.
   *
   * @throws FerryException {@link ErrorCode#INVALID_ENCODING} for a kind this node does not know
   */
  public static ValueKind fromProto(io.ferry.wire.v1.ValueKind wire) {
    for (ValueKind k : values()) {
      if (k.wire == wire) {
        return k;
      }
    }
    throw new FerryException(ErrorCode.INVALID_ENCODING, "unknown gossip value kind " + wire);
  }
}
