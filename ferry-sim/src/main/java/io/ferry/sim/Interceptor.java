package io.ferry.sim;

import io.ferry.core.identity.NodeId;
import io.ferry.wire.v1.Envelope;

/**
 * A hook on the simulated network for lying or hostile peers: sees every frame just before it is
 * delivered and may pass it on, change it, or drop it. Changed frames are recorded in the trace as
 * tampered. For a peer that lies in its own logic, give its node a lying app instead.
 */
@FunctionalInterface
public interface Interceptor {

  /**
   * @return the envelope to deliver ({@code envelope} itself to pass it on unchanged), or null to
   *     drop it
   */
  Envelope intercept(NodeId from, NodeId to, Envelope envelope);
}
