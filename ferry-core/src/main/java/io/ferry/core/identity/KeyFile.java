package io.ferry.core.identity;

import io.ferry.core.ErrorCode;
import io.ferry.core.FerryException;
import io.ferry.core.IoErrors;
import java.io.IOException;
import java.nio.channels.FileChannel;
import java.nio.charset.StandardCharsets;
import java.nio.file.FileAlreadyExistsException;
import java.nio.file.Files;
import java.nio.file.NoSuchFileException;
import java.nio.file.Path;
import java.nio.file.StandardCopyOption;
import java.nio.file.StandardOpenOption;
import java.nio.file.attribute.PosixFilePermission;
import java.nio.file.attribute.PosixFilePermissions;
import java.util.Base64;
import java.util.EnumSet;
import java.util.Set;

/**
 * Reads and writes a node key as a PEM "PRIVATE KEY" file (RFC 8410 PKCS#8, the form {@code openssl
 * genpkey -algorithm ed25519} writes).
 *
 * <p>Files are created with owner-only permissions (0600) through a temporary file that is synced
 * and then renamed, so a crash never leaves a half-written identity. Loading refuses a file that
 * others can read or write, and a file that is not an Ed25519 key, each with a message that says
 * what to do. An existing key is never overwritten.
 */
public final class KeyFile {
  private static final String BEGIN = "-----BEGIN PRIVATE KEY-----";
  private static final String END = "-----END PRIVATE KEY-----";
  private static final Set<PosixFilePermission> OWNER_ONLY =
      EnumSet.of(PosixFilePermission.OWNER_READ, PosixFilePermission.OWNER_WRITE);
  private static final Set<PosixFilePermission> OWNER_PERMISSIONS =
      EnumSet.of(
          PosixFilePermission.OWNER_READ,
          PosixFilePermission.OWNER_WRITE,
          PosixFilePermission.OWNER_EXECUTE);
  private static final int MAX_FILE_BYTES = 4096;

  private KeyFile() {}

  /** Loads the key at {@code path}, or creates a new one there if no file exists. */
  public static NodeKey loadOrCreate(Path path) {
    if (Files.exists(path)) {
      return load(path);
    }
    NodeKey key = NodeKey.generate();
    try {
      write(path, key);
    } catch (FerryException e) {
      if (e.getCause() instanceof FileAlreadyExistsException) {
        return load(path); // another process created it first: use theirs
      }
      throw e;
    }
    return key;
  }

  /**
   * Writes {@code key} to a new file at {@code path}.
   *
   * @throws FerryException {@link ErrorCode#ILLEGAL_STATE} if a file is already there
   */
  public static void write(Path path, NodeKey key) {
    String pem =
        BEGIN
            + "\n"
            + Base64.getMimeEncoder(64, new byte[] {'\n'}).encodeToString(key.toPkcs8())
            + "\n"
            + END
            + "\n";
    Path dir = path.toAbsolutePath().getParent();
    Path tmp = null;
    try {
      Files.createDirectories(dir);
      tmp = Files.createTempFile(dir, ".nodekey", ".tmp", ownerOnlyAttribute(dir));
      Files.writeString(tmp, pem, StandardCharsets.US_ASCII);
      try (FileChannel ch = FileChannel.open(tmp, StandardOpenOption.WRITE)) {
        ch.force(true);
      }
      // A hard link, unlike a rename, fails if the name exists: two processes creating an
      // identity at once can never overwrite each other's.
      try {
        Files.createLink(path, tmp);
      } catch (FileAlreadyExistsException e) {
        throw new FerryException(
            ErrorCode.ILLEGAL_STATE,
            "key file " + path + " already exists; refusing to overwrite a node identity",
            e);
      } catch (UnsupportedOperationException e) {
        if (Files.exists(path)) {
          throw new FerryException(
              ErrorCode.ILLEGAL_STATE,
              "key file " + path + " already exists; refusing to overwrite a node identity",
              new FileAlreadyExistsException(path.toString()));
        }
        Files.move(tmp, path, StandardCopyOption.ATOMIC_MOVE);
        tmp = null;
      }
    } catch (IOException e) {
      throw new FerryException(ErrorCode.IO_ERROR, "cannot write key file " + path + ": " + e, e);
    } finally {
      if (tmp != null) {
        try {
          Files.deleteIfExists(tmp);
        } catch (IOException ignored) {
          // best effort: the temporary file holds nothing that is not also in memory
        }
      }
    }
  }

  /**
   * Loads the key at {@code path}.
   *
   * @throws FerryException {@link ErrorCode#NOT_FOUND} if there is no file, {@link
   *     ErrorCode#PERMISSION_DENIED} if group or others have any access to it, {@link
   *     ErrorCode#CORRUPT_DATA} if it is not a PEM Ed25519 private key, {@link ErrorCode#IO_ERROR}
   *     with the reason if it cannot be read (a directory, say)
   */
  public static NodeKey load(Path path) {
    try {
      if (Files.isDirectory(path)) { // else its permissions would be blamed
        throw new FerryException(
            ErrorCode.IO_ERROR, "cannot read key file " + path + ": is a directory");
      }
      checkPermissions(path);
      if (Files.size(path) > MAX_FILE_BYTES) {
        throw corrupt(path, "file is " + Files.size(path) + " bytes, too large for a key");
      }
      String text = Files.readString(path, StandardCharsets.US_ASCII).strip();
      if (text.length() < BEGIN.length() + END.length()
          || !text.startsWith(BEGIN)
          || !text.endsWith(END)) {
        throw corrupt(path, "expected a PEM block '" + BEGIN + "'");
      }
      String body = text.substring(BEGIN.length(), text.length() - END.length());
      byte[] der;
      try {
        der = Base64.getMimeDecoder().decode(body);
      } catch (IllegalArgumentException e) {
        throw corrupt(path, "the PEM body is not base64");
      }
      try {
        return NodeKey.fromPkcs8(der);
      } catch (FerryException e) {
        throw corrupt(path, e.getMessage());
      }
    } catch (NoSuchFileException e) {
      throw new FerryException(ErrorCode.NOT_FOUND, "no key file at " + path, e);
    } catch (java.nio.charset.MalformedInputException e) {
      throw corrupt(path, "the file is not text");
    } catch (IOException e) {
      throw new FerryException(
          IoErrors.code(e), "cannot read key file " + path + ": " + IoErrors.reason(e), e);
    }
  }

  private static void checkPermissions(Path path) throws IOException {
    if (!Files.getFileStore(path).supportsFileAttributeView("posix")) {
      return;
    }
    Set<PosixFilePermission> perms = Files.getPosixFilePermissions(path);
    if (!OWNER_PERMISSIONS.containsAll(perms)) { // group or others have some access
      throw new FerryException(
          ErrorCode.PERMISSION_DENIED,
          "key file "
              + path
              + " has permissions "
              + PosixFilePermissions.toString(perms)
              + "; a private key must be readable by its owner only (run: chmod 600 "
              + path
              + ")");
    }
  }

  private static java.nio.file.attribute.FileAttribute<?>[] ownerOnlyAttribute(Path dir)
      throws IOException {
    if (Files.getFileStore(dir).supportsFileAttributeView("posix")) {
      return new java.nio.file.attribute.FileAttribute<?>[] {
        PosixFilePermissions.asFileAttribute(OWNER_ONLY)
      };
    }
    return new java.nio.file.attribute.FileAttribute<?>[0];
  }

  private static FerryException corrupt(Path path, String why) {
    return new FerryException(
        ErrorCode.CORRUPT_DATA, "key file " + path + " is not a valid Ed25519 node key: " + why);
  }
}
