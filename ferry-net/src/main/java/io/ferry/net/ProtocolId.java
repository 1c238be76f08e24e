package io.ferry.net;

import io.ferry.wire.v1.Protocol;

/**
 * Which protocol a frame belongs to: the {@code protocol} field of the envelope. Ferry's own
 * protocols are the {@link Protocol} enum values; embedders may use numbers from 1000 upward.
 *
 * @param value the wire number, positive
 */
public record ProtocolId(int value) {
  public static final ProtocolId PROOF_SYNC = of(Protocol.PROTOCOL_PROOF_SYNC);
  public static final ProtocolId SNAPSHOT_SYNC = of(Protocol.PROTOCOL_SNAPSHOT_SYNC);
  public static final ProtocolId GOSSIP = of(Protocol.PROTOCOL_GOSSIP);
  public static final ProtocolId PUSH_SYNC = of(Protocol.PROTOCOL_PUSH_SYNC);
  public static final ProtocolId BLOCK_EXCHANGE = of(Protocol.PROTOCOL_BLOCK_EXCHANGE);

  /** The first number embedders may use for their own protocols. */
  public static final int FIRST_APPLICATION_VALUE = 1000;

  public ProtocolId {
    if (value <= 0) {
      throw new IllegalArgumentException("protocol id must be positive: " + value);
    }
  }

  public static ProtocolId of(Protocol protocol) {
    return new ProtocolId(protocol.getNumber());
  }

  /**
   * Whether this is one of Ferry's own protocols (a {@link Protocol} value), known to every node.
   */
  public boolean builtIn() {
    Protocol known = Protocol.forNumber(value);
    return known != null && known != Protocol.PROTOCOL_UNSPECIFIED;
  }

  /** A short stable name for logs and metric labels: {@code proof_sync}, or the number. */
  public String label() {
    if (!builtIn()) {
      return Integer.toString(value);
    }
    return Protocol.forNumber(value)
        .name()
        .substring("PROTOCOL_".length())
        .toLowerCase(java.util.Locale.ROOT);
  }

  @Override
  public String toString() {
    return label();
  }
}
