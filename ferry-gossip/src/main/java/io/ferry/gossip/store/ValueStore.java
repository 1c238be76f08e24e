package io.ferry.gossip.store;

import io.ferry.core.Hash;
import io.ferry.gossip.value.SignedValue;
import io.ferry.gossip.value.ValueKey;
import io.ferry.gossip.value.ValueKind;
import java.util.ArrayList;
import java.util.Comparator;
import java.util.Iterator;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.NavigableSet;
import java.util.Optional;
import java.util.TreeSet;
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

  /** Oldest wallclock first; of equal wallclocks, by hash (two held values never share one). */
  private static final Comparator<Entry> AGE =
      Comparator.comparingLong((Entry e) -> e.value().wallclock()).thenComparing(Entry::hash);

  private final int capacity;
  private final LinkedHashMap<ValueKey, Entry> entries = new LinkedHashMap<>();
  // The held entries again, by age, so expiry looks only at what expires.
  private final NavigableSet<Entry> byAge = new TreeSet<>(AGE);

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
      Entry entry = new Entry(value, hash);
      Entry replaced = entries.put(value.key(), entry);
      if (replaced != null) {
        byAge.remove(replaced);
      }
      byAge.add(entry);
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
      Entry e = it.next();
      if (expired.test(e.value())) {
        it.remove();
        byAge.remove(e);
        removed++;
      }
    }
    return removed;
  }

  /**
   * Removes the values whose wallclock is below {@code wallclock}, except those {@code kept} keeps;
   * returns how many went. Looks only at the values below {@code wallclock}, oldest first, so a
   * node can expire values often however many it holds.
   */
  public synchronized int removeOlderThan(long wallclock, Predicate<SignedValue> kept) {
    if (byAge.isEmpty() || byAge.first().value().wallclock() >= wallclock) {
      return 0; // the usual case, checked without an iterator
    }
    int removed = 0;
    for (Iterator<Entry> it = byAge.iterator(); it.hasNext(); ) {
      Entry e = it.next();
      if (e.value().wallclock() >= wallclock) {
        break;
      }
      if (!kept.test(e.value())) {
        it.remove();
        entries.remove(e.value().key());
        removed++;
      }
    }
    return removed;
  }

  /** The hashes of the values in the part of the store a pull with this mask covers. */
  public synchronized List<Hash> hashesIn(int maskBits, long mask) {
    List<Hash> out = new ArrayList<>((entries.size() >> maskBits) + 16);
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
    // One pass, no copy of the store: a pull answer is usually a few values out of thousands.
    // What is missing before the start is kept aside (at most maxValues) for the wrap-around.
    int first = entries.isEmpty() ? 0 : Math.floorMod(start, entries.size());
    List<SignedValue> out = new ArrayList<>();
    List<SignedValue> wrapped = new ArrayList<>();
    int[] bytes = {0};
    int i = 0;
    for (Entry e : entries.values()) {
      if (inPart(e.hash(), maskBits, mask) && !filter.mightContain(e.hash())) {
        if (i < first) {
          if (wrapped.size() < maxValues) {
            wrapped.add(e.value());
          }
        } else if (!fits(out, e.value(), maxValues, maxBytes, bytes)) {
          return out;
        }
      }
      i++;
    }
    for (SignedValue v : wrapped) {
      if (!fits(out, v, maxValues, maxBytes, bytes)) {
        break;
      }
    }
    return out;
  }

  /** Adds {@code v} to {@code out} if it stays within both bounds; false once it would not. */
  private static boolean fits(
      List<SignedValue> out, SignedValue v, int maxValues, int maxBytes, int[] bytes) {
    if (out.size() >= maxValues) {
      return false;
    }
    int size = v.toProto().getSerializedSize() + 8;
    if (bytes[0] + size > maxBytes) {
      return false;
    }
    bytes[0] += size;
    out.add(v);
    return true;
  }

  /** Whether {@code hash}'s top {@code maskBits} bits equal {@code mask}'s. */
  public static boolean inPart(Hash hash, int maskBits, long mask) {
    if (maskBits == 0) {
      return true;
    }
    return (hash.longAt(0) ^ mask) >>> (64 - maskBits) == 0;
  }
}
