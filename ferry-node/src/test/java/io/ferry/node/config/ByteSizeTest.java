package io.ferry.node.config;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import io.ferry.core.FerryException;
import org.junit.jupiter.api.Test;

class ByteSizeTest {
  @Test
  void sizesReadAsOperatorsWriteThem() {
    assertThat(ByteSize.parse("1073741824", "q")).isEqualTo(1L << 30);
    assertThat(ByteSize.parse("16GiB", "q")).isEqualTo(16L << 30);
    assertThat(ByteSize.parse(" 512 MiB ", "q")).isEqualTo(512L << 20);
    assertThat(ByteSize.parse("10GB", "q")).isEqualTo(10_000_000_000L);
    assertThat(ByteSize.parse("1.5KiB", "q")).isEqualTo(1536);
    assertThat(ByteSize.parse("7b", "q")).isEqualTo(7);
  }

  @Test
  void anythingElseIsRefusedNamingTheSetting() {
    for (String bad : new String[] {"", "GiB", "-1", "1 XB", "99999999999TiB", "1.2.3"}) {
      assertThatThrownBy(() -> ByteSize.parse(bad, "blocks-quota"))
          .isInstanceOf(FerryException.class)
          .hasMessageContaining("blocks-quota");
    }
  }

  @Test
  void theQuotaComesFromTomlAndDefaultsTo16GiB() {
    NodeSettings s = new NodeSettings();
    s.data = "/tmp/x";
    assertThat(s.toConfig().blocksQuota()).isEqualTo(16L << 30);
    s.blocksQuota = "1GiB";
    assertThat(s.toConfig().blocksQuota()).isEqualTo(1L << 30);
  }
}
