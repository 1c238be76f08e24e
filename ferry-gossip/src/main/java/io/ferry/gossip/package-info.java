/**
 * Gossip of signed values between peers over the {@link io.ferry.net.Transport}. This round carries
 * the producer's signed heads ({@link io.ferry.gossip.head}); snapshot hashes and peer lists join
 * it later.
 */
package io.ferry.gossip;
