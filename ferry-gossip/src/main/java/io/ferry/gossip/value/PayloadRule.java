package io.ferry.gossip.value;

import java.util.Optional;

/**
 * The sanity rules of one {@link ValueKind}'s payload, beyond the signature every value gets: a
 * protocol that publishes a kind supplies its rule, so the gossip store never holds a value it
 * cannot judge. Must be cheap, deterministic and thread-safe.
 */
@FunctionalInterface
public interface PayloadRule {
  /** Why {@code value}'s payload breaks this kind's rules, or empty when it obeys them. */
  Optional<String> broken(SignedValue value);
}
