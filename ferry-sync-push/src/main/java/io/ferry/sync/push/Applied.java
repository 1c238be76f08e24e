package io.ferry.sync.push;

/** What became of a pushed commit at the subscriber. */
public enum Applied {
  /** Re-applied, and the root it made is the signed one: the store is at its head. */
  APPLIED,
  /** The store is at or past its height already (a push that crossed a poll). */
  ALREADY_HAD,
  /** It does not continue the store (a push was missed): the subscriber polls. */
  GAP,
  /** The batch does not make the signed root: the pusher lied; the subscriber polls. */
  WRONG_ROOT,
  /** The subscriber is busy bringing its store forward another way; it polls to the head. */
  NOT_NOW
}
