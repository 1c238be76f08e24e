package io.ferry.sync.snapshot.app;

import io.ferry.core.Bytes;
import io.ferry.core.ErrorCode;
import io.ferry.core.FerryException;
import io.ferry.core.Limits;

/**
 * A snapshot as peers advertise it (ABCI's {@code Snapshot}): the application's state at {@code
 * height}, in {@code format}, cut into {@code chunks} chunks. Two snapshots are the same when all
 * five fields are equal; the syncer keys its pool by (height, format, hash). Immutable.
 *
 * @param height the height of the state, at least 1
 * @param format the application's format number; an application rejects formats it does not know
 * @param chunks the number of chunks, 1 to {@link Limits#MAX_SNAPSHOT_CHUNKS}
 * @param hash the application's hash of the snapshot, 1 to {@link Limits#MAX_SNAPSHOT_HASH_BYTES}
 *     bytes; untrusted until the application checks it against the trusted app hash
 * @param metadata the application's metadata, at most {@link Limits#MAX_SNAPSHOT_METADATA_BYTES}
 */
public record Snapshot(long height, int format, int chunks, Bytes hash, Bytes metadata) {
  public Snapshot {
    if (height < 1) {
      throw invalid("a snapshot's height must be at least 1, got " + height);
    }
    if (format < 0) {
      throw invalid("a snapshot's format must not be negative, got " + format);
    }
    if (chunks < 1 || chunks > Limits.MAX_SNAPSHOT_CHUNKS) {
      throw invalid(
          "a snapshot must have 1 to " + Limits.MAX_SNAPSHOT_CHUNKS + " chunks, got " + chunks);
    }
    if (hash.isEmpty() || hash.length() > Limits.MAX_SNAPSHOT_HASH_BYTES) {
      throw invalid(
          "a snapshot hash must be 1 to "
              + Limits.MAX_SNAPSHOT_HASH_BYTES
              + " bytes, got "
              + hash.length());
    }
    if (metadata.length() > Limits.MAX_SNAPSHOT_METADATA_BYTES) {
      throw new FerryException(
          ErrorCode.LIMIT_EXCEEDED,
          "snapshot metadata of "
              + metadata.length()
              + " bytes is over the limit of "
              + Limits.MAX_SNAPSHOT_METADATA_BYTES);
    }
  }

  private static FerryException invalid(String message) {
    return new FerryException(ErrorCode.INVALID_ARGUMENT, message);
  }

  /** "height 1200, format 2, 37 chunks, hash 9f3a…" for logs. */
  @Override
  public String toString() {
    String hex = hash.toHex();
    return "height "
        + height
        + ", format "
        + format
        + ", "
        + chunks
        + " chunks, hash "
        + (hex.length() > 12 ? hex.substring(0, 12) + "…" : hex);
  }
}
