package io.ferry.gossip.value;

import static org.assertj.core.api.Assertions.assertThat;

import io.ferry.core.Bytes;
import io.ferry.core.Limits;
import org.junit.jupiter.api.Test;

class ContactInfoTest {

  private static Result<ContactInfo> decode(ContactInfo c) {
    return ContactInfo.decode(c.encode());
  }

  private static String refusal(ContactInfo c) {
    return switch (decode(c)) {
      case Result.Refused<ContactInfo> r -> r.reason();
      case Result.Ok<ContactInfo> ok -> throw new AssertionError("taken: " + ok.value());
    };
  }

  @Test
  void aContactInfoSurvivesItsEncoding() {
    ContactInfo c = new ContactInfo("10.0.0.1:9000", "[::1]:8899", "test", "1.2.3");
    assertThat(decode(c)).isEqualTo(Result.ok(c));
    assertThat(c.httpAddress()).contains("[::1]:8899");
    ContactInfo noHttp = new ContactInfo("host:1", "", "test", "");
    assertThat(decode(noHttp)).isEqualTo(Result.ok(noHttp));
    assertThat(noHttp.httpAddress()).isEmpty();
  }

  @Test
  void eachFieldIsAtMostTheLimit() {
    int max = Limits.MAX_CONTACT_FIELD_CHARS;
    String host = "h".repeat(max - ":65535".length()) + ":65535";
    ContactInfo atLimit = new ContactInfo(host, host, "n".repeat(max), "v".repeat(max));
    assertThat(decode(atLimit)).isInstanceOf(Result.Ok.class);

    String longHost = "h" + host;
    assertThat(refusal(new ContactInfo(longHost, "", "test", ""))).contains("256 characters");
    assertThat(refusal(new ContactInfo("h:1", longHost, "test", ""))).contains("256 characters");
    assertThat(refusal(new ContactInfo("h:1", "", "n".repeat(max + 1), "")))
        .contains("256 characters");
    assertThat(refusal(new ContactInfo("h:1", "", "test", "v".repeat(max + 1))))
        .contains("256 characters");
  }

  @Test
  void aContactInfoNeedsANetwork() {
    assertThat(refusal(new ContactInfo("h:1", "", "", "1"))).contains("network");
  }

  @Test
  void addressesAreHostColonPort() {
    for (String good :
        new String[] {"h:1", "host.example:65535", "10.0.0.1:9000", "[::1]:80", "[fe80::1]:1"}) {
      assertThat(ContactInfo.isHostPort(good)).as(good).isTrue();
    }
    for (String bad :
        new String[] {
          "",
          "host",
          ":80",
          "host:",
          "host:0",
          "host:65536",
          "host:123456",
          "host:8x",
          "host:+80",
          "host:-1",
          "::1:80",
          "[::1:80",
          "a b:80",
          "a/b:80",
          "tab\t:80"
        }) {
      assertThat(ContactInfo.isHostPort(bad)).as(bad).isFalse();
    }
    assertThat(refusal(new ContactInfo("nohost", "", "test", ""))).contains("p2p");
    assertThat(refusal(new ContactInfo("h:1", "h:0", "test", ""))).contains("http");
  }

  @Test
  void bytesThatAreNoContactInfoAreRefused() {
    assertThat(ContactInfo.decode(Bytes.wrap(new byte[] {(byte) 0xff, 0x7f})))
        .isInstanceOf(Result.Refused.class);
  }
}
