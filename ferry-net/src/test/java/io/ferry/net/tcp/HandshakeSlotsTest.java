package io.ferry.net.tcp;

import static org.assertj.core.api.Assertions.assertThat;

import java.net.InetAddress;
import java.util.ArrayList;
import java.util.List;
import org.junit.jupiter.api.Test;

class HandshakeSlotsTest {
  private final HandshakeSlots slots = new HandshakeSlots();

  private static InetAddress ip(String s) throws Exception {
    return InetAddress.getByName(s);
  }

  @Test
  void oneAddressGetsAtMostItsShareAndGetsItBackOnRelease() throws Exception {
    List<HandshakeSlots.Slot> taken = new ArrayList<>();
    for (int i = 0; i < HandshakeSlots.MAX_PER_ADDRESS; i++) {
      taken.add((HandshakeSlots.Slot) slots.take(ip("10.0.0.1")));
    }
    assertThat(slots.take(ip("10.0.0.1"))).isInstanceOf(HandshakeSlots.Refused.class);
    assertThat(slots.take(ip("10.0.0.2"))).isInstanceOf(HandshakeSlots.Slot.class);

    taken.get(0).release();
    taken.get(0).release(); // once only
    assertThat(slots.pending()).isEqualTo(HandshakeSlots.MAX_PER_ADDRESS);
    assertThat(slots.take(ip("10.0.0.1"))).isInstanceOf(HandshakeSlots.Slot.class);
    assertThat(slots.take(ip("10.0.0.1"))).isInstanceOf(HandshakeSlots.Refused.class);
  }

  @Test
  void anIpv6Slash64IsOneAddress() throws Exception {
    for (int i = 0; i < HandshakeSlots.MAX_PER_ADDRESS; i++) {
      assertThat(slots.take(ip("2001:db8:1:2::" + (i + 1))))
          .isInstanceOf(HandshakeSlots.Slot.class);
    }
    assertThat(slots.take(ip("2001:db8:1:2:ffff::9"))).isInstanceOf(HandshakeSlots.Refused.class);
    assertThat(slots.take(ip("2001:db8:1:3::1"))).isInstanceOf(HandshakeSlots.Slot.class);
  }

  @Test
  void strangersLeaveTheReserveToKnownAddresses() throws Exception {
    slots.remember(ip("192.168.0.1"));
    int strangers = HandshakeSlots.MAX_PENDING - HandshakeSlots.RESERVED_FOR_KNOWN;
    for (int i = 0; i < strangers; i++) {
      assertThat(slots.take(ip("10.1." + (i / 200) + "." + (i % 200 + 1))))
          .isInstanceOf(HandshakeSlots.Slot.class);
    }
    assertThat(slots.take(ip("10.2.0.1")))
        .isInstanceOfSatisfying(
            HandshakeSlots.Refused.class, r -> assertThat(r.reason()).contains("known peers"));
    assertThat(slots.take(ip("192.168.0.1"))).isInstanceOf(HandshakeSlots.Slot.class);
    assertThat(slots.pending()).isEqualTo(strangers + 1);
  }
}
