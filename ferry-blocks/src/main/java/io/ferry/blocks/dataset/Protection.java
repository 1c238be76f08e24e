package io.ferry.blocks.dataset;

import io.ferry.blocks.cid.Cid;
import io.ferry.core.ErrorCode;
import io.ferry.core.FerryException;
import io.ferry.core.Limits;

/**
 * How a protected dataset is laid out, as Codex interleaves it: the original's {@code n} blocks are
 * padded to {@code k × steps} ({@code steps = ⌈n / k⌉}) with zero blocks, and each step {@code s}
 * is a group of {@code k} data blocks {@code s, s + steps, …, s + (k-1)·steps} and {@code m} parity
 * blocks {@code k·steps + s, k·steps + s + steps, …}. Neighbouring blocks thus sit in different
 * groups, so losing a run of up to {@code steps·m} consecutive blocks loses at most {@code m} of
 * any group, which decoding repairs. Every block is {@code blockSize} bytes (the last original
 * block zero-padded), as Reed–Solomon needs equal shards.
 *
 * @param k data blocks per group
 * @param m parity blocks per group
 * @param originalTree the unprotected dataset's tree
 * @param originalSize the unprotected dataset's bytes
 */
public record Protection(int k, int m, Cid originalTree, long originalSize) {
  /** Elements of GF(2⁸): the most shards (data and parity) one Reed–Solomon group can have. */
  public static final int FIELD_SIZE = 256;

  public Protection {
    if (k < 1 || m < 1 || k + m > FIELD_SIZE) {
      throw new FerryException(
          ErrorCode.INVALID_ARGUMENT,
          "erasure coding takes K ≥ 1 and M ≥ 1 with K + M ≤ "
              + FIELD_SIZE
              + ", not "
              + k
              + ","
              + m);
    }
    if (originalSize < 1) {
      throw new FerryException(ErrorCode.INVALID_ARGUMENT, "a protected dataset has bytes");
    }
  }

  /** Blocks of the original dataset of {@code blockSize}. */
  public long originalBlocks(int blockSize) {
    return (originalSize + blockSize - 1) / blockSize;
  }

  /** Groups (Codex's steps). */
  public long steps(int blockSize) {
    return (originalBlocks(blockSize) + k - 1) / k;
  }

  /** Blocks of the protected dataset: data, padding and parity. */
  public long blocks(int blockSize) {
    return steps(blockSize) * (k + m);
  }

  /** The group of block {@code index}. */
  public int group(int index, int blockSize) {
    return (int) (index % steps(blockSize));
  }

  /**
   * The blocks of group {@code step}: its {@code k} data blocks, then its {@code m} parity ones.
   */
  public int[] members(int step, int blockSize) {
    int steps = (int) steps(blockSize);
    int[] out = new int[k + m];
    for (int j = 0; j < k + m; j++) {
      out[j] = step + j * steps;
    }
    return out;
  }

  /** Checks that the protected dataset fits the limits. */
  void check(int blockSize) {
    if (blocks(blockSize) > Limits.MAX_DATASET_BLOCKS) {
      throw new FerryException(
          ErrorCode.INVALID_ARGUMENT,
          "a protected dataset of "
              + blocks(blockSize)
              + " blocks is over "
              + Limits.MAX_DATASET_BLOCKS);
    }
  }
}
