package io.ferry.core;

import static org.assertj.core.api.Assertions.assertThat;

import java.util.Optional;
import java.util.TreeSet;
import java.util.stream.Collectors;
import net.jqwik.api.Arbitraries;
import net.jqwik.api.Arbitrary;
import net.jqwik.api.ForAll;
import net.jqwik.api.Property;
import net.jqwik.api.Provide;

class KeyRangeProperties {
  /** Short keys over a small alphabet, so that bounds, prefixes and equal keys are common. */
  @Provide
  Arbitrary<Bytes> keys() {
    return Arbitraries.of((byte) 0x00, (byte) 0x01, (byte) 0x7f, (byte) 0x80, (byte) 0xff)
        .array(byte[].class)
        .ofMaxSize(3)
        .map(Bytes::of);
  }

  @Provide
  Arbitrary<Optional<Bytes>> bounds() {
    return keys().optional(0.75);
  }

  @Property
  void containsMatchesModel(
      @ForAll("bounds") Optional<Bytes> a,
      @ForAll("bounds") Optional<Bytes> b,
      @ForAll("keys") Bytes key) {
    Optional<Bytes> start = a;
    Optional<Bytes> end = b;
    if (a.isPresent() && b.isPresent() && a.get().compareTo(b.get()) > 0) {
      start = b;
      end = a;
    }
    KeyRange range = new KeyRange(start, end);
    // Model: lowercase hex strings compare exactly like unsigned byte strings.
    String k = key.toHex();
    boolean expected =
        start.map(s -> k.compareTo(s.toHex()) >= 0).orElse(true)
            && end.map(e -> k.compareTo(e.toHex()) <= 0).orElse(true);
    assertThat(range.contains(key)).isEqualTo(expected);
    assertThat(range.isUnbounded()).isEqualTo(start.isEmpty() && end.isEmpty());
  }

  @Property
  void rangeSelectsTheSameKeysAsASortedSet(
      @ForAll("bounds") Optional<Bytes> a,
      @ForAll("bounds") Optional<Bytes> b,
      @ForAll("keySets") TreeSet<String> hexKeys) {
    if (a.isPresent() && b.isPresent() && a.get().compareTo(b.get()) > 0) {
      return; // covered by the invalid-range property
    }
    KeyRange range = new KeyRange(a, b);
    TreeSet<String> expected = new TreeSet<>(hexKeys);
    a.ifPresent(s -> expected.headSet(s.toHex(), false).clear());
    b.ifPresent(e -> expected.tailSet(e.toHex(), false).clear());
    TreeSet<String> actual =
        hexKeys.stream()
            .filter(h -> range.contains(Bytes.fromHex(h)))
            .collect(Collectors.toCollection(TreeSet::new));
    assertThat(actual).isEqualTo(expected);
  }

  @Provide
  Arbitrary<TreeSet<String>> keySets() {
    return keys().map(Bytes::toHex).set().ofMaxSize(20).map(TreeSet::new);
  }

  @Property
  void startAfterEndIsRejected(@ForAll("keys") Bytes a, @ForAll("keys") Bytes b) {
    if (a.compareTo(b) > 0) {
      FerryAssertions.assertFerryError(() -> KeyRange.of(a, b), ErrorCode.INVALID_ARGUMENT);
    } else {
      KeyRange r = KeyRange.of(a, b);
      assertThat(r.contains(a)).isTrue();
      assertThat(r.contains(b)).isTrue();
    }
  }

  @Property
  void endsBeforeMeansNoKeyFromThereIsContained(
      @ForAll("bounds") Optional<Bytes> end,
      @ForAll("keys") Bytes key,
      @ForAll("keys") Bytes later) {
    KeyRange range = new KeyRange(Optional.empty(), end);
    boolean expected = end.isPresent() && end.get().compareTo(key) < 0;
    assertThat(range.endsBefore(key)).isEqualTo(expected);
    if (range.endsBefore(key)) {
      assertThat(range.contains(key)).isFalse();
      if (later.compareTo(key) >= 0) {
        assertThat(range.contains(later)).isFalse();
      }
    }
  }
}
