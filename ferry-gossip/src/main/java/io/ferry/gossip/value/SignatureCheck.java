package io.ferry.gossip.value;

/**
 * How {@link ValueRules} checks a value's signature, the costliest of its checks: {@link #ED25519}
 * verifies it every time, which is what a node does (a value it holds already is dropped before the
 * check, so it checks each value once). A simulator that runs many nodes in one process may
 * remember outcomes across them, since the check is a pure function of the value and the network.
 * Must be thread-safe.
 */
@FunctionalInterface
public interface SignatureCheck {
  /** Verifies the origin's Ed25519 signature: {@link SignedValue#verifies}. */
  SignatureCheck ED25519 = SignedValue::verifies;

  /** Whether {@code value}'s signature is its origin's over it in {@code network}. */
  boolean verifies(SignedValue value, String network);
}
