package io.ferry.bench;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import java.nio.charset.StandardCharsets;
import java.security.MessageDigest;
import java.util.HexFormat;
import org.junit.jupiter.api.Test;

class InfoHashTest {
  private static final String INFO =
      "d6:lengthi5e4:name8:data.bin12:piece lengthi262144e6:pieces20:aaaaaaaaaaaaaaaaaaaae";

  @Test
  void hashesTheInfoValueByteForByte() throws Exception {
    String torrent = "d8:announce27:http://127.0.0.1:1/announce4:info" + INFO + "e";
    assertThat(InfoHash.of(bytes(torrent))).isEqualTo(sha1(INFO));
    assertThat(InfoHash.hex(bytes(torrent))).isEqualTo(HexFormat.of().formatHex(sha1(INFO)));
  }

  @Test
  void findsTheKeyNotTheSameBytesInsideAnEarlierValue() throws Exception {
    // The comment holds "4:info" followed by a valid value: a search for the bytes would hash it.
    String torrent = "d7:comment16:4:infod1:ai1ee!!13:creation datei1e4:info" + INFO + "4:zzzzi0ee";
    assertThat(InfoHash.of(bytes(torrent))).isEqualTo(sha1(INFO));
  }

  @Test
  void refusesWhatIsNotATorrent() {
    assertThatThrownBy(() -> InfoHash.of(bytes(""))).isInstanceOf(IllegalArgumentException.class);
    assertThatThrownBy(() -> InfoHash.of(bytes("d8:announce3:urle")))
        .hasMessageContaining("no info");
    assertThatThrownBy(() -> InfoHash.of(bytes("d4:infod6:lengthi5e")))
        .isInstanceOf(IllegalArgumentException.class);
    assertThatThrownBy(() -> InfoHash.of(bytes("d4:info99:short")))
        .hasMessageContaining("past the end");
    assertThatThrownBy(() -> InfoHash.of(bytes("di1e4:infoe")))
        .hasMessageContaining("not a string");
  }

  private static byte[] bytes(String s) {
    return s.getBytes(StandardCharsets.ISO_8859_1);
  }

  private static byte[] sha1(String s) throws Exception {
    return MessageDigest.getInstance("SHA-1").digest(bytes(s));
  }
}
