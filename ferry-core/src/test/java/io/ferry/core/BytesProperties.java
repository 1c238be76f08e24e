package io.ferry.core;

import static org.assertj.core.api.Assertions.assertThat;

import java.util.Arrays;
import net.jqwik.api.ForAll;
import net.jqwik.api.Property;
import net.jqwik.api.constraints.Size;

class BytesProperties {
  @Property
  void compareToMatchesUnsignedLexicographicOrder(
      @ForAll @Size(max = 8) byte[] a, @ForAll @Size(max = 8) byte[] b) {
    int expected = Integer.signum(model(a, b));
    assertThat(Integer.signum(Bytes.of(a).compareTo(Bytes.of(b)))).isEqualTo(expected);
    assertThat(Integer.signum(Bytes.of(b).compareTo(Bytes.of(a)))).isEqualTo(-expected);
    assertThat(Integer.signum(Bytes.of(a).toHex().compareTo(Bytes.of(b).toHex())))
        .isEqualTo(expected);
  }

  @Property
  void aPrefixSortsBeforeEveryExtension(
      @ForAll @Size(max = 16) byte[] prefix, @ForAll @Size(min = 1, max = 16) byte[] suffix) {
    byte[] longer = Arrays.copyOf(prefix, prefix.length + suffix.length);
    System.arraycopy(suffix, 0, longer, prefix.length, suffix.length);
    assertThat(Bytes.of(prefix)).isLessThan(Bytes.of(longer));
    assertThat(Bytes.of(longer)).isGreaterThan(Bytes.of(prefix));
    assertThat(Bytes.of(prefix)).isNotEqualTo(Bytes.of(longer));
  }

  @Property
  void equalityFollowsContent(@ForAll @Size(max = 6) byte[] a, @ForAll @Size(max = 6) byte[] b) {
    boolean same = Arrays.equals(a, b);
    assertThat(Bytes.of(a).equals(Bytes.of(b))).isEqualTo(same);
    assertThat(Bytes.of(a).compareTo(Bytes.of(b)) == 0).isEqualTo(same);
    if (same) {
      assertThat(Bytes.of(a).hashCode()).isEqualTo(Bytes.of(b).hashCode());
    }
  }

  @Property
  void hexRoundTrip(@ForAll byte[] raw) {
    Bytes b = Bytes.of(raw);
    assertThat(Bytes.fromHex(b.toHex())).isEqualTo(b);
    assertThat(Bytes.fromHex(b.toHex()).toByteArray()).isEqualTo(raw);
    assertThat(b.length()).isEqualTo(raw.length);
  }

  /** Independent model: first differing byte as 0..255, else the shorter one first. */
  private static int model(byte[] a, byte[] b) {
    for (int i = 0; i < Math.min(a.length, b.length); i++) {
      if (a[i] != b[i]) {
        return (a[i] & 0xff) - (b[i] & 0xff);
      }
    }
    return a.length - b.length;
  }
}
