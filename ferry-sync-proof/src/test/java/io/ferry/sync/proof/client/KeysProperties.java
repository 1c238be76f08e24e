package io.ferry.sync.proof.client;

import static org.assertj.core.api.Assertions.assertThat;

import io.ferry.core.Bytes;
import io.ferry.core.Hash;
import io.ferry.core.KeyRange;
import java.util.ArrayList;
import java.util.Collections;
import java.util.List;
import java.util.Optional;
import java.util.Random;
import net.jqwik.api.Arbitraries;
import net.jqwik.api.Arbitrary;
import net.jqwik.api.Combinators;
import net.jqwik.api.ForAll;
import net.jqwik.api.Property;
import net.jqwik.api.Provide;
import net.jqwik.api.constraints.IntRange;

/** Key arithmetic: splits partition their range, gaps are the complement of what is done. */
class KeysProperties {

  @Provide
  Arbitrary<Bytes> keys() {
    Arbitrary<Byte> b =
        Arbitraries.of((byte) 0, (byte) 1, (byte) 0x7f, (byte) 0x80, (byte) 0xff)
            .injectDuplicates(0.1);
    return Arbitraries.oneOf(b, Arbitraries.bytes())
        .list()
        .ofMaxSize(5)
        .map(
            l -> {
              byte[] a = new byte[l.size()];
              for (int i = 0; i < a.length; i++) {
                a[i] = l.get(i);
              }
              return Bytes.wrap(a);
            });
  }

  @Provide
  Arbitrary<KeyRange> ranges() {
    Arbitrary<Optional<Bytes>> bound = keys().optional(0.7);
    return Combinators.combine(bound, bound)
        .as(
            (a, b) -> {
              if (a.isPresent() && b.isPresent() && a.get().compareTo(b.get()) > 0) {
                return new KeyRange(b, a);
              }
              return new KeyRange(a, b);
            });
  }

  @Property(tries = 3000)
  void splitPiecesPartitionTheRange(
      @ForAll("ranges") KeyRange range, @ForAll @IntRange(min = 1, max = 17) int parts) {
    List<KeyRange> pieces = Keys.split(range, parts);
    assertPartition(range, pieces);
    assertThat(pieces.size()).isBetween(1, parts);
  }

  @Property(tries = 3000)
  void keysFallInExactlyOnePiece(
      @ForAll("ranges") KeyRange range,
      @ForAll @IntRange(min = 1, max = 9) int parts,
      @ForAll("keys") Bytes key) {
    List<KeyRange> pieces = Keys.split(range, parts);
    long holding = pieces.stream().filter(p -> p.contains(key)).count();
    assertThat(holding).isEqualTo(range.contains(key) ? 1 : 0);
  }

  @Property(tries = 2000)
  void gapsAreTheComplementOfTheCompletedRanges(
      @ForAll @IntRange(min = 1, max = 24) int parts, @ForAll long seed) {
    Random r = new Random(seed);
    Hash[] roots = {root(1), root(2)};
    // Done ranges are pieces of a split, as in a sync, plus partial answers cut after a key.
    List<KeyRange> pieces = new ArrayList<>();
    for (KeyRange p : Keys.split(KeyRange.ALL, parts)) {
      Optional<KeyRange[]> halves = r.nextBoolean() ? Keys.halve(p) : Optional.empty();
      if (halves.isPresent()) {
        pieces.add(halves.get()[0]);
        pieces.add(halves.get()[1]);
      } else {
        pieces.add(p);
      }
    }
    List<CompletedRange> done = new ArrayList<>();
    for (KeyRange p : pieces) {
      if (r.nextInt(3) != 0) {
        done.add(new CompletedRange(p, roots[r.nextInt(2)]));
      }
    }
    Collections.shuffle(done, r);
    CompletedRanges completed = new CompletedRanges();
    done.forEach(completed::add);

    List<KeyRange> all = new ArrayList<>(completed.gaps());
    List<CompletedRange> list = completed.list();
    list.forEach(c -> all.add(c.range()));
    all.sort(
        (a, b) ->
            a.start().isEmpty()
                ? -1
                : b.start().isEmpty() ? 1 : a.start().get().compareTo(b.start().get()));
    assertPartition(KeyRange.ALL, all);
    // Neighbours at the same root are merged.
    for (int i = 0; i + 1 < list.size(); i++) {
      if (Keys.adjacent(list.get(i).range(), list.get(i + 1).range())) {
        assertThat(list.get(i).root()).isNotEqualTo(list.get(i + 1).root());
      }
    }
    assertThat(completed.coversAll(roots[0]) || completed.coversAll(roots[1]))
        .isEqualTo(completed.gaps().isEmpty() && list.size() == 1);
  }

  private static void assertPartition(KeyRange range, List<KeyRange> pieces) {
    assertThat(pieces).isNotEmpty();
    assertThat(pieces.get(0).start()).isEqualTo(range.start());
    assertThat(pieces.get(pieces.size() - 1).end()).isEqualTo(range.end());
    for (int i = 0; i + 1 < pieces.size(); i++) {
      assertThat(Keys.adjacent(pieces.get(i), pieces.get(i + 1)))
          .as("%s then %s", pieces.get(i), pieces.get(i + 1))
          .isTrue();
    }
  }

  private static Hash root(int n) {
    byte[] b = new byte[Hash.LENGTH];
    b[0] = (byte) n;
    return Hash.of(b);
  }
}
