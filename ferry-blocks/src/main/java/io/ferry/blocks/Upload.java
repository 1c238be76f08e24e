package io.ferry.blocks;

import io.ferry.blocks.cid.Cid;
import io.ferry.blocks.cid.Multicodec;
import io.ferry.blocks.dataset.BlockTree;
import io.ferry.blocks.dataset.Manifest;
import io.ferry.blocks.dataset.Protection;
import io.ferry.blocks.erasure.DatasetCoder;
import io.ferry.blocks.store.BlockStore;
import io.ferry.blocks.store.DatasetWriter;
import io.ferry.core.ErrorCode;
import io.ferry.core.FerryException;
import io.ferry.core.Hash;
import io.ferry.core.Limits;
import io.ferry.core.Sha256Hasher;
import java.io.IOException;
import java.io.InputStream;
import java.io.RandomAccessFile;
import java.io.UncheckedIOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.List;
import java.util.Optional;

/**
 * Puts a dataset into a node's store from a stream: cut into blocks, put under a tree, named by a
 * manifest and pinned; with {@link Ec}, erasure coded in Codex's interleaved layout ({@link
 * Protection}): the data blocks (the last zero-padded to a full block), zero blocks up to a whole
 * number of groups, then the parity blocks, under one tree, with the original's tree and size in
 * the manifest.
 *
 * <p>Memory stays at one group of blocks and 32 bytes per block, whatever the dataset's size: the
 * data blocks are read back from the store for each group, and parity, computed group by group but
 * stored in index order, waits in a temporary file.
 */
public final class Upload {
  /**
   * Erasure coding: {@code k} data and {@code m} parity blocks per group.
   *
   * @throws FerryException {@link ErrorCode#INVALID_ARGUMENT} unless 1 ≤ k, 1 ≤ m, k + m ≤ 256
   */
  public record Ec(int k, int m) {
    public Ec {
      if (k < 1 || m < 1 || k + m > Protection.FIELD_SIZE) {
        throw new FerryException(
            ErrorCode.INVALID_ARGUMENT,
            "erasure coding takes K,M with K ≥ 1, M ≥ 1 and K + M ≤ "
                + Protection.FIELD_SIZE
                + ", not "
                + k
                + ","
                + m);
      }
    }

    /** Parses {@code K,M}, as {@code --ec} takes it. */
    public static Ec parse(String text) {
      String[] parts = text.split(",", -1);
      try {
        if (parts.length == 2) {
          return new Ec(Integer.parseInt(parts[0].trim()), Integer.parseInt(parts[1].trim()));
        }
      } catch (NumberFormatException e) {
        // falls through to the error below
      }
      throw new FerryException(
          ErrorCode.INVALID_ARGUMENT, "erasure coding is K,M (e.g. 4,2), not '" + text + "'");
    }
  }

  private Upload() {}

  /**
   * @return the manifest stored; its {@link Manifest#cid()} names the dataset
   * @throws FerryException {@link ErrorCode#INVALID_ARGUMENT} for empty input or a block size out
   *     of bounds, {@link ErrorCode#LIMIT_EXCEEDED} for too many blocks or a full store, {@link
   *     ErrorCode#IO_ERROR} when the input cannot be read; nothing is kept then
   */
  public static Manifest put(
      BlockStore store,
      InputStream in,
      int blockSize,
      String filename,
      String mimetype,
      Optional<Ec> ec) {
    if (blockSize < 1 || blockSize > Limits.MAX_BLOCK_BYTES) {
      throw new FerryException(
          ErrorCode.INVALID_ARGUMENT,
          "a block size is 1 to " + Limits.MAX_BLOCK_BYTES + " bytes, not " + blockSize);
    }
    if (ec.isEmpty()) {
      return store.importStream(in, blockSize, filename, mimetype);
    }
    try (DatasetWriter w = store.newDataset(blockSize)) {
      return protectedPut(store, w, in, blockSize, filename, mimetype, ec.get());
    } catch (IOException e) {
      throw new FerryException(ErrorCode.IO_ERROR, "reading the upload: " + e.getMessage(), e);
    }
  }

  private static Manifest protectedPut(
      BlockStore store,
      DatasetWriter w,
      InputStream in,
      int blockSize,
      String filename,
      String mimetype,
      Ec ec)
      throws IOException {
    long size = 0;
    Hash shortLast = null;
    byte[] buf = new byte[blockSize];
    while (true) {
      int n = in.readNBytes(buf, 0, blockSize);
      if (n == 0) {
        break;
      }
      size += n;
      if (n < blockSize) {
        // The original's last block is short; the protected dataset holds it zero-padded.
        shortLast = Hash.wrap(Sha256Hasher.threadDigest().digest(Arrays.copyOf(buf, n)));
        Arrays.fill(buf, n, blockSize, (byte) 0);
      }
      w.add(buf.clone());
      if (n < blockSize) {
        break;
      }
    }
    if (size == 0) {
      throw new FerryException(ErrorCode.INVALID_ARGUMENT, "a dataset has at least one byte");
    }
    int original = w.blocks();
    List<Hash> originalLeaves = new ArrayList<>(original);
    for (int i = 0; i < original; i++) {
      originalLeaves.add(i == original - 1 && shortLast != null ? shortLast : w.digest(i));
    }
    Cid originalTree = BlockTree.of(originalLeaves).cid();
    Protection p = new Protection(ec.k(), ec.m(), originalTree, size);
    if (p.blocks(blockSize) > Limits.MAX_DATASET_BLOCKS) {
      throw new FerryException(
          ErrorCode.LIMIT_EXCEEDED,
          "protected with "
              + ec.k()
              + ","
              + ec.m()
              + " it is "
              + p.blocks(blockSize)
              + " blocks, over "
              + Limits.MAX_DATASET_BLOCKS);
    }
    int steps = (int) p.steps(blockSize);
    byte[] zeros = new byte[blockSize];
    for (int i = original; i < ec.k() * steps; i++) {
      w.add(zeros);
    }
    Path parity = Files.createTempFile("ferry-parity-", ".blocks");
    try (RandomAccessFile file = new RandomAccessFile(parity.toFile(), "rw")) {
      int dataRegion = ec.k() * steps;
      DatasetCoder.encode(
          p,
          blockSize,
          i -> store.block(Cid.of(Multicodec.RAW, w.digest(i))).orElseThrow(),
          (index, block) -> {
            try {
              file.seek((long) (index - dataRegion) * blockSize);
              file.write(block);
            } catch (IOException e) {
              throw new UncheckedIOException(e);
            }
          });
      file.seek(0);
      for (int j = 0; j < ec.m() * steps; j++) {
        file.readFully(buf);
        w.add(buf.clone());
      }
    } catch (UncheckedIOException e) {
      throw e.getCause();
    } finally {
      Files.deleteIfExists(parity);
    }
    return w.finish(filename, mimetype, Optional.of(p));
  }
}
