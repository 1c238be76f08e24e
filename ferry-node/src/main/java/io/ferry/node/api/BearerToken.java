package io.ferry.node.api;

import io.ferry.core.ErrorCode;
import io.ferry.core.FerryException;
import io.ferry.core.IoErrors;
import java.io.IOException;
import java.nio.charset.CharacterCodingException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.attribute.PosixFilePermission;
import java.nio.file.attribute.PosixFilePermissions;
import java.security.MessageDigest;
import java.util.EnumSet;
import java.util.Set;

/**
 * The write API's secret: every request must carry {@code Authorization: Bearer <token>}. Read once
 * from a file of one line that only its owner may read (as the node key), and compared in constant
 * time, so the time an answer takes says nothing about how much of a guess was right. Immutable.
 */
public final class BearerToken {
  private static final String SCHEME = "Bearer ";
  // A token is a line of text: a few dozen characters; a file much larger is not one.
  private static final int LARGEST_FILE = 4096;
  private static final Set<PosixFilePermission> OWNER =
      EnumSet.of(
          PosixFilePermission.OWNER_READ,
          PosixFilePermission.OWNER_WRITE,
          PosixFilePermission.OWNER_EXECUTE);

  private final byte[] expected;

  private BearerToken(byte[] expected) {
    this.expected = expected;
  }

  /** A token given as text (tests, embedding). */
  public static BearerToken of(String token) {
    String t = token.strip();
    if (t.isEmpty() || t.chars().anyMatch(c -> c <= ' ' || c > '~')) {
      throw new FerryException(
          ErrorCode.INVALID_ARGUMENT, "a token is one word of printable ASCII, not empty");
    }
    return new BearerToken(t.getBytes(StandardCharsets.US_ASCII));
  }

  /**
   * Reads the token in {@code file}: its first line, stripped.
   *
   * @throws FerryException {@link ErrorCode#PERMISSION_DENIED} when group or others may read the
   *     file, {@link ErrorCode#INVALID_ARGUMENT} when it holds no token (empty, more than one line,
   *     not printable ASCII), {@link ErrorCode#NOT_FOUND} or another I/O code when it cannot be
   *     read
   */
  public static BearerToken read(Path file) {
    String text;
    try {
      if (Files.getFileStore(file).supportsFileAttributeView("posix")) {
        Set<PosixFilePermission> perms = Files.getPosixFilePermissions(file);
        if (!OWNER.containsAll(perms)) {
          throw new FerryException(
              ErrorCode.PERMISSION_DENIED,
              "the API token file "
                  + file
                  + " has permissions "
                  + PosixFilePermissions.toString(perms)
                  + "; a secret must be readable by its owner only (run: chmod 600 "
                  + file
                  + ")");
        }
      }
      if (Files.size(file) > LARGEST_FILE) {
        throw new FerryException(
            ErrorCode.INVALID_ARGUMENT, "the API token file " + file + " is too large for a token");
      }
      text = Files.readString(file, StandardCharsets.US_ASCII);
    } catch (CharacterCodingException e) {
      throw new FerryException(
          ErrorCode.INVALID_ARGUMENT, "the API token file " + file + " is not ASCII text");
    } catch (IOException e) {
      throw IoErrors.cannotRead(file, e);
    }
    String line = text.strip();
    if (line.isEmpty()) {
      throw new FerryException(
          ErrorCode.INVALID_ARGUMENT, "the API token file " + file + " is empty: write a token");
    }
    if (line.contains("\n")) {
      throw new FerryException(
          ErrorCode.INVALID_ARGUMENT,
          "the API token file " + file + " holds more than one line; a token is one");
    }
    try {
      return of(line);
    } catch (FerryException e) {
      throw new FerryException(
          ErrorCode.INVALID_ARGUMENT, "the API token file " + file + ": " + e.getMessage());
    }
  }

  /** Whether an {@code Authorization} header value carries this token; null for none. */
  public boolean accepts(String authorization) {
    if (authorization == null
        || authorization.length() < SCHEME.length()
        || !authorization.regionMatches(true, 0, SCHEME, 0, SCHEME.length())) {
      return false;
    }
    byte[] given =
        authorization.substring(SCHEME.length()).strip().getBytes(StandardCharsets.US_ASCII);
    // MessageDigest.isEqual takes time by the expected length only, not by where they differ.
    return MessageDigest.isEqual(expected, given);
  }

  @Override
  public String toString() {
    return "BearerToken[hidden]";
  }
}
