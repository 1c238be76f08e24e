/**
 * Gossip of signed values between the nodes of a network over the {@link io.ferry.net.Transport}
 * (Agave's cluster info): the values and their rules ({@link io.ferry.gossip.value}), the table
 * ({@link io.ferry.gossip.store}), how values spread ({@link io.ferry.gossip.plane}), the
 * producer's heads ({@link io.ferry.gossip.head}) and the cluster table ({@link
 * io.ferry.gossip.cluster}). See docs/gossip.md.
 */
package io.ferry.gossip;
