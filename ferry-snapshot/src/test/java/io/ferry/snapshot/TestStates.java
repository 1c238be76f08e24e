package io.ferry.snapshot;

import com.github.luben.zstd.ZstdInputStream;
import com.github.luben.zstd.ZstdOutputStream;
import io.ferry.core.Bytes;
import io.ferry.merkledb.Batch;
import io.ferry.merkledb.MerkleDB;
import io.ferry.merkledb.MerkleDBConfig;
import java.io.ByteArrayOutputStream;
import java.io.IOException;
import java.io.InputStream;
import java.io.OutputStream;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.LinkedHashMap;
import java.util.Map;
import java.util.Random;
import java.util.function.BiFunction;
import org.apache.commons.compress.archivers.tar.TarArchiveEntry;
import org.apache.commons.compress.archivers.tar.TarArchiveInputStream;
import org.apache.commons.compress.archivers.tar.TarArchiveOutputStream;

/** Stores and archives for tests. */
final class TestStates {
  private TestStates() {}

  static MerkleDBConfig config() {
    return MerkleDBConfig.defaults().withSyncWrites(false).withNodeCacheEntries(10_000);
  }

  static MerkleDB open(Path dir) {
    return MerkleDB.open(dir, config());
  }

  static Bytes key(Random r) {
    byte[] k = new byte[32];
    r.nextBytes(k);
    return Bytes.wrap(k);
  }

  static Bytes value(Random r, int length) {
    byte[] v = new byte[length];
    r.nextBytes(v);
    return Bytes.wrap(v);
  }

  /** Commits {@code keys} random key-values in batches of {@code batchSize}. */
  static void fill(MerkleDB db, Random r, int keys, int batchSize) {
    for (int done = 0; done < keys; ) {
      Batch b = new Batch();
      for (int i = 0; i < batchSize && done < keys; i++, done++) {
        b.put(key(r), value(r, 20 + r.nextInt(100)));
      }
      db.commit(b);
    }
  }

  /** One commit that updates, deletes and adds some keys. */
  static void churn(MerkleDB db, Random r, int changes) {
    Batch b = new Batch();
    int[] i = {0};
    db.scan(
        io.ferry.core.KeyRange.ALL,
        kv -> {
          if (r.nextInt(8) == 0) {
            if (r.nextBoolean()) {
              b.delete(kv.key());
            } else {
              b.put(kv.key(), value(r, 50));
            }
            i[0]++;
          }
          return i[0] < changes / 2;
        });
    for (int k = 0; k < changes / 2; k++) {
      b.put(key(r), value(r, 40));
    }
    db.commit(b);
  }

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
