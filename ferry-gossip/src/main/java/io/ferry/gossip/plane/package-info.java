/** The gossip plane: publish, push to an active set, prune, pull with a Bloom filter, expiry. */
package io.ferry.gossip.plane;
