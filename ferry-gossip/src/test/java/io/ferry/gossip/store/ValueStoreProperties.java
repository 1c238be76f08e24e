package io.ferry.gossip.store;

import static org.assertj.core.api.Assertions.assertThat;

import io.ferry.core.Hash;
import io.ferry.core.identity.NodeKey;
import io.ferry.gossip.store.ValueStore.Outcome;
import io.ferry.gossip.value.SignedValue;
import io.ferry.gossip.value.ValueKey;
import io.ferry.gossip.value.ValueKind;
import java.util.ArrayList;
import java.util.Comparator;
import java.util.HashSet;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.TreeMap;
import net.jqwik.api.Arbitraries;
import net.jqwik.api.Arbitrary;
import net.jqwik.api.Combinators;
import net.jqwik.api.ForAll;
import net.jqwik.api.Property;
import net.jqwik.api.Provide;
import net.jqwik.api.constraints.IntRange;
import net.jqwik.api.constraints.Size;

/** The store against a model: a sorted map keeping, per key, the greatest (wallclock, hash). */
class ValueStoreProperties {
  private static final List<NodeKey> ORIGINS =
      List.of(ValueStoreTest.key(1), ValueStoreTest.key(2), ValueStoreTest.key(3));
  private static final List<ValueKind> KINDS =
      List.of(ValueKind.CONTACT_INFO, ValueKind.SNAPSHOT_HASHES, ValueKind.PROVIDER);
  private static final Comparator<ValueKey> KEY_ORDER =
      Comparator.comparing((ValueKey k) -> k.origin())
          .thenComparing(ValueKey::kind)
          .thenComparing(ValueKey::index);

  /** Few origins, kinds, wallclocks and payloads, so keys, ties and duplicates are frequent. */
  @Provide
  Arbitrary<SignedValue> values() {
    return Combinators.combine(
            Arbitraries.of(ORIGINS),
            Arbitraries.of(KINDS),
            Arbitraries.longs().between(0, 4),
            Arbitraries.integers().between(0, 3))
        .as(ValueStoreTest::value);
  }

  private static boolean beats(SignedValue v, SignedValue held) {
    if (v.wallclock() != held.wallclock()) {
      return v.wallclock() > held.wallclock();
    }
    return v.hash().compareTo(held.hash()) > 0;
  }

  @Property
  void theStoreHoldsWhatTheModelHolds(
      @ForAll @Size(max = 60) List<@net.jqwik.api.From("values") SignedValue> offers,
      @ForAll @IntRange(min = 1, max = 12) int capacity) {
    ValueStore store = new ValueStore(capacity);
    TreeMap<ValueKey, SignedValue> model = new TreeMap<>(KEY_ORDER);
    for (SignedValue v : offers) {
      SignedValue held = model.get(v.key());
      Outcome expected;
      if (held == null) {
        expected = model.size() >= capacity ? Outcome.FULL : Outcome.NEW;
      } else if (held.equals(v)) {
        expected = Outcome.DUPLICATE;
      } else {
        expected = beats(v, held) ? Outcome.NEWER : Outcome.OLDER;
      }
      if (expected.taken()) {
        model.put(v.key(), v);
      }
      assertThat(store.wouldTake(v, v.hash())).isEqualTo(expected);
      assertThat(store.offer(v, v.hash())).isEqualTo(expected);
      assertThat(store.size()).isEqualTo(model.size()).isLessThanOrEqualTo(capacity);
    }
    for (Map.Entry<ValueKey, SignedValue> e : model.entrySet()) {
      assertThat(store.get(e.getKey())).contains(e.getValue());
    }
    for (ValueKind kind : KINDS) {
      assertThat(store.values(kind))
          .containsExactlyInAnyOrderElementsOf(
              model.values().stream().filter(v -> v.kind() == kind).toList());
    }
  }

  @Property
  void missingFromIsWhatThePartHoldsAndTheFilterLacksWithinTheBounds(
      @ForAll @Size(max = 40) List<@net.jqwik.api.From("values") SignedValue> offers,
      @ForAll @IntRange(min = 0, max = 3) int maskBits,
      @ForAll long mask,
      @ForAll @IntRange(min = 0, max = 100) int filtered,
      @ForAll @IntRange(min = 0, max = 50) int maxValues,
      @ForAll @IntRange(min = 0, max = 3_000) int maxBytes,
      @ForAll @IntRange(min = 0, max = 100) int start) {
    ValueStore store = new ValueStore(1000);
    offers.forEach(v -> store.offer(v, v.hash()));
    List<SignedValue> all = new ArrayList<>();
    for (ValueKind kind : KINDS) {
      all.addAll(store.values(kind));
    }
    // The store's insertion order, as missingFrom walks it.
    List<Hash> order = store.hashesIn(0, 0);
    all.sort(Comparator.comparing(v -> order.indexOf(v.hash())));

    // The requester holds some of them (the first `filtered` percent).
    BloomFilter filter = BloomFilter.forItems(all.size(), 0.1, mask);
    int held = all.size() * filtered / 100;
    Set<Hash> inFilter = new HashSet<>();
    for (SignedValue v : all.subList(0, held)) {
      filter.add(v.hash());
      inFilter.add(v.hash());
    }

    List<SignedValue> expected = new ArrayList<>();
    int bytes = 0;
    for (int i = 0; i < all.size() && expected.size() < maxValues; i++) {
      SignedValue v = all.get(Math.floorMod(start + i, all.size()));
      if (!ValueStore.inPart(v.hash(), maskBits, mask) || filter.mightContain(v.hash())) {
        continue;
      }
      int size = v.toProto().getSerializedSize() + 8;
      if (bytes + size > maxBytes) {
        break;
      }
      bytes += size;
      expected.add(v);
    }
    List<SignedValue> missing =
        store.missingFrom(filter, maskBits, mask, maxValues, maxBytes, start);
    assertThat(missing).containsExactlyElementsOf(expected);
    assertThat(missing).hasSizeLessThanOrEqualTo(maxValues);
    assertThat(missing).noneMatch(v -> inFilter.contains(v.hash()));
    assertThat(missing).allMatch(v -> ValueStore.inPart(v.hash(), maskBits, mask));
    assertThat(missing.stream().mapToInt(v -> v.toProto().getSerializedSize() + 8).sum())
        .isLessThanOrEqualTo(maxBytes);
    // With room for all, nothing the part holds and the filter lacks is left out.
    List<SignedValue> unbounded = store.missingFrom(filter, maskBits, mask, 1000, 1 << 20, start);
    assertThat(unbounded)
        .containsExactlyInAnyOrderElementsOf(
            all.stream()
                .filter(v -> ValueStore.inPart(v.hash(), maskBits, mask))
                .filter(v -> !filter.mightContain(v.hash()))
                .toList());
    assertThat(store.hashesIn(maskBits, mask))
        .containsExactlyInAnyOrderElementsOf(
            all.stream()
                .map(SignedValue::hash)
                .filter(h -> ValueStore.inPart(h, maskBits, mask))
                .toList());
  }

  @Property
  void thePartsOfOneMaskWidthSplitEveryHashExactlyOnce(
      @ForAll("hash") Hash hash, @ForAll @IntRange(min = 0, max = 8) int maskBits) {
    int parts = 0;
    for (long m = 0; m < (1L << maskBits); m++) {
      long mask = maskBits == 0 ? 0 : m << (64 - maskBits);
      if (ValueStore.inPart(hash, maskBits, mask)) {
        parts++;
      }
    }
    assertThat(parts).isEqualTo(1);
  }

  @Provide
  Arbitrary<Hash> hash() {
    return Arbitraries.bytes().array(byte[].class).ofSize(Hash.LENGTH).map(Hash::of);
  }
}
