/**
 * Peer discovery: {@link io.ferry.gossip.discovery.Discovery} learns the nodes of a network from
 * the gossip plane's contact info, starting from entrypoints, and keeps this node connected to a
 * bounded, random, rotating subset of them. See docs/gossip.md (Discovery).
 */
package io.ferry.gossip.discovery;
