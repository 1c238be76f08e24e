package io.ferry.node.api;

import io.ferry.core.identity.NodeId;
import io.ferry.merkledb.Batch;
import io.ferry.merkledb.Revision;
import java.util.Optional;
import java.util.function.BooleanSupplier;
import java.util.function.Function;
import java.util.function.Supplier;

/**
 * What the write API commits into: a node ({@link io.ferry.node.Node#commit}), or a stand-in in
 * tests. Implementations are thread-safe and serialise their commits.
 */
public interface CommitTarget {
  /**
   * Commits {@code batch} as the next revision.
   *
   * @throws io.ferry.core.FerryException {@code ILLEGAL_STATE} when this node does not produce or
   *     is stopping
   */
  Revision commit(Batch batch);

  /** Whether this node takes writes: it is the producer. */
  boolean produces();

  /** The producer writes go to: this node when it produces, else the one it follows, if any. */
  Optional<NodeId> producer();

  /** A target made of its three parts. */
  static CommitTarget of(
      Function<Batch, Revision> commit,
      BooleanSupplier produces,
      Supplier<Optional<NodeId>> producer) {
    return new CommitTarget() {
      @Override
      public Revision commit(Batch batch) {
        return commit.apply(batch);
      }

      @Override
      public boolean produces() {
        return produces.getAsBoolean();
      }

      @Override
      public Optional<NodeId> producer() {
        return producer.get();
      }
    };
  }
}
