package io.ferry.blocks.cid;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import io.ferry.core.FerryException;
import net.jqwik.api.Arbitraries;
import net.jqwik.api.Arbitrary;
import net.jqwik.api.ForAll;
import net.jqwik.api.Property;
import net.jqwik.api.Provide;

class CidProperties {
  @Property
  void base32RoundTrips(@ForAll byte[] bytes) {
    String text = Multibase.encode(Multibase.Base.BASE32, bytes);
    assertThat(Multibase.decode(text)).isEqualTo(bytes);
  }

  @Property
  void everyCidRoundTripsThroughBothTexts(@ForAll byte[] content, @ForAll Multicodec codec) {
    Cid cid = Cid.hash(codec, content);
    assertThat(Cid.parse(cid.toString())).isEqualTo(cid);
    assertThat(Cid.parse(cid.toString(Multibase.Base.BASE32))).isEqualTo(cid);
    assertThat(cid.matches(content)).isTrue();
  }

  /** Changing any one character of a CID's text never parses to the same CID. */
  @Property
  void oneCharacterChangedIsAnotherCidOrAnError(
      @ForAll byte[] content, @ForAll("positions") int at, @ForAll("chars") char c) {
    Cid cid = Cid.hash(Multicodec.RAW, content);
    String text = cid.toString(Multibase.Base.BASE32);
    int i = 1 + at % (text.length() - 1);
    if (text.charAt(i) == c) {
      return;
    }
    String changed = text.substring(0, i) + c + text.substring(i + 1);
    try {
      assertThat(Cid.parse(changed)).isNotEqualTo(cid);
    } catch (FerryException expected) {
      // refused: fine
    }
  }

  @Property
  void varintsRoundTripAndRefuseTruncation(@ForAll("unsigned") long value) {
    java.io.ByteArrayOutputStream out = new java.io.ByteArrayOutputStream();
    Varint.write(out, value);
    byte[] bytes = out.toByteArray();
    assertThat(Varint.read(bytes, 0)).isEqualTo(new Varint.Read(value, bytes.length));
    byte[] cut = java.util.Arrays.copyOf(bytes, bytes.length - 1);
    assertThatThrownBy(() -> Varint.read(cut, 0)).isInstanceOf(FerryException.class);
  }

  @Provide
  Arbitrary<Integer> positions() {
    return Arbitraries.integers().between(0, 1000);
  }

  @Provide
  Arbitrary<Character> chars() {
    return Arbitraries.chars().with("abcdefghijklmnopqrstuvwxyz234567019ABZ");
  }

  @Provide
  Arbitrary<Long> unsigned() {
    return Arbitraries.longs().between(0, Long.MAX_VALUE);
  }
}
