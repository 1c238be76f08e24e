package io.ferry.blocks.dataset;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import io.ferry.blocks.cid.Cid;
import io.ferry.blocks.cid.Multicodec;
import io.ferry.core.ErrorCode;
import io.ferry.core.FerryException;
import io.ferry.core.Limits;
import java.util.Optional;
import org.junit.jupiter.api.Test;

class ManifestTest {
  private static final Cid TREE = Cid.hash(Multicodec.FERRY_TREE, new byte[] {1});
  private static final Cid ORIGINAL = Cid.hash(Multicodec.FERRY_TREE, new byte[] {2});

  private static Manifest plain(long size) {
    return new Manifest(TREE, size, 65536, "a.bin", "application/octet-stream", Optional.empty());
  }

  @Test
  void roundTripsAndItsCidIsTheHashOfItsEncoding() {
    Manifest m = plain(200_000);
    assertThat(Manifest.decode(m.encode())).isEqualTo(m);
    assertThat(m.cid()).isEqualTo(Cid.hash(Multicodec.FERRY_MANIFEST, m.encode()));
    assertThat(m.blocks()).isEqualTo(4);
    assertThat(m.blockLength(3)).isEqualTo(200_000 - 3 * 65536);
    assertThat(m.contentSize()).isEqualTo(200_000);
  }

  @Test
  void aProtectedManifestCoversDataPaddingAndParity() {
    // 10 blocks with 4+2: steps 3, 18 blocks in all, every one full.
    Protection p = new Protection(4, 2, ORIGINAL, 10 * 65536 - 5);
    assertThat(p.steps(65536)).isEqualTo(3);
    Manifest m = new Manifest(TREE, 18L * 65536, 65536, "x", "", Optional.of(p));
    assertThat(Manifest.decode(m.encode())).isEqualTo(m);
    assertThat(m.blocks()).isEqualTo(18);
    assertThat(m.contentBlocks()).isEqualTo(10);
    assertThat(m.blockLength(17)).isEqualTo(65536);
    assertThatThrownBy(() -> new Manifest(TREE, 17L * 65536, 65536, "x", "", Optional.of(p)))
        .isInstanceOf(FerryException.class)
        .hasMessageContaining("protected");
  }

  @Test
  void decodingAcceptsOnlyTheCanonicalEncoding() {
    byte[] good = plain(5).encode();
    byte[] unknownField = java.util.Arrays.copyOf(good, good.length + 2);
    unknownField[good.length] = (byte) (99 << 3); // field 99, varint
    unknownField[good.length + 1] = 1;
    assertThatThrownBy(() -> Manifest.decode(unknownField))
        .isInstanceOfSatisfying(
            FerryException.class, e -> assertThat(e.code()).isEqualTo(ErrorCode.INVALID_ENCODING));
    assertThatThrownBy(() -> Manifest.decode(new byte[] {(byte) 0xff}))
        .isInstanceOf(FerryException.class);
    assertThatThrownBy(() -> Manifest.decode(new byte[Limits.MAX_MANIFEST_BYTES + 1]))
        .isInstanceOf(FerryException.class)
        .hasMessageContaining("over");
  }

  @Test
  void fieldsOutOfBoundsAreRefused() {
    Cid raw = Cid.hash(Multicodec.RAW, new byte[] {1});
    assertThatThrownBy(() -> new Manifest(raw, 5, 65536, "", "", Optional.empty()))
        .isInstanceOf(FerryException.class);
    assertThatThrownBy(() -> plain(0)).isInstanceOf(FerryException.class);
    assertThatThrownBy(
            () -> new Manifest(TREE, 5, Limits.MAX_BLOCK_BYTES + 1, "", "", Optional.empty()))
        .isInstanceOf(FerryException.class);
    assertThatThrownBy(() -> new Manifest(TREE, 5, 1024, "a\nb", "", Optional.empty()))
        .isInstanceOf(FerryException.class);
    assertThatThrownBy(() -> new Manifest(TREE, 5, 1024, "a".repeat(256), "", Optional.empty()))
        .isInstanceOf(FerryException.class);
    assertThatThrownBy(
            () ->
                new Manifest(
                    TREE,
                    (long) Limits.MAX_DATASET_BLOCKS * 1024 + 1,
                    1024,
                    "",
                    "",
                    Optional.empty()))
        .isInstanceOf(FerryException.class);
    assertThatThrownBy(() -> new Protection(0, 2, ORIGINAL, 5)).isInstanceOf(FerryException.class);
    assertThatThrownBy(() -> new Protection(200, 57, ORIGINAL, 5))
        .isInstanceOf(FerryException.class);
  }
}
