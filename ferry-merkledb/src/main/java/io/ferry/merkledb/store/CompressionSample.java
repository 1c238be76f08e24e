package io.ferry.merkledb.store;

import java.util.Arrays;
import java.util.zip.Deflater;

/**
 * The first entries of a sorted file, held back to decide whether compressing its blocks can pay.
 * RocksDB compresses each block and keeps the result only if it saves at least an eighth (its
 * default {@code max_compressed_bytes_per_kb} of 896); on data that does not compress (random
 * values, hashes) every attempt is discarded and its CPU wasted. The sample is laid out as RocksDB
 * lays out a block (each key without the prefix it shares with the key before, then the value) and
 * deflated block by block; if Deflate, which compresses at least as well as LZ4 within a block,
 * cannot save an eighth, LZ4 could not either, and the file is written without compression: the
 * same blocks RocksDB would have stored, without the attempts. Not thread-safe.
 */
final class CompressionSample {
  /** Bytes of entries to sample: a few blocks. */
  static final int SAMPLE_BYTES = 64 << 10;

  private final int blockBytes;
  private final byte[][] keys = new byte[4096][];
  private final byte[][] values = new byte[4096][];
  private int count;
  private long bytes;

  /**
   * @param blockBytes the table's block size, the unit RocksDB compresses
   */
  CompressionSample(int blockBytes) {
    this.blockBytes = blockBytes;
  }

  /** Holds an entry back; true once the sample is full (decide, then {@link #replay}). */
  boolean add(byte[] key, byte[] value) {
    keys[count] = key;
    values[count++] = value;
    bytes += key.length + value.length;
    return bytes >= SAMPLE_BYTES || count == keys.length;
  }

  boolean isEmpty() {
    return count == 0;
  }

  /** True if the sampled blocks deflate to less than seven eighths of their size. */
  boolean compresses() {
    Deflater deflater = new Deflater(Deflater.BEST_SPEED, true);
    try {
      Blocks blocks = new Blocks(blockBytes, deflater);
      byte[] previous = new byte[0];
      for (int i = 0; i < count; i++) {
        byte[] k = keys[i];
        int shared = Arrays.mismatch(previous, k);
        blocks.write(k, shared < 0 ? k.length : Math.min(shared, k.length));
        blocks.write(values[i], 0);
        previous = k;
      }
      blocks.flush();
      return blocks.raw > 0 && blocks.packed * 8 < blocks.raw * 7;
    } finally {
      deflater.end();
    }
  }

  /** Cuts what is written into blocks and deflates each on its own, as RocksDB compresses. */
  private static final class Blocks {
    private final byte[] block;
    private final byte[] out;
    private final Deflater deflater;
    private int fill;
    long raw;
    long packed;

    Blocks(int blockBytes, Deflater deflater) {
      this.block = new byte[blockBytes];
      this.out = new byte[blockBytes + 1024];
      this.deflater = deflater;
    }

    void write(byte[] src, int from) {
      for (int p = from; p < src.length; ) {
        int n = Math.min(src.length - p, block.length - fill);
        System.arraycopy(src, p, block, fill, n);
        fill += n;
        p += n;
        if (fill == block.length) {
          flush();
        }
      }
    }

    void flush() {
      if (fill == 0) {
        return;
      }
      deflater.reset();
      deflater.setInput(block, 0, fill);
      deflater.finish();
      while (!deflater.finished()) {
        packed += deflater.deflate(out);
      }
      raw += fill;
      fill = 0;
    }
  }

  /** Hands the held entries, in order, to {@code sink}, and empties the sample. */
  void replay(Sink sink) {
    for (int i = 0; i < count; i++) {
      sink.put(keys[i], values[i]);
      keys[i] = null;
      values[i] = null;
    }
    count = 0;
    bytes = 0;
  }

  /** Where the held entries go. */
  @FunctionalInterface
  interface Sink {
    void put(byte[] key, byte[] value);
  }
}
