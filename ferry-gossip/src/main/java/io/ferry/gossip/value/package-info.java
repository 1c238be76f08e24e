/**
 * Gossip values: what a node signs about itself (contact info, snapshot hashes, heads, providers)
 * and the rules every value must pass before a node stores or relays it.
 */
package io.ferry.gossip.value;
