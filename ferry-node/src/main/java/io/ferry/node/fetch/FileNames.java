package io.ferry.node.fetch;

import io.ferry.core.ErrorCode;
import io.ferry.core.FerryException;
import io.ferry.core.archive.ArchiveName;
import java.net.URI;
import java.util.Optional;
import java.util.regex.Pattern;

/**
 * The name a download takes when the caller names no file: the last path segment of the URL the
 * user gave, so a server cannot choose where the file lands. When that URL redirects (as {@code
 * /snapshot.tar.zst} does to the newest archive), the target's last segment is taken instead only
 * if it is an archive name ({@link ArchiveName}: no separator, no dot-file, nothing but the name).
 * A name is a plain file name or nothing: letters, digits and {@code ._+-}, not starting with a dot
 * or a dash. Stateless.
 */
final class FileNames {
  private static final Pattern PLAIN = Pattern.compile("[A-Za-z0-9_][A-Za-z0-9._+-]{0,254}");

  private FileNames() {}

  /**
   * The file name for a download asked for at {@code typed} and found at {@code resolved}.
   *
   * @throws FerryException {@link ErrorCode#INVALID_ARGUMENT} when neither gives a usable name
   */
  static String choose(URI typed, URI resolved) {
    Optional<String> given = lastSegment(typed);
    if (given.filter(FileNames::isArchive).isPresent()) {
      return given.get();
    }
    Optional<String> target = lastSegment(resolved).filter(FileNames::isArchive);
    if (!typed.equals(resolved) && target.isPresent()) {
      return target.get();
    }
    return given
        .filter(FileNames::isPlain)
        .orElseThrow(
            () ->
                new FerryException(
                    ErrorCode.INVALID_ARGUMENT,
                    "the URL "
                        + typed
                        + " ends in no plain file name to save it under; name the output file"));
  }

  static boolean isPlain(String name) {
    return PLAIN.matcher(name).matches();
  }

  private static boolean isArchive(String name) {
    return isPlain(name) && ArchiveName.parse(name).isPresent();
  }

  /** The last segment of the URL's path, percent-decoded; empty when there is none. */
  private static Optional<String> lastSegment(URI uri) {
    String raw = uri.getRawPath();
    if (raw == null || raw.isEmpty()) {
      return Optional.empty();
    }
    String segment = raw.substring(raw.lastIndexOf('/') + 1);
    try {
      // Decodes the escapes; an escaped separator stays in the name, where isPlain refuses it.
      String decoded = URI.create("/" + segment).getPath().substring(1);
      return decoded.isEmpty() ? Optional.empty() : Optional.of(decoded);
    } catch (IllegalArgumentException e) {
      return Optional.empty();
    }
  }
}
