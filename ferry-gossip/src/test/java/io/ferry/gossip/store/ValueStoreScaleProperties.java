package io.ferry.gossip.store;

import static org.assertj.core.api.Assertions.assertThat;

import io.ferry.core.Bytes;
import io.ferry.core.identity.NodeId;
import io.ferry.gossip.value.SignedValue;
import io.ferry.gossip.value.ValueKey;
import io.ferry.gossip.value.ValueKind;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import net.jqwik.api.Arbitraries;
import net.jqwik.api.Arbitrary;
import net.jqwik.api.Combinators;
import net.jqwik.api.ForAll;
import net.jqwik.api.Property;
import net.jqwik.api.Provide;
import net.jqwik.api.constraints.IntRange;

/**
 * What keeps the store's work small when it holds a value per node of a large network, checked
 * against the plain way of doing it. {@link ValueStore#removeOlderThan} looks only at the oldest
 * values, through an index by age that every offer and removal keeps: whatever was offered,
 * replaced and removed before, it removes exactly what a scan of every value with the same test
 * would ({@link ValueStore#removeIf}). {@link ValueStore#missingFrom} answers a pull in one pass
 * without copying the store, and answers what walking a copy from the start position did.
 */
class ValueStoreScaleProperties {
  private static final int ORIGINS = 6;

  /** One step: offer a value (origin, kind, wallclock, payload byte), or expire below a time. */
  record Op(boolean expire, int origin, boolean snapshot, long wallclock, byte payload) {}

  @Provide
  Arbitrary<List<Op>> ops() {
    Arbitrary<Op> op =
        Combinators.combine(
                Arbitraries.integers().between(0, 9).map(i -> i == 0),
                Arbitraries.integers().between(0, ORIGINS - 1),
                Arbitraries.of(true, false),
                Arbitraries.longs().between(0, 40),
                Arbitraries.bytes().between((byte) 0, (byte) 3))
            .as(Op::new);
    return op.list().ofMaxSize(60);
  }

  @Property(tries = 300)
  void removingOlderThanIsRemovingEveryExpiredValue(
      @ForAll("ops") List<Op> ops, @ForAll @IntRange(min = 0, max = ORIGINS - 1) int kept) {
    ValueStore indexed = new ValueStore(1_000);
    ValueStore scanned = new ValueStore(1_000);
    NodeId keptOrigin = origin(kept);
    for (Op op : ops) {
      if (op.expire()) {
        int a = indexed.removeOlderThan(op.wallclock(), v -> v.origin().equals(keptOrigin));
        int b =
            scanned.removeIf(v -> v.wallclock() < op.wallclock() && !v.origin().equals(keptOrigin));
        assertThat(a).as("removed at %d", op.wallclock()).isEqualTo(b);
      } else {
        SignedValue v = value(op);
        assertThat(indexed.offer(v, v.hash())).isEqualTo(scanned.offer(v, v.hash()));
      }
      assertThat(contents(indexed)).isEqualTo(contents(scanned));
    }
    // And the index is still whole: expiring everything leaves only the kept origin's values.
    indexed.removeOlderThan(Long.MAX_VALUE, v -> v.origin().equals(keptOrigin));
    assertThat(contents(indexed)).allMatch(v -> v.origin().equals(keptOrigin));
  }

  @Property(tries = 100)
  void aReplacedValueNoLongerExpiresItsKey(
      @ForAll @IntRange(min = 0, max = 30) int older,
      @ForAll @IntRange(min = 31, max = 60) int newer) {
    ValueStore store = new ValueStore(10);
    SignedValue first = value(new Op(false, 1, true, older, (byte) 0));
    SignedValue second = value(new Op(false, 1, true, newer, (byte) 1));
    store.offer(first, first.hash());
    store.offer(second, second.hash());
    assertThat(store.removeOlderThan(newer, v -> false)).isZero();
    assertThat(store.get(second.key())).contains(second);
    assertThat(store.removeOlderThan(newer + 1, v -> false)).isEqualTo(1);
    assertThat(store.size()).isZero();
  }

  @Property(tries = 300)
  void aPullIsAnsweredAsByWalkingACopyFromTheStart(
      @ForAll("ops") List<Op> ops,
      @ForAll @IntRange(min = 0, max = 3) int maskBits,
      @ForAll long mask,
      @ForAll @IntRange(min = 0, max = 1000) int start,
      @ForAll @IntRange(min = 1, max = 12) int maxValues,
      @ForAll @IntRange(min = 0, max = 1500) int maxBytes,
      @ForAll long seed) {
    ValueStore store = new ValueStore(1_000);
    // The store iterates in the order it first took each key, as a LinkedHashMap does.
    Map<ValueKey, SignedValue> taken = new LinkedHashMap<>();
    for (Op op : ops) {
      if (!op.expire()) {
        SignedValue v = value(op);
        if (store.offer(v, v.hash()).taken()) {
          taken.put(v.key(), v);
        }
      }
    }
    List<SignedValue> all = new ArrayList<>(taken.values());
    BloomFilter filter = BloomFilter.forItems(all.size(), 0.3, seed);
    for (int i = 0; i < all.size(); i += 2) {
      filter.add(all.get(i).hash()); // the requester holds every other value, and false positives
    }
    assertThat(store.missingFrom(filter, maskBits, mask, maxValues, maxBytes, start))
        .isEqualTo(walkACopy(all, filter, maskBits, mask, maxValues, maxBytes, start));
  }

  /** How missingFrom answered before it stopped copying the store. */
  private static List<SignedValue> walkACopy(
      List<SignedValue> all,
      BloomFilter filter,
      int maskBits,
      long mask,
      int maxValues,
      int maxBytes,
      int start) {
    List<SignedValue> out = new ArrayList<>();
    int bytes = 0;
    for (int i = 0; i < all.size() && out.size() < maxValues; i++) {
      SignedValue v = all.get(Math.floorMod(start + i, all.size()));
      if (!ValueStore.inPart(v.hash(), maskBits, mask) || filter.mightContain(v.hash())) {
        continue;
      }
      int size = v.toProto().getSerializedSize() + 8;
      if (bytes + size > maxBytes) {
        break;
      }
      bytes += size;
      out.add(v);
    }
    return out;
  }

  private static List<SignedValue> contents(ValueStore store) {
    List<SignedValue> out = new ArrayList<>();
    for (ValueKind kind : ValueKind.values()) {
      out.addAll(store.values(kind));
    }
    return out;
  }

  private static NodeId origin(int i) {
    byte[] key = new byte[NodeId.LENGTH];
    key[0] = (byte) (i + 1);
    return NodeId.of(key);
  }

  /** A value with a dummy signature: the store judges nothing, it only keeps the newest. */
  private static SignedValue value(Op op) {
    ValueKind kind = op.snapshot() ? ValueKind.SNAPSHOT_HASHES : ValueKind.CONTACT_INFO;
    return new SignedValue(
        origin(op.origin()),
        kind,
        op.wallclock(),
        Bytes.EMPTY,
        Bytes.wrap(new byte[] {op.payload()}),
        Bytes.wrap(new byte[SignedValue.SIGNATURE_LENGTH]));
  }
}
