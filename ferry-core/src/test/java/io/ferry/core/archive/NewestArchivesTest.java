package io.ferry.core.archive;

import static org.assertj.core.api.Assertions.assertThat;

import io.ferry.core.Hash;
import java.util.List;
import java.util.function.Function;
import org.junit.jupiter.api.Test;

class NewestArchivesTest {
  private static ArchiveName full(long height) {
    return ArchiveName.full(height, hash(height));
  }

  private static ArchiveName inc(long base, long height) {
    return ArchiveName.incremental(base, height, hash(height));
  }

  private static Hash hash(long seed) {
    byte[] b = new byte[Hash.LENGTH];
    b[0] = (byte) seed;
    b[1] = (byte) (seed >> 8);
    return Hash.of(b);
  }

  @Test
  void newestFullIsTheHighest() {
    assertThat(
            NewestArchives.full(List.of(full(100), inc(200, 250), full(200)), Function.identity()))
        .contains(full(200));
    assertThat(NewestArchives.full(List.of(inc(100, 150)), Function.identity())).isEmpty();
  }

  @Test
  void newestIncrementalIsTheHighestOnTheNewestFull() {
    // An incremental on an older full may be higher; it does not apply to the newest full.
    List<ArchiveName> all =
        List.of(full(100), inc(100, 300), full(200), inc(200, 220), inc(200, 250));
    assertThat(NewestArchives.incremental(all, Function.identity())).contains(inc(200, 250));
  }

  @Test
  void noIncrementalWhenNoneBuildsOnTheNewestFull() {
    // Agave answers 404 here rather than offer an incremental on an older full.
    List<ArchiveName> all = List.of(full(100), inc(100, 300), full(200));
    assertThat(NewestArchives.incremental(all, Function.identity())).isEmpty();
    assertThat(NewestArchives.incremental(List.of(inc(100, 300)), Function.identity())).isEmpty();
  }

  @Test
  void theOrderOfTheListDoesNotMatter() {
    List<ArchiveName> all = List.of(inc(200, 250), full(100), inc(200, 220), full(200));
    assertThat(NewestArchives.incremental(all, Function.identity())).contains(inc(200, 250));
    assertThat(NewestArchives.incremental(all.reversed(), Function.identity()))
        .contains(inc(200, 250));
  }
}
