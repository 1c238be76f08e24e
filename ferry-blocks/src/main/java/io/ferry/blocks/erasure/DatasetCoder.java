package io.ferry.blocks.erasure;

import io.ferry.blocks.dataset.Protection;
import io.ferry.core.ErrorCode;
import io.ferry.core.FerryException;
import io.ferry.core.Limits;
import java.util.function.IntFunction;

/**
 * Reed–Solomon over a protected dataset's blocks in {@link Protection}'s interleaved layout: group
 * (step) {@code s} is data blocks {@code s + j·steps} for {@code j < k} and parity blocks {@code
 * k·steps + s + j·steps} for {@code j < m}. Data blocks at or past the original's block count are
 * padding: zeros by definition, so they are never fetched and never count as lost.
 *
 * <p>{@link #encode} streams group by group and holds one group at a time: memory is {@code (k+m) ×
 * blockSize} whatever the dataset's size. {@link #repair} rebuilds the lost blocks of one group.
 *
 * <p>Stateless; thread-safe (it shares {@link ReedSolomon}'s coders).
 */
public final class DatasetCoder {
  private DatasetCoder() {}

  /** Receives one block of a protected dataset. */
  @FunctionalInterface
  public interface BlockSink {
    /**
     * Takes block {@code index} of the protected dataset; {@code block} is new and the sink's to
     * keep.
     */
    void accept(int index, byte[] block);
  }

  /**
   * Computes every parity block, group by group, and hands each to {@code parity} in group order
   * (within a group, in member order).
   *
   * @param dataBlock the original's block at an index below {@link Protection#originalBlocks}:
   *     {@code blockSize} bytes, the last block zero-padded to it; never asked for padding
   * @throws FerryException {@link ErrorCode#INVALID_ARGUMENT} for a block size out of bounds or a
   *     data block of the wrong length
   */
  public static void encode(
      Protection p, int blockSize, IntFunction<byte[]> dataBlock, BlockSink parity) {
    int steps = steps(p, blockSize);
    ReedSolomon rs = ReedSolomon.of(p.k(), p.m());
    byte[] padding = new byte[blockSize];
    for (int step = 0; step < steps; step++) {
      int[] members = p.members(step, blockSize);
      byte[][] shards = new byte[p.k() + p.m()][];
      for (int j = 0; j < p.k(); j++) {
        shards[j] =
            isPadding(p, blockSize, members[j])
                ? padding
                : checked(dataBlock.apply(members[j]), members[j], blockSize);
      }
      rs.encode(shards);
      for (int j = p.k(); j < p.k() + p.m(); j++) {
        parity.accept(members[j], shards[j]);
      }
    }
  }

  /**
   * The blocks of group {@code step} with the lost ones rebuilt: a present block is returned as it
   * is, a lost padding block as zeros, and any other lost block decoded.
   *
   * @param members the group's {@code k + m} blocks in member order ({@link Protection#members}),
   *     {@code null} where lost
   * @return a new array of the group's blocks, none {@code null}
   * @throws FerryException {@link ErrorCode#INVALID_ARGUMENT} when more than {@code m} blocks other
   *     than padding are lost (nothing is rebuilt), for a step out of range, the wrong number of
   *     members, or a block of the wrong length
   */
  public static byte[][] repair(Protection p, int blockSize, int step, byte[][] members) {
    int steps = steps(p, blockSize);
    int n = p.k() + p.m();
    if (step < 0 || step >= steps) {
      throw invalid("step " + step + " is not in 0.." + (steps - 1));
    }
    if (members.length != n) {
      throw invalid(
          "a " + p.k() + "+" + p.m() + " group has " + n + " blocks, not " + members.length);
    }
    int[] indices = p.members(step, blockSize);
    byte[][] out = new byte[n][];
    boolean[] present = new boolean[n];
    int lost = 0;
    for (int j = 0; j < n; j++) {
      if (members[j] != null) {
        out[j] = checked(members[j], indices[j], blockSize);
        present[j] = true;
      } else if (j < p.k() && isPadding(p, blockSize, indices[j])) {
        out[j] = new byte[blockSize];
        present[j] = true;
      } else {
        lost++;
      }
    }
    if (lost > p.m()) {
      throw invalid(
          "group "
              + step
              + " lost "
              + lost
              + " of its "
              + n
              + " blocks; a "
              + p.k()
              + "+"
              + p.m()
              + " code repairs at most "
              + p.m());
    }
    if (lost > 0) {
      ReedSolomon.of(p.k(), p.m()).reconstruct(out, present);
    }
    return out;
  }

  /**
   * Whether block {@code index} of the protected dataset is padding: in the data region, past the
   * original's blocks, and so all zeros.
   */
  public static boolean isPadding(Protection p, int blockSize, long index) {
    return index >= p.originalBlocks(blockSize) && index < p.k() * p.steps(blockSize);
  }

  private static int steps(Protection p, int blockSize) {
    if (blockSize < 1 || blockSize > Limits.MAX_BLOCK_BYTES) {
      throw invalid("a block size of " + blockSize + " is not 1 to " + Limits.MAX_BLOCK_BYTES);
    }
    long steps = p.steps(blockSize);
    if (p.blocks(blockSize) > Limits.MAX_DATASET_BLOCKS) {
      throw invalid(
          "a protected dataset of "
              + p.blocks(blockSize)
              + " blocks is over "
              + Limits.MAX_DATASET_BLOCKS);
    }
    return (int) steps;
  }

  private static byte[] checked(byte[] block, int index, int blockSize) {
    if (block == null || block.length != blockSize) {
      throw invalid(
          "block "
              + index
              + " has "
              + (block == null ? "no" : String.valueOf(block.length))
              + " bytes, not "
              + blockSize);
    }
    return block;
  }

  private static FerryException invalid(String message) {
    return new FerryException(ErrorCode.INVALID_ARGUMENT, message);
  }
}
