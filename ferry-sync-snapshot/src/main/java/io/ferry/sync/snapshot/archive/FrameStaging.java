package io.ferry.sync.snapshot.archive;

import io.ferry.core.ErrorCode;
import io.ferry.core.FerryException;
import io.ferry.snapshot.ChunkFrames;
import io.ferry.snapshot.Manifest;
import io.ferry.sync.snapshot.app.Snapshot;
import java.io.IOException;
import java.nio.ByteBuffer;
import java.nio.channels.FileChannel;
import java.nio.file.DirectoryStream;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.StandardCopyOption;
import java.nio.file.StandardOpenOption;
import java.util.BitSet;
import java.util.Comparator;
import java.util.stream.Stream;

/**
 * Verified chunk frames of the snapshot being restored, on disk: {@code DIR/<height>-<hash
 * hex>/manifest} and {@code NNNNNN.zst}, each written to a temporary name and renamed. Another
 * snapshot's directory is deleted when a snapshot is opened. On reopening, every frame is checked
 * against the manifest again and a bad one deleted, so what {@link #staged} reports can be
 * assembled. That check is why nothing here is fsynced: a frame a power loss tore or emptied fails
 * it and is fetched again, while an fsync per frame held the restore's one thread for every chunk
 * (the assembled archive is fsynced whole, once).
 *
 * <p>Not thread-safe: the restoring calls come one at a time.
 */
final class FrameStaging {
  private final Path root;
  private Path dir;
  private byte[] manifestBytes;
  private final BitSet staged = new BitSet();

  FrameStaging(Path root) {
    this.root = root;
  }

  void open(Snapshot s, byte[] manifest) {
    String name = s.height() + "-" + s.hash().toHex();
    try {
      Files.createDirectories(root);
      try (Stream<Path> all = Files.list(root)) {
        for (Path p : all.toList()) {
          if (!p.getFileName().toString().equals(name)) {
            deleteTree(p);
          }
        }
      }
      dir = root.resolve(name);
      Files.createDirectories(dir);
      write(dir.resolve("manifest"), manifest);
    } catch (IOException e) {
      throw ioError("opening the state-sync staging in " + root, e);
    }
    manifestBytes = manifest.clone();
    staged.clear();
  }

  /** The frames staged for {@code m}, each checked again; bad ones are deleted. */
  BitSet staged(Manifest m) {
    staged.clear();
    try (DirectoryStream<Path> files = Files.newDirectoryStream(dir, "*.zst")) {
      for (Path f : files) {
        String n = f.getFileName().toString();
        int index = parseIndex(n);
        if (index < 0 || index >= m.chunks().size()) {
          Files.deleteIfExists(f);
          continue;
        }
        try {
          ChunkFrames.verify(m, index, Files.readAllBytes(f));
          staged.set(index);
        } catch (FerryException e) {
          Files.deleteIfExists(f);
        }
      }
    } catch (IOException e) {
      throw ioError("listing " + dir, e);
    }
    return (BitSet) staged.clone();
  }

  void put(int index, byte[] frame) {
    try {
      write(dir.resolve(fileName(index)), frame);
    } catch (IOException e) {
      throw ioError("staging chunk " + index + " in " + dir, e);
    }
    staged.set(index);
  }

  int count() {
    return staged.cardinality();
  }

  byte[] manifestBytes() {
    return manifestBytes.clone();
  }

  byte[] frame(int index) throws IOException {
    return Files.readAllBytes(dir.resolve(fileName(index)));
  }

  void clear() {
    if (dir == null) {
      return;
    }
    try {
      deleteTree(dir);
    } catch (IOException e) {
      throw ioError("deleting " + dir, e);
    }
    dir = null;
    staged.clear();
  }

  private static String fileName(int index) {
    return String.format(java.util.Locale.ROOT, "%06d.zst", index);
  }

  private static int parseIndex(String name) {
    if (!name.matches("\\d{6,9}\\.zst")) {
      return -1;
    }
    return Integer.parseInt(name.substring(0, name.length() - 4));
  }

  /** Writes to a temporary name, then renames: a frame under its name was written whole. */
  private static void write(Path target, byte[] bytes) throws IOException {
    Path tmp = target.resolveSibling(target.getFileName() + ".tmp");
    try (FileChannel ch =
        FileChannel.open(
            tmp,
            StandardOpenOption.CREATE,
            StandardOpenOption.TRUNCATE_EXISTING,
            StandardOpenOption.WRITE)) {
      ByteBuffer b = ByteBuffer.wrap(bytes);
      while (b.hasRemaining()) {
        ch.write(b);
      }
    }
    Files.move(tmp, target, StandardCopyOption.ATOMIC_MOVE, StandardCopyOption.REPLACE_EXISTING);
  }

  private static void deleteTree(Path p) throws IOException {
    if (!Files.exists(p, java.nio.file.LinkOption.NOFOLLOW_LINKS)) {
      return;
    }
    try (Stream<Path> all = Files.walk(p)) {
      for (Path q : all.sorted(Comparator.reverseOrder()).toList()) {
        Files.deleteIfExists(q);
      }
    }
  }

  private static FerryException ioError(String what, IOException e) {
    return new FerryException(ErrorCode.IO_ERROR, what + " failed: " + e, e);
  }
}
