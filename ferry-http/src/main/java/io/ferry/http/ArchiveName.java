package io.ferry.http;

import java.util.Optional;
import java.util.regex.Matcher;
import java.util.regex.Pattern;

/**
 * The name of a snapshot archive, in Agave's grammar: {@code snapshot-<height>-<hash>.<ext>} for a
 * full archive and {@code incremental-snapshot-<base height>-<height>-<hash>.<ext>} for an
 * incremental one, where the hash is base58 and the extension one of {@code tar.zst}, {@code
 * tar.bz2} or {@code tar.gz}.
 *
 * <p>Only the server's view of a name: which file to serve and which is newest. Heights are
 * canonical decimals (no sign, no leading zero), so one archive has one name, and a name that
 * parses never holds a separator, a dot segment or an escape. Immutable.
 *
 * @param baseHeight the full archive's height an incremental builds on; -1 for a full archive
 * @param hash the snapshot hash in base58, as written in the name
 * @param extension the archive extension without its leading dot, e.g. {@code tar.zst}
 */
public record ArchiveName(long baseHeight, long height, String hash, String extension) {
  private static final String HEIGHT = "(0|[1-9][0-9]{0,18})";
  private static final String HASH = "([1-9A-HJ-NP-Za-km-z]{1,64})";
  private static final String EXT = "\\.(tar\\.zst|tar\\.bz2|tar\\.gz)";
  private static final Pattern FULL = Pattern.compile("snapshot-" + HEIGHT + "-" + HASH + EXT);
  private static final Pattern INCREMENTAL =
      Pattern.compile("incremental-snapshot-" + HEIGHT + "-" + HEIGHT + "-" + HASH + EXT);

  public ArchiveName {
    if (height < 0 || baseHeight < -1 || (baseHeight >= 0 && baseHeight >= height)) {
      throw new IllegalArgumentException("bad heights " + baseHeight + ", " + height);
    }
  }

  /** The archive this file name names, or empty when it is not an archive name. */
  public static Optional<ArchiveName> parse(String fileName) {
    try {
      Matcher m = FULL.matcher(fileName);
      if (m.matches()) {
        return Optional.of(new ArchiveName(-1, Long.parseLong(m.group(1)), m.group(2), m.group(3)));
      }
      m = INCREMENTAL.matcher(fileName);
      if (m.matches()) {
        long base = Long.parseLong(m.group(1));
        long height = Long.parseLong(m.group(2));
        if (base >= height) {
          return Optional.empty();
        }
        return Optional.of(new ArchiveName(base, height, m.group(3), m.group(4)));
      }
    } catch (NumberFormatException e) {
      // A 19-digit height above Long.MAX_VALUE.
    }
    return Optional.empty();
  }

  public boolean isIncremental() {
    return baseHeight >= 0;
  }

  /** The file name, exactly as {@link #parse} accepts it. */
  public String fileName() {
    return isIncremental()
        ? "incremental-snapshot-" + baseHeight + "-" + height + "-" + hash + "." + extension
        : "snapshot-" + height + "-" + hash + "." + extension;
  }

  @Override
  public String toString() {
    return fileName();
  }
}
