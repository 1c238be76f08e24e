package io.ferry.gossip.store;

import io.ferry.core.Hash;
import io.ferry.gossip.value.SignedValue;
import io.ferry.gossip.value.ValueKey;
import io.ferry.gossip.value.ValueKind;
import java.nio.ByteBuffer;
import java.util.ArrayList;
import java.util.Iterator;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Optional;
import java.util.function.Predicate;

/**
 * The values a node holds, one per {@link ValueKey}: Agave's CRDS table. Of two values for a key
 * the one with the newer wallclock wins, and of two with the same wallclock the one with the larger
 * hash, so every node that sees both keeps the same one. It holds at most {@code capacity} values;
 * a value for a new key beyond that is refused, while newer values for held keys are always taken.
 *
 * <p>It stores what it is given: the caller judges each value ({@code ValueRules}) first, and asks
 * {@link #wouldTake} before paying for a signature check. Iteration is in insertion order, so what
 * a node sends replays in the simulator. Thread-safe (every method locks the store).
 */
public final class ValueStore {

  /** What {@link #offer} did with a value. */
  public enum Outcome {
    /** A key the store did not hold. */
    NEW,
    /** Replaced an older value for its key. */
    NEWER,
    /** The very value held already. */
    DUPLICATE,
    /** Older than the value held for its key. */
    OLDER,
    /** A new key, and the store is full. */
    FULL;

    /** Whether the store took the value. */
    public boolean taken() {
      return this == NEW || this == NEWER;
    }
  }

  /** A held value with its hash, computed once. */
  public record Entry(SignedValue value, Hash hash) {}

  private final int capacity;
  private final LinkedHashMap<ValueKey, Entry> entries = new LinkedHashMap<>();

  public ValueStore(int capacity) {
    this.capacity = capacity;
  }

  /** What {@link #offer} would do with {@code value}, without doing it. */
  public synchronized Outcome wouldTake(SignedValue value, Hash hash) {
    Entry held = entries.get(value.key());
    if (held == null) {
      return entries.size() >= capacity ? Outcome.FULL : Outcome.NEW;
    }
    if (held.hash().equals(hash)) {
      return Outcome.DUPLICATE;
    }
    return newer(value, hash, held) ? Outcome.NEWER : Outcome.OLDER;
  }

  /** Stores {@code value} if it is new or newer than the one held for its key. */
  public synchronized Outcome offer(SignedValue value, Hash hash) {
    Outcome outcome = wouldTake(value, hash);
    if (outcome.taken()) {
      entries.put(value.key(), new Entry(value, hash));
    }
    return outcome;
  }

  private static boolean newer(SignedValue value, Hash hash, Entry held) {
    long a = value.wallclock();
    long b = held.value().wallclock();
    return a != b ? a > b : hash.compareTo(held.hash()) > 0;
  }

  public synchronized Optional<SignedValue> get(ValueKey key) {
    Entry e = entries.get(key);
    return e == null ? Optional.empty() : Optional.of(e.value());
  }

  /** The values of {@code kind}, in insertion order. */
  public synchronized List<SignedValue> values(ValueKind kind) {
    List<SignedValue> out = new ArrayList<>();
    for (Entry e : entries.values()) {
      if (e.value().kind() == kind) {
        out.add(e.value());
      }
    }
    return out;
  }

  public synchronized int size() {
    return entries.size();
  }

  /** Removes the values {@code expired} says have lived out their time; returns how many. */
  public synchronized int removeIf(Predicate<SignedValue> expired) {
    int removed = 0;
    for (Iterator<Entry> it = entries.values().iterator(); it.hasNext(); ) {
      if (expired.test(it.next().value())) {
        it.remove();
        removed++;
      }
    }
    return removed;
  }

  /** The hashes of the values in the part of the store a pull with this mask covers. */
  public synchronized List<Hash> hashesIn(int maskBits, long mask) {
    List<Hash> out = new ArrayList<>();
    for (Entry e : entries.values()) {
      if (inPart(e.hash(), maskBits, mask)) {
        out.add(e.hash());
      }
    }
    return out;
  }

  /**
   * The values of one part of the store that {@code filter} lacks, at most {@code maxValues} and
   * {@code maxBytes} of encoded values, starting at the {@code start}-th value (mod size) so that
   * repeated pulls do not always answer with the same first values.
   */
  public synchronized List<SignedValue> missingFrom(
      BloomFilter filter, int maskBits, long mask, int maxValues, int maxBytes, int start) {
    List<Entry> all = new ArrayList<>(entries.values());
    List<SignedValue> out = new ArrayList<>();
    int bytes = 0;
    for (int i = 0; i < all.size() && out.size() < maxValues; i++) {
      Entry e = all.get(Math.floorMod(start + i, all.size()));
      if (!inPart(e.hash(), maskBits, mask) || filter.mightContain(e.hash())) {
        continue;
      }
      int size = e.value().toProto().getSerializedSize() + 8;
      if (bytes + size > maxBytes) {
        break;
      }
      bytes += size;
      out.add(e.value());
    }
    return out;
  }

  /** Whether {@code hash}'s top {@code maskBits} bits equal {@code mask}'s. */
  public static boolean inPart(Hash hash, int maskBits, long mask) {
    if (maskBits == 0) {
      return true;
    }
    long prefix = ByteBuffer.wrap(hash.toBytes()).getLong();
    return (prefix ^ mask) >>> (64 - maskBits) == 0;
  }
}
