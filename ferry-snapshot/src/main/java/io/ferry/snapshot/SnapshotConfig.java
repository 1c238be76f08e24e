package io.ferry.snapshot;

import io.ferry.core.ErrorCode;
import io.ferry.core.FerryException;
import io.ferry.core.Limits;

/**
 * How archives are written.
 *
 * @param chunkSize largest uncompressed payload of one chunk, in bytes: from {@link
 *     #MIN_CHUNK_SIZE} to {@link Limits#MAX_CHUNK_BYTES} (default 4 MiB). A record (key-value or
 *     delete) larger than the chunk size cannot be written, so the default fits the largest key and
 *     value the state allows; smaller sizes are for tests.
 * @param zstdLevel zstd compression level, 1 to 22 (default 3)
 */
public record SnapshotConfig(int chunkSize, int zstdLevel) {
  public static final int DEFAULT_CHUNK_SIZE = 4 << 20;
  public static final int DEFAULT_ZSTD_LEVEL = 3;
  public static final int MIN_CHUNK_SIZE = 1024;

  public SnapshotConfig {
    if (chunkSize < MIN_CHUNK_SIZE || chunkSize > Limits.MAX_CHUNK_BYTES) {
      throw new FerryException(
          ErrorCode.INVALID_ARGUMENT,
          "chunk size must be from "
              + MIN_CHUNK_SIZE
              + " to "
              + Limits.MAX_CHUNK_BYTES
              + " bytes, not "
              + chunkSize);
    }
    if (zstdLevel < 1 || zstdLevel > 22) {
      throw new FerryException(
          ErrorCode.INVALID_ARGUMENT, "zstd level must be from 1 to 22, not " + zstdLevel);
    }
  }

  public static SnapshotConfig defaults() {
    return new SnapshotConfig(DEFAULT_CHUNK_SIZE, DEFAULT_ZSTD_LEVEL);
  }

  public SnapshotConfig withChunkSize(int bytes) {
    return new SnapshotConfig(bytes, zstdLevel);
  }

  public SnapshotConfig withZstdLevel(int level) {
    return new SnapshotConfig(chunkSize, level);
  }
}
