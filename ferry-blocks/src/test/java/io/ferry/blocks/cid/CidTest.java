package io.ferry.blocks.cid;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import io.ferry.core.ErrorCode;
import io.ferry.core.FerryException;
import java.nio.charset.StandardCharsets;
import org.junit.jupiter.api.Test;

class CidTest {
  private static final byte[] HELLO = "hello world".getBytes(StandardCharsets.US_ASCII);

  /** IPFS's published raw-leaf CIDv1 of "hello world": our data blocks interoperate. */
  @Test
  void aRawBlockHasTheCidIpfsGivesIt() {
    Cid cid = Cid.hash(Multicodec.RAW, HELLO);
    assertThat(cid.toString(Multibase.Base.BASE32))
        .isEqualTo("bafkreifzjut3te2nhyekklss27nh3k72ysco7y32koao5eei66wof36n5e");
    assertThat(Cid.parse("bafkreifzjut3te2nhyekklss27nh3k72ysco7y32koao5eei66wof36n5e"))
        .isEqualTo(cid);
    assertThat(cid.matches(HELLO)).isTrue();
    assertThat(cid.matches("hello world\n".getBytes(StandardCharsets.US_ASCII))).isFalse();
  }

  /** The multibase spec's test vectors (tests/test1.csv): "yes mani !". */
  @Test
  void multibaseVectors() {
    byte[] yes = "yes mani !".getBytes(StandardCharsets.US_ASCII);
    assertThat(Multibase.encode(Multibase.Base.BASE32, yes)).isEqualTo("bpfsxgidnmfxgsibb");
    assertThat(Multibase.encode(Multibase.Base.BASE58BTC, yes)).isEqualTo("z7paNL19xttacUY");
    assertThat(Multibase.decode("bpfsxgidnmfxgsibb")).isEqualTo(yes);
    assertThat(Multibase.decode("z7paNL19xttacUY")).isEqualTo(yes);
    byte[] leadingZero = "\0yes mani !".getBytes(StandardCharsets.US_ASCII);
    assertThat(Multibase.encode(Multibase.Base.BASE32, leadingZero))
        .isEqualTo("bab4wk4zanvqw42jaee");
  }

  @Test
  void textRoundTripsInBothBasesAndPrintsBase58LikeCodex() {
    Cid cid = Cid.hash(Multicodec.FERRY_MANIFEST, HELLO);
    assertThat(cid.toString()).startsWith("z");
    assertThat(Cid.parse(cid.toString())).isEqualTo(cid);
    assertThat(Cid.parse(cid.toString(Multibase.Base.BASE32))).isEqualTo(cid);
    assertThat(Cid.fromBytes(cid.toBytes())).isEqualTo(cid);
    assertThat(cid).isNotEqualTo(Cid.hash(Multicodec.FERRY_TREE, HELLO));
  }

  @Test
  void parsingIsStrict() {
    String good = Cid.hash(Multicodec.RAW, HELLO).toString(Multibase.Base.BASE32);
    for (String bad :
        new String[] {
          "",
          "b",
          good.toUpperCase(),
          "B" + good.substring(1),
          "f" + good.substring(1),
          good + "a",
          good.substring(0, good.length() - 1),
          good.replace('a', '0'),
          good + "=",
          "z0OIl",
          "Qmbad"
        }) {
      assertThatThrownBy(() -> Cid.parse(bad))
          .as(bad)
          .isInstanceOfSatisfying(
              FerryException.class,
              e -> assertThat(e.code()).isEqualTo(ErrorCode.INVALID_ENCODING));
    }
  }

  @Test
  void aNonCanonicalLastCharacterIsRefused() {
    // "bab4wk4zanvqw42jaee": its last character carries 2 unused bits; setting one must fail.
    assertThatThrownBy(() -> Multibase.decode("bab4wk4zanvqw42jaef"))
        .isInstanceOf(FerryException.class)
        .hasMessageContaining("canonical");
  }

  @Test
  void binaryFormIsStrict() {
    byte[] good = Cid.hash(Multicodec.RAW, HELLO).toBytes();
    byte[] v0 = good.clone();
    v0[0] = 0;
    byte[] otherHash = good.clone();
    otherHash[2] = 0x13; // sha2-512
    byte[] shortDigest = good.clone();
    shortDigest[3] = 31;
    byte[] unknownCodec = good.clone();
    unknownCodec[1] = 0x70; // dag-pb: not used here
    byte[] longer = java.util.Arrays.copyOf(good, good.length + 1);
    byte[] nonMinimal = new byte[good.length + 1];
    nonMinimal[0] = (byte) 0x81; // version 1 as two bytes: 0x81 0x00
    nonMinimal[1] = 0;
    System.arraycopy(good, 1, nonMinimal, 2, good.length - 1);
    for (byte[] bad :
        new byte[][] {v0, otherHash, shortDigest, unknownCodec, longer, nonMinimal, new byte[0]}) {
      assertThatThrownBy(() -> Cid.fromBytes(bad)).isInstanceOf(FerryException.class);
    }
  }

  @Test
  void parseWithACodecChecksWhatItNames() {
    Cid raw = Cid.hash(Multicodec.RAW, HELLO);
    assertThat(Cid.parse(raw.toString(), Multicodec.RAW)).isEqualTo(raw);
    assertThatThrownBy(() -> Cid.parse(raw.toString(), Multicodec.FERRY_MANIFEST))
        .isInstanceOfSatisfying(
            FerryException.class, e -> assertThat(e.code()).isEqualTo(ErrorCode.INVALID_ARGUMENT));
  }
}
