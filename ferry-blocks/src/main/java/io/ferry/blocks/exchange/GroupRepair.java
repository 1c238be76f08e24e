package io.ferry.blocks.exchange;

import io.ferry.blocks.dataset.Protection;

/** Rebuilds the missing blocks of one erasure-coded group from the ones held. */
@FunctionalInterface
public interface GroupRepair {
  /**
   * @param members the group's {@code k + m} blocks in {@link Protection#members} order, null where
   *     missing; at least {@code k} present
   * @return every member filled in
   */
  byte[][] repair(Protection protection, int blockSize, int step, byte[][] members);
}
