package io.ferry.core;

import static io.ferry.core.FerryAssertions.assertFerryError;
import static org.assertj.core.api.Assertions.assertThat;

import java.util.Optional;
import org.junit.jupiter.api.Test;

class KeyRangeTest {
  private static Bytes b(String hex) {
    return Bytes.fromHex(hex);
  }

  @Test
  void allContainsEverything() {
    assertThat(KeyRange.ALL.isUnbounded()).isTrue();
    assertThat(KeyRange.of(null, null)).isEqualTo(KeyRange.ALL);
    for (String k : new String[] {"", "00", "ff", "ffffffff", "7f80"}) {
      assertThat(KeyRange.ALL.contains(b(k))).as(k).isTrue();
      assertThat(KeyRange.ALL.endsBefore(b(k))).as(k).isFalse();
    }
  }

  @Test
  void absentStartIsUnboundedBelow() {
    KeyRange r = KeyRange.upTo(b("10"));
    assertThat(r.isUnbounded()).isFalse();
    assertThat(r.start()).isEmpty();
    assertThat(r.contains(Bytes.EMPTY)).isTrue();
    assertThat(r.contains(b("00"))).isTrue();
    assertThat(r.contains(b("10"))).isTrue();
    assertThat(r.contains(b("1000"))).isFalse(); // an extension sorts after its prefix
    assertThat(r.contains(b("11"))).isFalse();
    assertThat(r.endsBefore(b("10"))).isFalse();
    assertThat(r.endsBefore(b("1000"))).isTrue();
  }

  @Test
  void absentEndIsUnboundedAbove() {
    KeyRange r = KeyRange.from(b("10"));
    assertThat(r.isUnbounded()).isFalse();
    assertThat(r.end()).isEmpty();
    assertThat(r.contains(b("0fff"))).isFalse();
    assertThat(r.contains(b("10"))).isTrue();
    assertThat(r.contains(b("ffffff"))).isTrue();
    assertThat(r.endsBefore(b("ffffffff"))).isFalse();
  }

  @Test
  void boundsAreInclusive() {
    KeyRange r = KeyRange.of(b("02"), b("05"));
    assertThat(r.contains(b("01"))).isFalse();
    assertThat(r.contains(b("02"))).isTrue();
    assertThat(r.contains(b("0300"))).isTrue();
    assertThat(r.contains(b("05"))).isTrue();
    assertThat(r.contains(b("0500"))).isFalse();
    KeyRange single = KeyRange.of(b("07"), b("07"));
    assertThat(single.contains(b("07"))).isTrue();
    assertThat(single.contains(b("0700"))).isFalse();
    assertThat(single.contains(b("06ff"))).isFalse();
  }

  @Test
  void unsignedOrderIsUsed() {
    KeyRange r = KeyRange.of(b("7f"), b("80"));
    assertThat(r.contains(b("7fff"))).isTrue();
    assertThat(r.contains(b("ff"))).isFalse();
    assertThat(r.contains(b("00"))).isFalse();
  }

  @Test
  void startAfterEndIsInvalidArgument() {
    assertFerryError(() -> KeyRange.of(b("05"), b("04")), ErrorCode.INVALID_ARGUMENT)
        .contains("05")
        .contains("04")
        .contains("after");
    assertFerryError(() -> KeyRange.of(b("0500"), b("05")), ErrorCode.INVALID_ARGUMENT);
    assertFerryError(() -> KeyRange.of(b("80"), b("7f")), ErrorCode.INVALID_ARGUMENT);
    assertFerryError(
        () -> new KeyRange(Optional.of(b("01")), Optional.of(Bytes.EMPTY)),
        ErrorCode.INVALID_ARGUMENT);
  }

  @Test
  void toStringShowsBounds() {
    assertThat(KeyRange.ALL).hasToString("[-inf, +inf]");
    assertThat(KeyRange.of(b("01"), b("ff"))).hasToString("[01, ff]");
    assertThat(KeyRange.from(b("0a"))).hasToString("[0a, +inf]");
  }
}
