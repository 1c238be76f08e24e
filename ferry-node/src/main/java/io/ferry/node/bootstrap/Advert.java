package io.ferry.node.bootstrap;

import io.ferry.core.archive.SnapshotHashes;
import io.ferry.core.identity.NodeId;
import java.util.Optional;

/**
 * One node's snapshot advertisement as the gossip table holds it: its signed {@code
 * SNAPSHOT_HASHES} value and, when its contact info names one, the HTTP address it serves archives
 * at. Immutable.
 *
 * @param origin the node that signed the advertisement
 * @param hashes its newest full snapshot and the incrementals on it
 * @param http {@code host:port} of its HTTP service; empty when it serves none (or we hold no
 *     contact info of it yet)
 */
public record Advert(NodeId origin, SnapshotHashes hashes, Optional<String> http) {
  /** Whether it advertises {@code slot} among its incrementals. */
  boolean hasIncremental(SnapshotHashes.Slot slot) {
    return hashes.incrementals().contains(slot);
  }
}
