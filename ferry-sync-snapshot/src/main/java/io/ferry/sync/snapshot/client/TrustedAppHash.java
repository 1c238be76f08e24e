package io.ferry.sync.snapshot.client;

import io.ferry.core.Bytes;
import io.ferry.sync.snapshot.app.Snapshot;
import java.util.Optional;

/**
 * What the node trusts a snapshot's state to hash to: the role of CometBFT's light client. A
 * snapshot without a trusted app hash is never offered (it may be later, when trust arrives).
 * Called on the syncer's scheduler; must not block.
 */
@FunctionalInterface
public interface TrustedAppHash {

  /** The app hash the state at {@code snapshot}'s height must have, if the node knows one. */
  Optional<Bytes> appHash(Snapshot snapshot);

  /** One hash for every height: the operator's {@code --trust-root}. */
  static TrustedAppHash fixed(Bytes appHash) {
    return s -> Optional.of(appHash);
  }
}
