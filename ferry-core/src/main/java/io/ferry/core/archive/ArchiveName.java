package io.ferry.core.archive;

import io.ferry.core.Hash;
import java.util.Comparator;
import java.util.Optional;
import java.util.regex.Matcher;
import java.util.regex.Pattern;

/**
 * The name of a snapshot archive, in Agave's grammar: {@code snapshot-<height>-<hash>.<ext>} for a
 * full archive and {@code incremental-snapshot-<base height>-<height>-<hash>.<ext>} for an
 * incremental one, where the hash is the snapshot hash in base58 and the extension one of {@code
 * tar.zst}, {@code tar.bz2} or {@code tar.gz}. The one grammar of the node: the snapshot writer and
 * reader, the HTTP server and {@code ferry fetch} all use it.
 *
 * <p>Only canonical names parse (decimal heights without sign or leading zero, the canonical base58
 * of a 32-byte hash), so {@code parse(n.fileName())} gives {@code n} back, every archive has
 * exactly one name, and a name that parses never holds a separator, a dot segment or an escape.
 * Immutable.
 *
 * @param baseHeight the full archive's height an incremental builds on; -1 for a full archive
 * @param extension the archive extension without its leading dot, e.g. {@code tar.zst}
 */
public record ArchiveName(long baseHeight, long height, Hash hash, String extension) {
  /** The extension of every archive Ferry writes (zstd-compressed tar). */
  public static final String ZSTD = "tar.zst";

  /**
   * Newest first: the highest height, then a full archive before an incremental, then by name, so
   * the choice among archives is deterministic.
   */
  public static final Comparator<ArchiveName> NEWEST_FIRST =
      Comparator.comparingLong(ArchiveName::height)
          .reversed()
          .thenComparing(ArchiveName::isIncremental)
          .thenComparing(ArchiveName::fileName);

  private static final String HEIGHT = "(0|[1-9][0-9]{0,18})";
  private static final String HASH = "([1-9A-HJ-NP-Za-km-z]{32,44})";
  private static final String EXT = "\\.(tar\\.zst|tar\\.bz2|tar\\.gz)";
  private static final Pattern FULL = Pattern.compile("snapshot-" + HEIGHT + "-" + HASH + EXT);
  private static final Pattern INCREMENTAL =
      Pattern.compile("incremental-snapshot-" + HEIGHT + "-" + HEIGHT + "-" + HASH + EXT);
  private static final Pattern EXTENSIONS = Pattern.compile("tar\\.zst|tar\\.bz2|tar\\.gz");

  public ArchiveName {
    if (height < 0 || baseHeight < -1 || (baseHeight >= 0 && baseHeight >= height)) {
      throw new IllegalArgumentException("bad heights " + baseHeight + ", " + height);
    }
    if (hash == null || extension == null || !EXTENSIONS.matcher(extension).matches()) {
      throw new IllegalArgumentException("bad hash or extension: " + hash + ", " + extension);
    }
  }

  /** A full archive as Ferry writes it. */
  public static ArchiveName full(long height, Hash hash) {
    return new ArchiveName(-1, height, hash, ZSTD);
  }

  /** An incremental archive as Ferry writes it; {@code baseHeight} must be below {@code height}. */
  public static ArchiveName incremental(long baseHeight, long height, Hash hash) {
    if (baseHeight < 0) {
      throw new IllegalArgumentException("an incremental's base height must be 0 or more");
    }
    return new ArchiveName(baseHeight, height, hash, ZSTD);
  }

  /**
   * The archive this file name names, or empty when it is not an archive name in canonical form.
   */
  public static Optional<ArchiveName> parse(String fileName) {
    try {
      Matcher m = FULL.matcher(fileName);
      if (m.matches()) {
        return canonical(
            new ArchiveName(
                -1, Long.parseLong(m.group(1)), Hash.fromBase58(m.group(2)), m.group(3)),
            fileName);
      }
      m = INCREMENTAL.matcher(fileName);
      if (m.matches()) {
        return canonical(
            new ArchiveName(
                Long.parseLong(m.group(1)),
                Long.parseLong(m.group(2)),
                Hash.fromBase58(m.group(3)),
                m.group(4)),
            fileName);
      }
    } catch (RuntimeException e) {
      // A height above Long.MAX_VALUE, a hash that is not 32 bytes, heights out of order.
    }
    return Optional.empty();
  }

  private static Optional<ArchiveName> canonical(ArchiveName name, String fileName) {
    return name.fileName().equals(fileName) ? Optional.of(name) : Optional.empty();
  }

  public boolean isIncremental() {
    return baseHeight >= 0;
  }

  public boolean isFull() {
    return !isIncremental();
  }

  /** The file name, exactly as {@link #parse} accepts it. */
  public String fileName() {
    return isIncremental()
        ? "incremental-snapshot-"
            + baseHeight
            + "-"
            + height
            + "-"
            + hash.toBase58()
            + "."
            + extension
        : "snapshot-" + height + "-" + hash.toBase58() + "." + extension;
  }

  @Override
  public String toString() {
    return fileName();
  }
}
