package io.ferry.sim.proof;

/**
 * The ways a {@link LyingServers} server alters an honest proof. The first two edit the answer in
 * place, so its parts no longer agree with each other; the forgeries are built by a liar that
 * answers from its own trie with the lie applied, so the proof is consistent in itself and only the
 * root it leads to is wrong.
 */
enum Lie {
  /** One key-value (or key change) gets another value; a delete becomes a put. */
  TAMPERED_VALUE,
  /** One key-value (or key change) from the middle of the proof is left out. */
  DROPPED_KEY,
  /**
   * A key the root holds is claimed absent: the proof is made from the liar's trie with that key
   * deleted, so its boundary nodes prove the key's absence. When the liar no longer holds the asked
   * root as its head, the key is left out and the end proof node that holds it removed instead.
   */
  FORGED_EXCLUSION,
  /**
   * The end proof is swapped for the path to the same key in another root the liar keeps, or, with
   * no other root yet, for the end proof of an earlier answer (another range).
   */
  WRONG_END_PROOF,
  /**
   * A key-value the root does not hold is added inside the range, with a proof from the liar's trie
   * with that key inserted (or, if the asked root is not the liar's head, just added to the list).
   * Also the fallback when another lie has nothing to work on (a proof without keys, say).
   */
  FORGED_INCLUSION
}
