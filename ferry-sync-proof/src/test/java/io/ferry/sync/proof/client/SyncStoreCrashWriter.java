package io.ferry.sync.proof.client;

import io.ferry.core.Bytes;
import io.ferry.core.Hash;
import io.ferry.core.KeyRange;
import io.ferry.merkledb.KeyChange;
import java.io.PrintStream;
import java.nio.ByteBuffer;
import java.nio.charset.StandardCharsets;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.List;
import java.util.Optional;
import java.util.Random;
import org.slf4j.LoggerFactory;

/**
 * The child process of {@link KvSyncStoreCrashTest}: opens the {@link KvSyncStore} in the directory
 * given as its first argument and applies deterministic steps forever, starting after the number of
 * steps given as its second argument (what the test found durable). Step {@code i} is always {@link
 * #step(long) step(i)}, and its target names {@code i}, so the state after a kill says how many
 * steps it holds. It prints {@code OPEN} once open, then {@code APPLIED i} after each step returns,
 * flushing each line. It is meant to be killed.
 */
public final class SyncStoreCrashWriter {
  static final int CHANGES_PER_STEP = 300;
  static final int BIG_VALUES_PER_STEP = 2;
  static final int BIG_VALUE_BYTES = 64 * 1024;

  /** Every this many steps, a step clears the store first. */
  static final int CLEAR_EVERY = 9;

  private static final byte[] ALPHABET = "abcdefghijklmnop".getBytes(StandardCharsets.US_ASCII);

  private SyncStoreCrashWriter() {}

  /** One step: optionally a clear, then an apply. */
  record Step(
      boolean clearFirst,
      Optional<KeyRange> replace,
      List<KeyChange> changes,
      Hash target,
      List<CompletedRange> progress) {
    void applyTo(SyncStore store) {
      if (clearFirst) {
        store.clear();
      }
      store.apply(replace, changes, target, progress);
    }
  }

  /** The target step {@code i} records: {@code i} in its first 8 bytes. */
  static Hash target(long i) {
    byte[] h = new byte[Hash.LENGTH];
    Arrays.fill(h, (byte) 0x5a);
    ByteBuffer.wrap(h).putLong(i);
    return Hash.wrap(h);
  }

  /** The step whose target {@code target} is. */
  static long stepOf(Hash target) {
    return ByteBuffer.wrap(target.toBytes()).getLong();
  }

  static boolean clears(long i) {
    return i % CLEAR_EVERY == 0;
  }

  /**
   * Step {@code i}: a replaced range most of the time (sometimes unbounded on a side), {@value
   * #CHANGES_PER_STEP} puts and deletes of keys of up to three letters (rarely the empty key), a
   * few 64 KiB values so each write takes a while, and a few completed ranges.
   */
  static Step step(long i) {
    Random r = new Random(0x9E3779B97F4A7C15L * i + 0x5EED);
    Optional<KeyRange> replace = r.nextInt(10) < 6 ? Optional.of(range(r)) : Optional.empty();
    List<KeyChange> changes = new ArrayList<>();
    for (int k = 0; k < CHANGES_PER_STEP; k++) {
      Bytes key = smallKey(r);
      if (r.nextInt(10) < 3) {
        changes.add(KeyChange.delete(key));
      } else {
        byte[] v = new byte[r.nextInt(48)];
        r.nextBytes(v);
        changes.add(KeyChange.put(key, Bytes.wrap(v)));
      }
    }
    for (int k = 0; k < BIG_VALUES_PER_STEP; k++) {
      byte[] v = new byte[BIG_VALUE_BYTES];
      r.nextBytes(v);
      changes.add(KeyChange.put(Bytes.wrap(("z-big" + r.nextInt(6)).getBytes()), Bytes.wrap(v)));
    }
    List<CompletedRange> progress = new ArrayList<>();
    int ranges = r.nextInt(5);
    for (int k = 0; k < ranges; k++) {
      byte[] root = new byte[Hash.LENGTH];
      r.nextBytes(root);
      progress.add(new CompletedRange(range(r), Hash.wrap(root)));
    }
    return new Step(clears(i), replace, changes, target(i), progress);
  }

  private static KeyRange range(Random r) {
    Bytes a = r.nextInt(6) == 0 ? null : smallKey(r);
    Bytes b = r.nextInt(6) == 0 ? null : smallKey(r);
    if (a != null && b != null && a.compareTo(b) > 0) {
      return KeyRange.of(b, a);
    }
    return KeyRange.of(a, b);
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

  /** Usage: {@code SyncStoreCrashWriter DIR APPLIED}. */
  public static void main(String[] args) {
    // Logging goes to stdout, which is the report channel: keep it to warnings.
    ((ch.qos.logback.classic.Logger) LoggerFactory.getLogger(org.slf4j.Logger.ROOT_LOGGER_NAME))
        .setLevel(ch.qos.logback.classic.Level.WARN);
    PrintStream out = System.out;
    long applied = Long.parseLong(args[1]);
    try (KvSyncStore store = SyncStores.open(Path.of(args[0]), true)) {
      out.println("OPEN");
      out.flush();
      for (long i = applied + 1; ; i++) {
        step(i).applyTo(store);
        out.println("APPLIED " + i);
        out.flush();
      }
    }
  }
}
