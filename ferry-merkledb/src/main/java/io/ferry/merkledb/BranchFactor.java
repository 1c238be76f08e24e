package io.ferry.merkledb;

import io.ferry.core.ErrorCode;
import io.ferry.core.FerryException;
import io.ferry.core.Limits;

/**
 * How many children a trie node can have. Keys are read as a sequence of tokens of {@link
 * #tokenBits()} bits each, most significant bit first. Sixteen (4-bit tokens, nibbles) is the
 * default and what AvalancheGo and Firewood use; the branch factor is fixed when a store is created
 * because it changes every root.
 */
public enum BranchFactor {
  BF2(1),
  BF4(2),
  BF16(4),
  BF256(8);

  private final int tokenBits;

  BranchFactor(int tokenBits) {
    this.tokenBits = tokenBits;
  }

  public int tokenBits() {
    return tokenBits;
  }

  /** Children a node can have: {@code 2^tokenBits}. */
  public int width() {
    return 1 << tokenBits;
  }

  /**
   * Nodes on the longest path a proof can hold: one per token of the longest key ({@link
   * Limits#MAX_KEY_BYTES}), plus the root.
   */
  public int maxPathNodes() {
    return Limits.MAX_KEY_BYTES * 8 / tokenBits + 1;
  }

  /** The branch factor with {@code width} children: 2, 4, 16 or 256. */
  public static BranchFactor of(int width) {
    return switch (width) {
      case 2 -> BF2;
      case 4 -> BF4;
      case 16 -> BF16;
      case 256 -> BF256;
      default ->
          throw new FerryException(
              ErrorCode.INVALID_ARGUMENT, "branch factor must be 2, 4, 16 or 256, not " + width);
    };
  }
}
