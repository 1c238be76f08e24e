package io.ferry.blocks;

import io.ferry.blocks.dataset.Manifest;
import io.ferry.blocks.store.BlockStore;
import io.ferry.core.ErrorCode;
import io.ferry.core.FerryException;
import java.io.InputStream;
import java.util.Optional;

/**
 * Puts a dataset into a node's store from a stream: cut into blocks, put under a tree, named by a
 * manifest and pinned; with {@code ec}, erasure coded first.
 */
public final class Upload {
  /** Erasure coding: {@code k} data and {@code m} parity blocks per group. */
  public record Ec(int k, int m) {}

  private Upload() {}

  /**
   * @return the manifest stored; its {@link Manifest#cid()} names the dataset
   * @throws FerryException for empty or oversized input, a bad block size, or a full store
   */
  public static Manifest put(
      BlockStore store,
      InputStream in,
      int blockSize,
      String filename,
      String mimetype,
      Optional<Ec> ec) {
    if (ec.isPresent()) {
      // TODO(step 12): erasure-coded upload lands with io.ferry.blocks.erasure.
      throw new FerryException(ErrorCode.UNSUPPORTED, "erasure coding is not built yet");
    }
    return store.importStream(in, blockSize, filename, mimetype);
  }
}
