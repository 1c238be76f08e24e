package io.ferry.snapshot;

import io.ferry.core.ErrorCode;
import io.ferry.core.FerryException;
import io.ferry.core.Hash;
import java.util.Optional;
import java.util.regex.Matcher;
import java.util.regex.Pattern;

/**
 * An archive's file name, in Agave's form: {@code snapshot-<height>-<base58 hash>.tar.zst} for a
 * full archive and {@code incremental-snapshot-<base height>-<height>-<base58 hash>.tar.zst} for an
 * incremental one. The hash is the snapshot hash (SHA-256 of the manifest).
 *
 * <p>Only canonical names parse (no leading zeros, canonical base58), so {@code
 * parse(n.fileName())} gives {@code n} back and every archive has exactly one name. Immutable.
 *
 * @param baseHeight the base full archive's height for an incremental; -1 for a full archive
 */
public record SnapshotName(SnapshotKind kind, long baseHeight, long height, Hash hash) {
  /** The extension of every archive Ferry writes. */
  public static final String EXTENSION = ".tar.zst";

  private static final String NUMBER = "(0|[1-9][0-9]{0,18})";
  private static final String B58 = "([1-9A-HJ-NP-Za-km-z]{32,44})";
  private static final Pattern FULL =
      Pattern.compile("snapshot-" + NUMBER + "-" + B58 + Pattern.quote(EXTENSION));
  private static final Pattern INCREMENTAL =
      Pattern.compile(
          "incremental-snapshot-" + NUMBER + "-" + NUMBER + "-" + B58 + Pattern.quote(EXTENSION));

  public SnapshotName {
    if (height < 0 || (kind == SnapshotKind.FULL ? baseHeight != -1 : baseHeight < 0)) {
      throw new FerryException(
          ErrorCode.INVALID_ARGUMENT, "bad heights for a " + kind + " archive name");
    }
    if (kind == SnapshotKind.INCREMENTAL && baseHeight >= height) {
      throw new FerryException(
          ErrorCode.INVALID_ARGUMENT,
          "an incremental's base height " + baseHeight + " must be below its height " + height);
    }
  }

  public static SnapshotName full(long height, Hash hash) {
    return new SnapshotName(SnapshotKind.FULL, -1, height, hash);
  }

  public static SnapshotName incremental(long baseHeight, long height, Hash hash) {
    return new SnapshotName(SnapshotKind.INCREMENTAL, baseHeight, height, hash);
  }

  /** The name of an archive, or empty if {@code fileName} is not one in canonical form. */
  public static Optional<SnapshotName> parse(String fileName) {
    try {
      Matcher m = FULL.matcher(fileName);
      if (m.matches()) {
        return canonical(full(Long.parseLong(m.group(1)), Hash.fromBase58(m.group(2))), fileName);
      }
      m = INCREMENTAL.matcher(fileName);
      if (m.matches()) {
        return canonical(
            incremental(
                Long.parseLong(m.group(1)),
                Long.parseLong(m.group(2)),
                Hash.fromBase58(m.group(3))),
            fileName);
      }
    } catch (NumberFormatException | FerryException e) {
      // a height over Long.MAX_VALUE, a hash that is not 32 bytes, heights out of order
    }
    return Optional.empty();
  }

  private static Optional<SnapshotName> canonical(SnapshotName name, String fileName) {
    return name.fileName().equals(fileName) ? Optional.of(name) : Optional.empty();
  }

  public boolean isFull() {
    return kind == SnapshotKind.FULL;
  }

  /** The file name. */
  public String fileName() {
    return switch (kind) {
      case FULL -> "snapshot-" + height + "-" + hash.toBase58() + EXTENSION;
      case INCREMENTAL ->
          "incremental-snapshot-" + baseHeight + "-" + height + "-" + hash.toBase58() + EXTENSION;
    };
  }

  @Override
  public String toString() {
    return fileName();
  }
}
