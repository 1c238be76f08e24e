package io.ferry.core;

/**
 * The kinds of failure Ferry reports, to callers as {@link FerryException#code()} and to peers as
 * the numeric {@link #wireValue()} in an error envelope.
 *
 * <p>Wire values are stable: never renumber one, only add new ones.
 */
public enum ErrorCode {
  /** A caller or peer passed an argument that can never be valid (zero limit, start after end). */
  INVALID_ARGUMENT(1),
  /** Bytes or text that do not decode: bad hex, bad base58, malformed protobuf, bad JSON. */
  INVALID_ENCODING(2),
  /** A message, value or request exceeds a named limit in {@link Limits}. */
  LIMIT_EXCEEDED(3),
  /** The thing asked for (root, key, snapshot, file) is not here. */
  NOT_FOUND(4),
  /** Stored data failed an integrity check (truncated file, bad checksum, corrupt key file). */
  CORRUPT_DATA(5),
  /** A proof, signature or hash did not verify against what the receiver trusts. */
  VERIFICATION_FAILED(6),
  /** The revision asked for is older than the retained history. */
  INSUFFICIENT_HISTORY(7),
  /** The peer or resource is temporarily unable to serve; retry elsewhere or later. */
  UNAVAILABLE(8),
  /** A deadline passed before an answer arrived. */
  TIMEOUT(9),
  /** File permissions make a file unsafe or unusable (a world-readable private key). */
  PERMISSION_DENIED(10),
  /** Local I/O failed. */
  IO_ERROR(11),
  /**
   * The operation is valid but not possible in the current state (store closed, already started).
   */
  ILLEGAL_STATE(12),
  /** A bug: an invariant that should always hold did not. */
  INTERNAL(13),
  /** The peer does not serve this protocol or message kind. */
  UNSUPPORTED(14);

  private final int wireValue;

  ErrorCode(int wireValue) {
    this.wireValue = wireValue;
  }

  /** The stable number sent to peers. */
  public int wireValue() {
    return wireValue;
  }

  /** The code for a wire value; unknown values (from newer peers) map to {@link #INTERNAL}. */
  public static ErrorCode fromWire(int value) {
    for (ErrorCode code : values()) {
      if (code.wireValue == value) {
        return code;
      }
    }
    return INTERNAL;
  }
}
