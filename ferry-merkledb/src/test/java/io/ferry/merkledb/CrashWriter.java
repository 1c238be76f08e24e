package io.ferry.merkledb;

import io.ferry.core.Bytes;
import io.ferry.core.Hash;
import java.io.PrintStream;
import java.nio.charset.StandardCharsets;
import java.nio.file.Path;
import java.util.Random;
import org.slf4j.LoggerFactory;

/**
 * The child process of {@link CrashRecoveryTest}: opens (or reopens) a RocksDB MerkleDB in the
 * directory given as its only argument and commits deterministic batches forever, batch {@code i}
 * being {@link #batch(long) batch(i)}, so commit {@code i} always yields the same root whatever
 * happened before. It reports the state it opened at ({@code OPEN height root}) and then every
 * commit once it has returned ({@code COMMIT height root}), flushing each line. It is meant to be
 * killed.
 */
public final class CrashWriter {
  /** The configuration both the child and the test open the store with. */
  static final MerkleDBConfig CONFIG =
      new MerkleDBConfig(BranchFactor.BF16, 16, 200_000, 16L << 20, true);

  static final int OPS_PER_BATCH = 500;
  static final int BIG_VALUES_PER_BATCH = 3;
  static final int BIG_VALUE_BYTES = 64 * 1024;
  private static final byte[] ALPHABET = "abcdefghijklmnop".getBytes(StandardCharsets.US_ASCII);

  private CrashWriter() {}

  /**
   * Batch {@code i}: {@value #OPS_PER_BATCH} puts and deletes of keys of up to three letters of a
   * 16-letter alphabet (and, rarely, the empty key), then a few 64 KiB values under {@code big0} ..
   * {@code big7} so that each commit takes a while.
   */
  static Batch batch(long i) {
    Random r = new Random(0x9E3779B97F4A7C15L * i + 0x5EED);
    Batch b = new Batch();
    for (int k = 0; k < OPS_PER_BATCH; k++) {
      Bytes key = smallKey(r);
      if (r.nextInt(10) < 3) {
        b.delete(key);
      } else {
        byte[] v = new byte[r.nextInt(48)];
        r.nextBytes(v);
        b.put(key, Bytes.wrap(v));
      }
    }
    for (int k = 0; k < BIG_VALUES_PER_BATCH; k++) {
      Bytes key = Bytes.wrap(("big" + r.nextInt(8)).getBytes(StandardCharsets.US_ASCII));
      if (r.nextInt(6) == 0) {
        b.delete(key);
      } else {
        byte[] v = new byte[BIG_VALUE_BYTES];
        r.nextBytes(v);
        b.put(key, Bytes.wrap(v));
      }
    }
    return b;
  }

  private static Bytes smallKey(Random r) {
    if (r.nextInt(250) == 0) {
      return Bytes.EMPTY;
    }
    byte[] k = new byte[1 + r.nextInt(3)];
    for (int j = 0; j < k.length; j++) {
      k[j] = ALPHABET[r.nextInt(ALPHABET.length)];
    }
    return Bytes.wrap(k);
  }

  /** One reported state, as printed. */
  static String line(String kind, Revision rev) {
    return kind + " " + rev.height() + " " + rev.root().toHex();
  }

  /** Parses a line printed by {@link #line}; null if it is not one (e.g. cut short by the kill). */
  static Revision parse(String kind, String line) {
    String[] parts = line.split(" ");
    if (parts.length != 3 || !parts[0].equals(kind) || parts[2].length() != 2 * Hash.LENGTH) {
      return null;
    }
    try {
      return new Revision(Long.parseLong(parts[1]), Hash.fromHex(parts[2]));
    } catch (RuntimeException e) {
      return null;
    }
  }

  /** Key-value {@code i} of a bulk load: keys strictly increasing, values pseudo-random. */
  static KeyValue bulkEntry(int i) {
    byte[] key = java.nio.ByteBuffer.allocate(4).putInt(i * 3 + 1).array();
    byte[] value = new byte[8 + i % 40];
    new Random(i).nextBytes(value);
    return new KeyValue(Bytes.wrap(key), Bytes.wrap(value));
  }

  static java.util.Iterator<KeyValue> bulkData(int count) {
    return java.util.stream.IntStream.range(0, count).mapToObj(CrashWriter::bulkEntry).iterator();
  }

  /** The bulk mode: loads {@code count} entries into a new store, reports, then waits. */
  private static void bulkLoad(Path dir, int count, PrintStream out) {
    try (MerkleDB db = MerkleDB.open(dir, CONFIG)) {
      out.println(line("OPEN", db.revision()));
      out.flush();
      Revision rev = db.bulkLoad(bulkData(count));
      out.println(line("LOADED", rev));
      out.flush();
      java.util.concurrent.locks.LockSupport.park();
    }
  }

  /**
   * Usage: {@code CrashWriter DIR} commits forever; {@code CrashWriter DIR bulk COUNT} bulk loads
   * {@code COUNT} entries ({@link #bulkEntry}) into a new store and waits to be killed.
   */
  public static void main(String[] args) {
    // Logging goes to stdout, which is the report channel: keep it to warnings.
    ((ch.qos.logback.classic.Logger) LoggerFactory.getLogger(org.slf4j.Logger.ROOT_LOGGER_NAME))
        .setLevel(ch.qos.logback.classic.Level.WARN);
    PrintStream out = System.out;
    if (args.length > 1 && args[1].equals("bulk")) {
      bulkLoad(Path.of(args[0]), Integer.parseInt(args[2]), out);
      return;
    }
    try (MerkleDB db = MerkleDB.open(Path.of(args[0]), CONFIG)) {
      out.println(line("OPEN", db.revision()));
      out.flush();
      while (true) {
        Revision rev = db.commit(batch(db.height() + 1));
        out.println(line("COMMIT", rev));
        out.flush();
      }
    }
  }
}
