package io.ferry.sync.snapshot.client;

import io.ferry.core.Bytes;
import io.ferry.core.ErrorCode;
import io.ferry.core.FerryException;
import io.ferry.core.identity.NodeId;
import io.ferry.sync.snapshot.app.Snapshot;
import java.io.IOException;
import java.nio.ByteBuffer;
import java.nio.file.DirectoryStream;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.StandardCopyOption;
import java.util.Arrays;
import java.util.Comparator;
import java.util.HexFormat;
import java.util.Optional;
import java.util.TreeMap;
import java.util.regex.Matcher;
import java.util.regex.Pattern;
import java.util.stream.Stream;
import java.util.zip.CRC32C;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * A {@link ChunkStore} in a directory: {@code DIR/<height>-<format>-<hash hex>/<index>-<sender
 * hex>.chunk}, one file per chunk (its bytes, then their CRC32C), written to a temporary name and
 * renamed. Nothing is fsynced: a chunk torn by a power loss fails its checksum when read, reads as
 * absent and is fetched again. Without the checksum it would reach the application, which would
 * reject its sender for what the local disk did. Files whose names do not parse are ignored and
 * removed with their snapshot's directory.
 *
 * <p>Not thread-safe.
 */
public final class DirectoryChunkStore implements ChunkStore {
  private static final Logger log = LoggerFactory.getLogger(DirectoryChunkStore.class);
  private static final Pattern CHUNK = Pattern.compile("(\\d{1,9})-([0-9a-f]{2,200})\\.chunk");
  private static final int CHECKSUM_BYTES = 4;

  private final Path root;
  private Path dir;

  public DirectoryChunkStore(Path root) {
    this.root = root;
  }

  @Override
  public java.util.SortedMap<Integer, NodeId> open(Snapshot s) {
    String name = s.height() + "-" + s.format() + "-" + s.hash().toHex();
    java.util.SortedMap<Integer, NodeId> held = new TreeMap<>();
    try {
      Files.createDirectories(root);
      try (Stream<Path> others = Files.list(root)) {
        for (Path p : others.toList()) {
          if (!p.getFileName().toString().equals(name)) {
            deleteTree(p);
          }
        }
      }
      dir = root.resolve(name);
      Files.createDirectories(dir);
      try (DirectoryStream<Path> files = Files.newDirectoryStream(dir)) {
        for (Path f : files) {
          Matcher m = CHUNK.matcher(f.getFileName().toString());
          int index = m.matches() ? Integer.parseInt(m.group(1)) : -1;
          if (index < 0 || index >= s.chunks()) {
            Files.deleteIfExists(f);
            continue;
          }
          try {
            held.put(index, NodeId.of(HexFormat.of().parseHex(m.group(2))));
          } catch (RuntimeException e) {
            Files.deleteIfExists(f);
          }
        }
      }
    } catch (IOException e) {
      throw ioError("opening chunks in " + root, e);
    }
    return held;
  }

  @Override
  public void put(int index, Bytes chunk, NodeId sender) {
    discard(index);
    Path target =
        dir.resolve(index + "-" + HexFormat.of().formatHex(sender.publicKey()) + ".chunk");
    Path tmp = dir.resolve(index + ".tmp");
    byte[] bytes = chunk.unsafeArray();
    byte[] file = Arrays.copyOf(bytes, bytes.length + CHECKSUM_BYTES);
    ByteBuffer.wrap(file, bytes.length, CHECKSUM_BYTES).putInt(crc(file, bytes.length));
    try {
      Files.write(tmp, file);
      Files.move(tmp, target, StandardCopyOption.ATOMIC_MOVE);
    } catch (IOException e) {
      throw ioError("storing chunk " + index + " in " + dir, e);
    }
  }

  @Override
  public Optional<Held> get(int index) {
    Optional<Path> f = find(index);
    if (f.isEmpty()) {
      return Optional.empty();
    }
    Matcher m = CHUNK.matcher(f.get().getFileName().toString());
    if (!m.matches()) {
      return Optional.empty();
    }
    try {
      byte[] file = Files.readAllBytes(f.get());
      int length = file.length - CHECKSUM_BYTES;
      if (length < 0
          || ByteBuffer.wrap(file, length, CHECKSUM_BYTES).getInt() != crc(file, length)) {
        log.warn("state sync: chunk {} in {} is torn; fetching it again", index, dir);
        Files.deleteIfExists(f.get());
        return Optional.empty();
      }
      return Optional.of(
          new Held(
              Bytes.wrap(Arrays.copyOf(file, length)),
              NodeId.of(HexFormat.of().parseHex(m.group(2)))));
    } catch (IOException e) {
      throw ioError("reading chunk " + index + " in " + dir, e);
    }
  }

  private static int crc(byte[] bytes, int length) {
    CRC32C crc = new CRC32C();
    crc.update(bytes, 0, length);
    return (int) crc.getValue();
  }

  @Override
  public void discard(int index) {
    try {
      Optional<Path> f = find(index);
      if (f.isPresent()) {
        Files.deleteIfExists(f.get());
      }
    } catch (IOException e) {
      throw ioError("deleting chunk " + index + " in " + dir, e);
    }
  }

  private Optional<Path> find(int index) {
    if (dir == null) {
      return Optional.empty();
    }
    try (DirectoryStream<Path> files = Files.newDirectoryStream(dir, index + "-*.chunk")) {
      for (Path f : files) {
        return Optional.of(f);
      }
      return Optional.empty();
    } catch (IOException e) {
      throw ioError("listing " + dir, e);
    }
  }

  @Override
  public void clear() {
    if (dir != null) {
      try {
        deleteTree(dir);
      } catch (IOException e) {
        throw ioError("deleting " + dir, e);
      }
      dir = null;
    }
  }

  @Override
  public void close() {}

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
