/**
 * Signed heads: a producer signs each (height, root) it commits with its node key ({@link
 * io.ferry.gossip.head.SignedHead}); followers accept only heads their {@link
 * io.ferry.gossip.head.HeadTrust} allows, and {@link io.ferry.gossip.head.HeadExchange} publishes
 * and takes them as values of the gossip plane. A signature makes relaying safe: a head learned
 * from any peer is as good as one from the producer itself.
 */
package io.ferry.gossip.head;
