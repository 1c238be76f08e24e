package io.ferry.blocks.cid;

import io.ferry.core.ErrorCode;
import io.ferry.core.FerryException;

/**
 * What the bytes a CID names are. A data block is {@link #RAW}, so its CID is the one any IPFS tool
 * computes for the same bytes; a tree root and a manifest are Ferry's own encodings, so they take
 * codes from the multicodec table's private-use range rather than Codex's {@code codex-root} and
 * {@code codex-manifest}, whose encodings differ.
 */
public enum Multicodec {
  /** Raw bytes: a block of a dataset. */
  RAW(0x55),
  /** A Merkle root over the SHA-256 digests of a dataset's blocks (see {@code BlockTree}). */
  FERRY_TREE(0x300f01),
  /** An encoded {@code Manifest}. */
  FERRY_MANIFEST(0x300f02);

  private final int code;

  Multicodec(int code) {
    this.code = code;
  }

  public int code() {
    return code;
  }

  /**
   * @throws FerryException {@link ErrorCode#INVALID_ENCODING} for a code Ferry does not use
   */
  public static Multicodec of(long code) {
    for (Multicodec c : values()) {
      if (c.code == code) {
        return c;
      }
    }
    throw new FerryException(
        ErrorCode.INVALID_ENCODING, "multicodec 0x" + Long.toHexString(code) + " is not used here");
  }
}
