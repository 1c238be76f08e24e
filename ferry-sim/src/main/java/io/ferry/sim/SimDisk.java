package io.ferry.sim;

import com.google.protobuf.ByteString;
import io.ferry.core.runtime.RandomSource;
import java.util.ArrayList;
import java.util.List;
import java.util.NavigableMap;
import java.util.Optional;
import java.util.SortedMap;
import java.util.TreeMap;

/**
 * A simulated node's storage: what survives {@link Simulation#crash} and {@link
 * Simulation#restart}. It holds bytes under string keys, not objects, so a restarted node must
 * decode its state the way a real node reads its files, and nothing of the dead incarnation's
 * memory leaks into the new one.
 *
 * <p>Like a real disk, it keeps only what was synced. {@link #put} and {@link #remove} are durable
 * at once (a write followed by fsync); {@link #write} is not: it is seen by reads at once, but a
 * crash before the next {@link #sync} loses it, and may leave the last such write torn (cut short
 * at a random length), as a power cut leaves the tail of a file. Code that writes without syncing
 * must therefore detect a torn record when it reads the disk back.
 *
 * <p>Keys iterate in sorted order, so code walking the disk stays deterministic. Single-threaded,
 * like the whole simulator.
 */
public final class SimDisk {
  private final NavigableMap<String, ByteString> files = new TreeMap<>();
  // Writes not yet synced, oldest first, with what each key held before (null: nothing).
  private final List<Pending> pending = new ArrayList<>();
  private long writes;
  private long lost;
  private long torn;

  private record Pending(String key, ByteString before, ByteString after) {}

  /** Writes {@code value} durably: a write and an fsync. */
  public void put(String key, ByteString value) {
    files.put(key, value);
    writes++;
  }

  /** Writes {@code value} without syncing: a crash before the next {@link #sync} may lose it. */
  public void write(String key, ByteString value) {
    pending.add(new Pending(key, files.get(key), value));
    files.put(key, value);
    writes++;
  }

  /** Makes every write so far durable. */
  public void sync() {
    pending.clear();
  }

  public Optional<ByteString> get(String key) {
    return Optional.ofNullable(files.get(key));
  }

  /** Removes {@code key} durably. */
  public boolean remove(String key) {
    writes++;
    ByteString before = files.remove(key);
    // A durable remove makes the earlier unsynced writes of this key moot.
    pending.removeIf(p -> p.key.equals(key));
    return before != null;
  }

  /** The entries whose keys start with {@code prefix}, sorted by key; a read-only view. */
  public SortedMap<String, ByteString> list(String prefix) {
    return java.util.Collections.unmodifiableSortedMap(
        files.subMap(prefix, true, prefix + Character.MAX_VALUE, false));
  }

  /**
   * The node lost power: unsynced writes are undone, newest first, and half the time the oldest of
   * them survives cut short at a random length. Draws from {@code random} only when a write is
   * lost, so a run that never writes unsynced draws the same numbers as before. {@link
   * Simulation#crash} calls it; tests of a store on the disk may too.
   */
  public void crash(RandomSource random) {
    boolean tear = !pending.isEmpty() && random.nextInt(2) == 0;
    for (int i = pending.size() - 1; i >= 0; i--) {
      Pending p = pending.get(i);
      if (p.before == null) {
        files.remove(p.key);
      } else {
        files.put(p.key, p.before);
      }
      lost++;
    }
    if (tear && !pending.isEmpty()) {
      Pending first = pending.get(0);
      int keep = first.after.size() == 0 ? 0 : random.nextInt(first.after.size());
      files.put(first.key, first.after.substring(0, keep));
      torn++;
    }
    pending.clear();
  }

  public int size() {
    return files.size();
  }

  /** Writes so far, over every incarnation. */
  public long writes() {
    return writes;
  }

  /** Unsynced writes that crashes undid. */
  public long lostWrites() {
    return lost;
  }

  /** Writes that crashes left torn. */
  public long tornWrites() {
    return torn;
  }
}
