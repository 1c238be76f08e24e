package io.ferry.sim;

import io.ferry.core.identity.NodeKey;
import io.ferry.core.runtime.Clock;
import io.ferry.core.runtime.RandomSource;
import io.ferry.core.runtime.Scheduler;
import io.ferry.net.PeerAddress;
import io.ferry.net.Transport;

/**
 * What one incarnation of a simulated node gets to run its protocol code: everything a real node
 * would inject, in virtual time.
 *
 * @param name the node's name in the simulation and the trace
 * @param key the node's identity, the same in every incarnation
 * @param address where peers reach this node
 * @param incarnation 1 on the first start, one more on each restart
 * @param transport this incarnation's transport; gone when it crashes
 * @param scheduler virtual-time timers of this incarnation; dropped when it crashes
 * @param clock the simulation's virtual clock
 * @param random this incarnation's own seeded stream
 * @param disk the node's storage, kept across crashes and restarts
 */
public record NodeContext(
    String name,
    NodeKey key,
    PeerAddress address,
    int incarnation,
    Transport transport,
    Scheduler scheduler,
    Clock clock,
    RandomSource random,
    SimDisk disk) {}
