package io.ferry.node.cli;

import io.ferry.core.ErrorCode;
import io.ferry.core.FerryException;
import io.ferry.core.IoErrors;
import java.io.IOException;
import java.nio.channels.FileChannel;
import java.nio.file.DirectoryStream;
import java.nio.file.FileAlreadyExistsException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.StandardOpenOption;

/**
 * Checks the files and directories an operator names before a command starts on them, so that a
 * wrong path is one line saying what is wrong with it ("cannot read FILE: is a directory"), not a
 * failure deep inside reported as corrupt data or as an unexpected error. A missing path is {@link
 * ErrorCode#NOT_FOUND}; one that exists but cannot be used is an I/O error.
 */
final class FileChecks {
  private FileChecks() {}

  /** {@code file}, if it is a file this process can open for reading. */
  static Path readableFile(Path file) {
    // Opening a directory for reading succeeds on Linux; only the first read fails.
    if (Files.isDirectory(file)) {
      throw new FerryException(ErrorCode.IO_ERROR, "cannot read " + file + ": is a directory");
    }
    try (FileChannel ignored = FileChannel.open(file, StandardOpenOption.READ)) {
      return file;
    } catch (IOException e) {
      throw IoErrors.cannotRead(file, e);
    }
  }

  /** {@code dir}, if it is a directory this process can list. */
  static Path readableDirectory(Path dir) {
    try (DirectoryStream<Path> ignored = Files.newDirectoryStream(dir)) {
      return dir;
    } catch (IOException e) {
      throw IoErrors.cannotRead(dir, e);
    }
  }

  /** {@code dir}, created with its parents where missing. */
  static Path directory(Path dir) {
    try {
      return Files.createDirectories(dir);
    } catch (FileAlreadyExistsException e) {
      throw new FerryException(
          ErrorCode.IO_ERROR,
          "cannot create directory " + dir + ": a file of that name is in the way",
          e);
    } catch (IOException e) {
      throw new FerryException(
          IoErrors.code(e), "cannot create directory " + dir + ": " + IoErrors.reason(e), e);
    }
  }
}
