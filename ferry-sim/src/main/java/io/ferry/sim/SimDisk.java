package io.ferry.sim;

import com.google.protobuf.ByteString;
import java.util.NavigableMap;
import java.util.Optional;
import java.util.SortedMap;
import java.util.TreeMap;

/**
 * A simulated node's durable storage: what survives {@link Simulation#crash} and {@link
 * Simulation#restart}. It holds bytes under string keys, not objects, so a restarted node must
 * decode its state the way a real node reads its files, and nothing of the dead incarnation's
 * memory leaks into the new one. Every write is durable at once (as if fsynced).
 *
 * <p>Keys iterate in sorted order, so code walking the disk stays deterministic. Single-threaded,
 * like the whole simulator.
 */
public final class SimDisk {
  private final NavigableMap<String, ByteString> files = new TreeMap<>();
  private long writes;

  public void put(String key, ByteString value) {
    files.put(key, value);
    writes++;
  }

  public Optional<ByteString> get(String key) {
    return Optional.ofNullable(files.get(key));
  }

  public boolean remove(String key) {
    writes++;
    return files.remove(key) != null;
  }

  /** The entries whose keys start with {@code prefix}, sorted by key; a read-only view. */
  public SortedMap<String, ByteString> list(String prefix) {
    return java.util.Collections.unmodifiableSortedMap(
        files.subMap(prefix, true, prefix + Character.MAX_VALUE, false));
  }

  public int size() {
    return files.size();
  }

  /** Puts and removes so far, over every incarnation. */
  public long writes() {
    return writes;
  }
}
