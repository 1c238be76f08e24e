/** The cluster as the gossip table shows it: one row per node, for {@code /status} and the CLI. */
package io.ferry.gossip.cluster;
