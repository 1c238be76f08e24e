package io.ferry.snapshot;

import com.github.luben.zstd.ZstdInputStream;
import com.github.luben.zstd.ZstdOutputStream;
import java.io.ByteArrayOutputStream;
import java.io.IOException;
import java.io.InputStream;
import java.io.OutputStream;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.LinkedHashMap;
import java.util.Map;
import java.util.function.BiFunction;
import org.apache.commons.compress.archivers.tar.TarArchiveEntry;
import org.apache.commons.compress.archivers.tar.TarArchiveInputStream;
import org.apache.commons.compress.archivers.tar.TarArchiveOutputStream;

/**
 * Archives for tests: read one's entries, write edited ones (stores: {@code MerkleTestSupport}).
 */
final class TestArchives {
  private TestArchives() {}

  /** The tar entries of an archive, in order. */
  static Map<String, byte[]> entries(Path archive) throws IOException {
    Map<String, byte[]> out = new LinkedHashMap<>();
    try (InputStream in = new ZstdInputStream(Files.newInputStream(archive));
        TarArchiveInputStream tar = new TarArchiveInputStream(in)) {
      TarArchiveEntry e;
      while ((e = tar.getNextEntry()) != null) {
        out.put(e.getName(), tar.readAllBytes());
      }
    }
    return out;
  }

  /** Writes {@code entries}, each passed through {@code edit}, as a valid tar.zst. */
  static void repack(Map<String, byte[]> entries, Path out, BiFunction<String, byte[], byte[]> edit)
      throws IOException {
    ByteArrayOutputStream bytes = new ByteArrayOutputStream();
    try (OutputStream z = new ZstdOutputStream(bytes, 1);
        TarArchiveOutputStream tar = new TarArchiveOutputStream(z)) {
      for (Map.Entry<String, byte[]> e : entries.entrySet()) {
        byte[] data = edit.apply(e.getKey(), e.getValue().clone());
        tar.putArchiveEntry(ArchiveLayout.entry(e.getKey(), data.length));
        tar.write(data);
        tar.closeArchiveEntry();
      }
    }
    Files.write(out, bytes.toByteArray());
  }
}
