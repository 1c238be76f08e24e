package io.ferry.net.peers;

/**
 * Misbehaviour a protocol reports about a peer, with the score it costs. A peer whose score falls
 * to {@link PeerManager#BAN_THRESHOLD} is banned; scores recover slowly with time, so an honest
 * peer's rare timeout never adds up to a ban while two lies do.
 */
public enum Offence {
  /** A proof, hash or signature that does not verify: a lie, not an accident. */
  INVALID_PROOF(60),
  /** Bytes that do not decode as the protocol's message. */
  MALFORMED_MESSAGE(40),
  /** A well-formed message the protocol forbids here (answer without request, wrong state). */
  PROTOCOL_VIOLATION(25),
  /** Data nobody asked for. */
  UNREQUESTED_DATA(10),
  /** No answer in time: could be load, so it costs little. */
  TIMEOUT(5);

  private final int penalty;

  Offence(int penalty) {
    this.penalty = penalty;
  }

  /** Score points lost. */
  public int penalty() {
    return penalty;
  }

  /** Lower-case name for logs and metric labels. */
  public String label() {
    return name().toLowerCase(java.util.Locale.ROOT);
  }
}
