/**
 * The gossip plane at scale in the simulator: {@link io.ferry.sim.gossip.GossipSimulation} runs
 * hundreds to thousands of lightweight nodes, each a real {@link io.ferry.gossip.plane.GossipPlane}
 * and the node's {@link io.ferry.net.peers.PeerKeeper}, with latency, loss, crashes, lying peers
 * and a partition, and measures how fast a new value covers the network and what each node sends.
 * {@code bin/ferry sim gossip} runs it; see docs/development.md and docs/benchmarks.md.
 */
package io.ferry.sim.gossip;
