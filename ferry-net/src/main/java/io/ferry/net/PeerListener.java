package io.ferry.net;

import io.ferry.core.identity.NodeId;

/** Told when a peer's connection opens and closes. Called on transport threads; must not block. */
public interface PeerListener {

  /**
   * A connection to {@code peer} is open and authenticated.
   *
   * @param outbound whether we dialled it
   */
  default void onConnected(NodeId peer, boolean outbound) {}

  /** The connection to {@code peer} closed; {@code reason} is for logs. */
  default void onDisconnected(NodeId peer, String reason) {}
}
