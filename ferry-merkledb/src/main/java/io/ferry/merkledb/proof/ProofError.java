package io.ferry.merkledb.proof;

/** Why a proof was rejected. Each is a distinct, stable reason a peer can be scored on. */
public enum ProofError {
  START_AFTER_END,
  TOO_MANY_KEYS,
  KEYS_OUT_OF_ORDER,
  KEY_OUT_OF_RANGE,
  EMPTY_PROOF,
  MISSING_START_PROOF,
  MISSING_END_PROOF,
  UNEXPECTED_START_PROOF,
  UNEXPECTED_END_PROOF,
  /** A proof node that is on neither the start path nor the end path. */
  PROOF_NODE_OFF_PATH,
  /** Proof nodes that do not descend from one root through the children they list. */
  DISCONNECTED_PROOF_NODES,
  /** A proof path with more nodes than the longest key has tokens, plus the root. */
  PATH_TOO_LONG,
  /** Two proof nodes at one path that disagree. */
  INCONSISTENT_PROOF_NODES,
  /** A malformed node: a value at a path inside a byte, a child index too large, a bad digest. */
  INVALID_PROOF_NODE,
  /**
   * The claimed contents disagree with what the proof nodes show: a proof node's value differs from
   * the key-values or changes (a forged exclusion, say), a key is claimed where the proof nodes
   * leave no place for one (a forged inclusion), or a change changes nothing locally.
   */
  VALUE_MISMATCH,
  /** A key or value larger than the limits allow. */
  OVERSIZED,
  /** Everything is well formed, but the data does not hash to the trusted root. */
  ROOT_MISMATCH,
  /** The server cannot fit even one key-value in the byte limit. */
  MIN_PROOF_SIZE_TOO_LARGE
}
