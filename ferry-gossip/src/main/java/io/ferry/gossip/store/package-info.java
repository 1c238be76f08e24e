/**
 * The gossip table (one value per origin, kind and index; newest wins) and the pull's Bloom filter.
 */
package io.ferry.gossip.store;
