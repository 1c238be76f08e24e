package io.ferry.snapshot;

import io.ferry.core.archive.ArchiveName;
import java.io.BufferedOutputStream;
import java.io.IOException;
import java.io.OutputStream;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.StandardCopyOption;

/**
 * Gives an archive file its name only once it is whole: its bytes go to a locked temporary file
 * ({@code .snapshot-<n>.tmp}, see {@link ArchiveTempFile}) in the archive directory, which is
 * fsynced, atomically renamed to the archive's name while still locked (so no cleanup takes it for
 * a leftover), and the directory fsynced. A crash leaves at most the temporary file, which the next
 * write removes. Used by {@link SnapshotWriter} and {@link ArchiveAssembler}.
 */
final class ArchiveOutput {
  private ArchiveOutput() {}

  /** Writes an archive's bytes to {@code out}; {@code out} is buffered and closed by the caller. */
  @FunctionalInterface
  interface Body {
    void writeTo(OutputStream out) throws IOException;
  }

  /**
   * Writes {@code body} into {@code dir} under {@code name}, through a buffer of {@code
   * bufferBytes}; returns the archive's path.
   */
  static Path publish(Path dir, ArchiveName name, int bufferBytes, Body body) throws IOException {
    try (ArchiveTempFile tmp = ArchiveTempFile.create(dir, ".tmp")) {
      OutputStream out = new BufferedOutputStream(tmp.output(), bufferBytes);
      body.writeTo(out);
      out.flush();
      tmp.force();
      Path target = dir.resolve(name.fileName());
      Files.move(tmp.path(), target, StandardCopyOption.ATOMIC_MOVE);
      SnapshotWriter.syncDirectory(dir);
      return target;
    }
  }
}
