package io.ferry.blocks.exchange;

import io.ferry.blocks.cid.Cid;
import io.ferry.core.identity.NodeId;
import java.util.List;
import java.util.concurrent.CompletableFuture;

/**
 * Who may hold a dataset and how to reach them: the gossip plane's provider records in a node
 * ({@code io.ferry.blocks.discovery.ProviderRecords}), a fixed list in tests.
 */
public interface Providers {
  /** Peers that announced the dataset named {@code manifest}, those holding all of it first. */
  List<NodeId> lookup(Cid manifest);

  /** Connects to {@code peer}; completes with its id, or fails when it cannot be reached. */
  CompletableFuture<NodeId> dial(NodeId peer);

  /**
   * Tells the network this node holds (part of) the dataset, or all of it when {@code complete}.
   */
  default void announce(Cid manifest, Cid tree, boolean complete) {}

  /** Providers known to no one: for a node that only fetches from its connected peers. */
  Providers NONE =
      new Providers() {
        @Override
        public List<NodeId> lookup(Cid manifest) {
          return List.of();
        }

        @Override
        public CompletableFuture<NodeId> dial(NodeId peer) {
          return CompletableFuture.failedFuture(
              new io.ferry.core.FerryException(
                  io.ferry.core.ErrorCode.UNAVAILABLE, "no way to reach " + peer));
        }
      };
}
