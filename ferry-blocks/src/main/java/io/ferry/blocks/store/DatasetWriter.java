package io.ferry.blocks.store;

import io.ferry.blocks.cid.Cid;
import io.ferry.blocks.dataset.BlockTree;
import io.ferry.blocks.dataset.Manifest;
import io.ferry.blocks.dataset.Protection;
import io.ferry.core.ErrorCode;
import io.ferry.core.FerryException;
import io.ferry.core.Hash;
import io.ferry.core.Limits;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.List;
import java.util.Optional;

/**
 * Writes a new dataset into a {@link BlockStore}: blocks {@link #add added} in index order are
 * stored at once (staged: an unfinished import is dropped by {@link #close} or the next open), and
 * {@link #finish} builds the tree over them, turns them into its leaves with their proofs and
 * stores the manifest, pinned and durable. Only the blocks' digests stay in memory, 32 bytes each.
 *
 * <p>A protected (erasure-coded) dataset is written the same way: its data blocks, zero-padded to
 * full ones, then its parity blocks after them, and {@link #finish(String, String, Optional)} with
 * its {@link Protection}; {@link #digest} gives the data blocks' digests for the original tree.
 *
 * <p>Not thread-safe: one writer is used by one thread at a time.
 */
public final class DatasetWriter implements AutoCloseable {
  private final BlockStore store;
  private final long id;
  private final int blockSize;
  private final int maxBlocks;
  private byte[] digests = new byte[Hash.LENGTH * 64];
  private int blocks;
  private long bytes;
  private boolean shortBlock;
  private boolean ended;

  DatasetWriter(BlockStore store, long id, int blockSize, int maxBlocks) {
    this.store = store;
    this.id = id;
    this.blockSize = blockSize;
    this.maxBlocks = maxBlocks;
  }

  /**
   * Stores the next block: {@code blockSize} bytes, or fewer for the last one.
   *
   * @throws FerryException {@link ErrorCode#INVALID_ARGUMENT} for an empty or oversized block or
   *     one after a short block; {@link ErrorCode#LIMIT_EXCEEDED} past {@link
   *     Limits#MAX_DATASET_BLOCKS} blocks or the store's quota
   */
  public void add(byte[] block) {
    checkOpen();
    if (block.length < 1 || block.length > blockSize) {
      throw new FerryException(
          ErrorCode.INVALID_ARGUMENT,
          "a block of " + block.length + " bytes in a dataset of " + blockSize + "-byte blocks");
    }
    if (shortBlock) {
      throw new FerryException(
          ErrorCode.INVALID_ARGUMENT, "only the last block of a dataset may be short");
    }
    if (blocks == maxBlocks) {
      throw new FerryException(
          ErrorCode.LIMIT_EXCEEDED, "a dataset has at most " + maxBlocks + " blocks");
    }
    Cid cid = store.stage(id, blocks, block);
    if ((blocks + 1) * Hash.LENGTH > digests.length) {
      digests = Arrays.copyOf(digests, Math.max(digests.length * 2, (blocks + 1) * Hash.LENGTH));
    }
    cid.digest().copyTo(digests, blocks * Hash.LENGTH);
    blocks++;
    bytes += block.length;
    shortBlock = block.length < blockSize;
  }

  /** Blocks added so far. */
  public int blocks() {
    return blocks;
  }

  /** Bytes added so far. */
  public long bytes() {
    return bytes;
  }

  /** The SHA-256 of block {@code index} (its raw CID's digest). */
  public Hash digest(int index) {
    if (index < 0 || index >= blocks) {
      throw new IndexOutOfBoundsException("block " + index + " of " + blocks);
    }
    return Hash.of(Arrays.copyOfRange(digests, index * Hash.LENGTH, (index + 1) * Hash.LENGTH));
  }

  /**
   * Finishes a plain dataset.
   *
   * @see #finish(String, String, Optional)
   */
  public Manifest finish(String filename, String mimetype) {
    return finish(filename, mimetype, Optional.empty());
  }

  /**
   * Builds the tree over the blocks added, stores its leaves and the manifest (its size: the bytes
   * added, or every block full for a protected dataset), pins it and syncs the store.
   *
   * @throws FerryException {@link ErrorCode#INVALID_ARGUMENT} for no blocks, a manifest field out
   *     of bounds, or a protected dataset with a short block or a block count its protection does
   *     not give; {@link ErrorCode#LIMIT_EXCEEDED} for the quota. The writer stays open after a
   *     failure: close it to drop what it stored.
   */
  public Manifest finish(String filename, String mimetype, Optional<Protection> protection) {
    checkOpen();
    if (blocks == 0) {
      throw new FerryException(ErrorCode.INVALID_ARGUMENT, "a dataset has at least one block");
    }
    if (protection.isPresent() && shortBlock) {
      throw new FerryException(
          ErrorCode.INVALID_ARGUMENT, "every block of a protected dataset is full");
    }
    long size = protection.isPresent() ? (long) blocks * blockSize : bytes;
    List<Hash> leaves = new ArrayList<>(blocks);
    for (int i = 0; i < blocks; i++) {
      leaves.add(digest(i));
    }
    BlockTree tree = BlockTree.of(leaves);
    Manifest manifest = new Manifest(tree.cid(), size, blockSize, filename, mimetype, protection);
    Manifest stored = store.commit(id, tree, manifest);
    ended = true;
    return stored;
  }

  private void checkOpen() {
    if (ended) {
      throw new FerryException(ErrorCode.ILLEGAL_STATE, "the dataset writer has ended");
    }
  }

  /** Drops the blocks stored unless {@link #finish} succeeded. Idempotent. */
  @Override
  public void close() {
    if (!ended) {
      ended = true;
      store.abort(id);
    }
  }
}
