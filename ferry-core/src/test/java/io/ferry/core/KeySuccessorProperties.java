package io.ferry.core;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import java.util.Arrays;
import java.util.Optional;
import java.util.TreeSet;
import net.jqwik.api.Arbitraries;
import net.jqwik.api.Arbitrary;
import net.jqwik.api.Example;
import net.jqwik.api.ForAll;
import net.jqwik.api.Property;
import net.jqwik.api.Provide;
import net.jqwik.api.Tuple;
import net.jqwik.api.constraints.IntRange;

/**
 * {@link KeyRange#successor} and {@link KeyRange#predecessor} against a model: the sorted set of
 * every key of at most {@code max} bytes, enumerated for a small {@code max}, where the successor
 * is the next element and the predecessor the previous one.
 */
class KeySuccessorProperties {
  /** Every key of at most 2 bytes: 1 + 256 + 65,536 of them. */
  private static final TreeSet<Bytes> UP_TO_2 = allKeys(2);

  private static final TreeSet<Bytes> UP_TO_1 = allKeys(1);

  private static TreeSet<Bytes> allKeys(int max) {
    TreeSet<Bytes> out = new TreeSet<>();
    out.add(Bytes.EMPTY);
    for (int b = 0; b < 256; b++) {
      out.add(Bytes.wrap(new byte[] {(byte) b}));
      if (max == 2) {
        for (int c = 0; c < 256; c++) {
          out.add(Bytes.wrap(new byte[] {(byte) b, (byte) c}));
        }
      }
    }
    return out;
  }

  /** Keys of at most {@code max} bytes, biased to the bytes where carries happen. */
  private static Arbitrary<Bytes> keys(int max) {
    return Arbitraries.frequencyOf(
            Tuple.of(3, Arbitraries.of((byte) 0x00, (byte) 0xfe, (byte) 0xff)),
            Tuple.of(1, Arbitraries.bytes()))
        .array(byte[].class)
        .ofMaxSize(max)
        .map(Bytes::of);
  }

  @Provide
  Arbitrary<Bytes> upTo2() {
    return keys(2);
  }

  @Provide
  Arbitrary<Bytes> upTo64() {
    return keys(64);
  }

  @Property
  void successorIsTheNextKeyOfTheModel(@ForAll("upTo2") Bytes key) {
    assertThat(KeyRange.successor(key, 2)).isEqualTo(Optional.ofNullable(UP_TO_2.higher(key)));
    assertThat(KeyRange.predecessor(key, 2)).isEqualTo(Optional.ofNullable(UP_TO_2.lower(key)));
    if (key.length() <= 1) {
      assertThat(KeyRange.successor(key, 1)).isEqualTo(Optional.ofNullable(UP_TO_1.higher(key)));
      assertThat(KeyRange.predecessor(key, 1)).isEqualTo(Optional.ofNullable(UP_TO_1.lower(key)));
    }
  }

  @Example
  void everyKeyOfAtMostTwoBytesHasTheModelsSuccessor() {
    for (Bytes key : UP_TO_2) {
      assertThat(KeyRange.successor(key, 2)).isEqualTo(Optional.ofNullable(UP_TO_2.higher(key)));
      assertThat(KeyRange.predecessor(key, 2)).isEqualTo(Optional.ofNullable(UP_TO_2.lower(key)));
    }
  }

  /** For any bound: the successor is greater, fits, and the predecessor undoes it. */
  @Property
  void successorAndPredecessorAreInverse(
      @ForAll("upTo64") Bytes key, @ForAll @IntRange(min = 0, max = 64) int slack) {
    int max = key.length() + slack;
    Optional<Bytes> next = KeyRange.successor(key, max);
    boolean largest = key.length() == max && allFf(key);
    assertThat(next.isEmpty()).isEqualTo(largest);
    next.ifPresent(
        n -> {
          assertThat(n).isGreaterThan(key);
          assertThat(n.length()).isLessThanOrEqualTo(max);
          assertThat(KeyRange.predecessor(n, max)).contains(key);
        });
    KeyRange.predecessor(key, max)
        .ifPresent(
            p -> {
              assertThat(p).isLessThan(key);
              assertThat(KeyRange.successor(p, max)).contains(key);
            });
  }

  /** The keys of the range after {@code key} are the model's keys above it in the range. */
  @Property
  void afterIsTheRestOfTheRange(
      @ForAll("upTo2") Bytes key, @ForAll("upTo2") Bytes a, @ForAll("upTo2") Bytes b) {
    KeyRange range = a.compareTo(b) <= 0 ? KeyRange.of(a, b) : KeyRange.of(b, a);
    // Both are intervals of the model's keys, so their ends tell them apart.
    Bytes lo = UP_TO_2.higher(key);
    if (lo != null && range.start().isPresent() && lo.compareTo(range.start().get()) < 0) {
      lo = UP_TO_2.ceiling(range.start().get());
    }
    Bytes hi = range.end().map(UP_TO_2::floor).orElse(UP_TO_2.last());
    Bytes[] expected =
        lo == null || hi == null || lo.compareTo(hi) > 0 ? new Bytes[2] : new Bytes[] {lo, hi};
    Bytes[] got = range.after(key).map(KeySuccessorProperties::ends).orElse(new Bytes[2]);
    assertThat(got).isEqualTo(expected);
  }

  /** The first and last model key in {@code r}, or nulls if it holds none. */
  private static Bytes[] ends(KeyRange r) {
    Bytes first = r.start().map(UP_TO_2::ceiling).orElse(UP_TO_2.first());
    Bytes last = r.end().map(UP_TO_2::floor).orElse(UP_TO_2.last());
    if (first == null || last == null || first.compareTo(last) > 0) {
      return new Bytes[2];
    }
    return new Bytes[] {first, last};
  }

  @Example
  void theLargestKeyHasNoSuccessorAndAMaximalKeyIsIncremented() {
    byte[] largest = new byte[Limits.MAX_KEY_BYTES];
    Arrays.fill(largest, (byte) 0xff);
    assertThat(KeyRange.successor(Bytes.wrap(largest))).isEmpty();
    assertThat(KeyRange.from(Bytes.fromHex("00")).after(Bytes.wrap(largest))).isEmpty();

    byte[] maximal = largest.clone();
    maximal[0] = 0x41;
    assertThat(KeyRange.successor(Bytes.wrap(maximal))).contains(Bytes.fromHex("42"));
    assertThat(KeyRange.successor(Bytes.fromHex("41"))).contains(Bytes.fromHex("4100"));
    assertThatThrownBy(() -> KeyRange.successor(Bytes.wrap(new byte[Limits.MAX_KEY_BYTES + 1])))
        .isInstanceOfSatisfying(
            FerryException.class, e -> assertThat(e.code()).isEqualTo(ErrorCode.LIMIT_EXCEEDED));
  }

  private static boolean allFf(Bytes key) {
    for (byte x : key.unsafeArray()) {
      if (x != (byte) 0xff) {
        return false;
      }
    }
    return true;
  }
}
