package io.ferry.core.identity;

import io.ferry.core.Base58;
import io.ferry.core.ErrorCode;
import io.ferry.core.FerryException;
import java.util.Arrays;

/**
 * A node's identity: its 32-byte Ed25519 public key. Transports authenticate peers to a NodeId, so
 * a message from a NodeId was sent by the holder of the matching {@link NodeKey}.
 *
 * <p>The text form is base58, as Solana writes public keys. Immutable and thread-safe; ordered by
 * unsigned bytes (used, for example, to break ties between simultaneous dials).
 */
public final class NodeId implements Comparable<NodeId> {
  public static final int LENGTH = 32;

  private final byte[] publicKey;
  // Base58 of the key, made on first use: log lines and error messages name peers all the time,
  // and encoding is a big-number division per character. A benign race: every thread computes the
  // same string.
  private String text;

  private NodeId(byte[] publicKey) {
    this.publicKey = publicKey;
  }

  /**
   * The NodeId for a raw 32-byte Ed25519 public key.
   *
   * @throws FerryException {@link ErrorCode#INVALID_ENCODING} if the length is wrong
   */
  public static NodeId of(byte[] publicKey) {
    if (publicKey.length != LENGTH) {
      throw new FerryException(
          ErrorCode.INVALID_ENCODING,
          "a node id is a "
              + LENGTH
              + "-byte Ed25519 public key, got "
              + publicKey.length
              + " bytes");
    }
    return new NodeId(publicKey.clone());
  }

  /** Parses the base58 text form. */
  public static NodeId parse(String text) {
    byte[] decoded;
    try {
      decoded = Base58.decode(text.strip());
    } catch (FerryException e) {
      throw new FerryException(
          ErrorCode.INVALID_ENCODING, "bad node id '" + text + "': " + e.getMessage());
    }
    if (decoded.length != LENGTH) {
      throw new FerryException(
          ErrorCode.INVALID_ENCODING,
          "bad node id '" + text + "': decodes to " + decoded.length + " bytes, not " + LENGTH);
    }
    return new NodeId(decoded);
  }

  /** A copy of the raw public key. */
  public byte[] publicKey() {
    return publicKey.clone();
  }

  /** Checks an Ed25519 signature by this node over {@code message}. */
  public boolean verify(byte[] message, byte[] signature) {
    return Ed25519.verify(publicKey, message, signature);
  }

  /** First eight base58 characters, for log lines. */
  public String shortString() {
    String s = toString();
    return s.length() <= 8 ? s : s.substring(0, 8);
  }

  @Override
  public int compareTo(NodeId other) {
    return Arrays.compareUnsigned(publicKey, other.publicKey);
  }

  @Override
  public boolean equals(Object o) {
    return o instanceof NodeId n && Arrays.equals(publicKey, n.publicKey);
  }

  @Override
  public int hashCode() {
    return Arrays.hashCode(publicKey);
  }

  /** The base58 form. */
  @Override
  public String toString() {
    String t = text;
    if (t == null) {
      t = Base58.encode(publicKey);
      text = t;
    }
    return t;
  }
}
