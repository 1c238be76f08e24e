package io.ferry.net.tcp;

import java.net.Inet6Address;
import java.net.InetAddress;
import java.net.UnknownHostException;
import java.util.Arrays;
import java.util.HashMap;
import java.util.LinkedHashMap;
import java.util.Map;
import java.util.concurrent.atomic.AtomicBoolean;

/**
 * The slots for inbound connections still in their TLS handshake: work spent before the peer is
 * known, so it is bounded in three ways. At most {@link #MAX_PENDING} in all; at most {@link
 * #MAX_PER_ADDRESS} from one address (an IPv6 /64 counts as one address, since one host owns them);
 * and {@link #RESERVED_FOR_KNOWN} of them only for addresses that a peer has authenticated from
 * before, so strangers from many addresses cannot lock out the peers a node already knows. Outbound
 * dials never take a slot.
 *
 * <p>Thread-safe: channels of different event loops take and give back slots.
 */
final class HandshakeSlots {
  /** Inbound handshakes in progress at once. */
  static final int MAX_PENDING = 128;

  /** Inbound handshakes in progress at once from one address. */
  static final int MAX_PER_ADDRESS = 4;

  /** Slots only addresses a peer has authenticated from may take. */
  static final int RESERVED_FOR_KNOWN = 32;

  /** Addresses remembered as known; the least recently seen is forgotten first. */
  static final int MAX_KNOWN_ADDRESSES = 1024;

  private final Map<InetAddress, Integer> perAddress = new HashMap<>(); // guarded by this
  private final Map<InetAddress, Boolean> known =
      new LinkedHashMap<>(16, 0.75f, true) {
        @Override
        protected boolean removeEldestEntry(Map.Entry<InetAddress, Boolean> eldest) {
          return size() > MAX_KNOWN_ADDRESSES;
        }
      }; // guarded by this
  private int pending; // guarded by this
  private int strangers; // guarded by this

  /** What {@link #take} gives: a slot, or the reason there is none. */
  sealed interface Attempt permits Slot, Refused {}

  /** No slot: {@code reason} is for the log line. */
  record Refused(String reason) implements Attempt {}

  /** A slot taken; give it back once, when the handshake ends either way. */
  final class Slot implements Attempt {
    private final InetAddress group;
    private final boolean stranger;
    private final AtomicBoolean released = new AtomicBoolean();

    private Slot(InetAddress group, boolean stranger) {
      this.group = group;
      this.stranger = stranger;
    }

    void release() {
      if (released.compareAndSet(false, true)) {
        give(this);
      }
    }
  }

  /** Takes a slot for a connection from {@code remote}, if the limits allow. */
  synchronized Attempt take(InetAddress remote) {
    InetAddress group = group(remote);
    if (pending >= MAX_PENDING) {
      return new Refused(MAX_PENDING + " handshakes already pending");
    }
    int fromThere = perAddress.getOrDefault(group, 0);
    if (fromThere >= MAX_PER_ADDRESS) {
      return new Refused(MAX_PER_ADDRESS + " handshakes from this address already pending");
    }
    boolean stranger = !known.containsKey(group);
    if (stranger && strangers >= MAX_PENDING - RESERVED_FOR_KNOWN) {
      return new Refused(
          (MAX_PENDING - RESERVED_FOR_KNOWN)
              + " handshakes from unknown addresses already pending; the rest are kept for"
              + " known peers");
    }
    pending++;
    strangers += stranger ? 1 : 0;
    perAddress.put(group, fromThere + 1);
    return new Slot(group, stranger);
  }

  /** Remembers that a peer authenticated from {@code remote}: its address is known from now on. */
  synchronized void remember(InetAddress remote) {
    known.put(group(remote), Boolean.TRUE);
  }

  /** Inbound handshakes in progress. */
  synchronized int pending() {
    return pending;
  }

  private synchronized void give(Slot s) {
    pending--;
    strangers -= s.stranger ? 1 : 0;
    perAddress.computeIfPresent(s.group, (g, n) -> n > 1 ? n - 1 : null);
  }

  /** The address itself for IPv4; the /64 prefix for IPv6, which one host usually owns whole. */
  static InetAddress group(InetAddress a) {
    if (a instanceof Inet6Address) {
      byte[] prefix = Arrays.copyOf(Arrays.copyOf(a.getAddress(), 8), 16);
      try {
        return InetAddress.getByAddress(prefix);
      } catch (UnknownHostException e) {
        throw new IllegalStateException("16 bytes are an IPv6 address", e);
      }
    }
    return a;
  }
}
