package io.ferry.gossip.plane;

import io.ferry.core.identity.NodeId;
import io.ferry.gossip.value.SignedValue;

/** Told of each value the {@link GossipPlane} takes from a peer, on the plane's scheduler. */
@FunctionalInterface
public interface ValueListener {
  /**
   * @param value judged by the plane's rules and stored
   * @param from the peer that sent it (its relayer, not necessarily its origin)
   */
  void onValue(SignedValue value, NodeId from);
}
