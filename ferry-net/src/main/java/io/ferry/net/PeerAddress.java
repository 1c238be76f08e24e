package io.ferry.net;

import io.ferry.core.ErrorCode;
import io.ferry.core.FerryException;
import io.ferry.core.identity.NodeId;
import java.util.Optional;

/**
 * Where to reach a peer, and optionally who it must be: {@code [ID@]HOST:PORT}, with IPv6 hosts in
 * brackets. When the id is present the handshake refuses any other key; when absent the peer's key
 * is learned from the handshake (trust then comes from what it serves, for example a proof that
 * checks against a trusted root).
 *
 * @param expectedId the peer's node id when known
 * @param host a host name or IP literal, without brackets
 * @param port 1 to 65535
 */
public record PeerAddress(Optional<NodeId> expectedId, String host, int port) {

  public PeerAddress {
    if (host == null || host.isEmpty()) {
      throw new IllegalArgumentException("host is empty");
    }
    if (port < 1 || port > 65535) {
      throw new IllegalArgumentException("port out of range: " + port);
    }
  }

  public static PeerAddress of(String host, int port) {
    return new PeerAddress(Optional.empty(), host, port);
  }

  public static PeerAddress of(NodeId id, String host, int port) {
    return new PeerAddress(Optional.of(id), host, port);
  }

  /** The same address, requiring {@code id}. */
  public PeerAddress withId(NodeId id) {
    return new PeerAddress(Optional.of(id), host, port);
  }

  /**
   * Parses {@code [ID@]HOST:PORT}; the id is base58. Throws {@link FerryException} with {@link
   * ErrorCode#INVALID_ARGUMENT} naming what is wrong.
   */
  public static PeerAddress parse(String text) {
    String rest = text.strip();
    Optional<NodeId> id = Optional.empty();
    int at = rest.indexOf('@');
    if (at >= 0) {
      try {
        id = Optional.of(NodeId.parse(rest.substring(0, at)));
      } catch (RuntimeException e) {
        throw bad(text, "the part before @ is not a base58 node id");
      }
      rest = rest.substring(at + 1);
    }
    String host;
    String portText;
    if (rest.startsWith("[")) {
      int close = rest.indexOf(']');
      if (close < 0 || close + 1 >= rest.length() || rest.charAt(close + 1) != ':') {
        throw bad(text, "an IPv6 host must be written [ADDR]:PORT");
      }
      host = rest.substring(1, close);
      portText = rest.substring(close + 2);
    } else {
      int colon = rest.lastIndexOf(':');
      if (colon <= 0 || rest.indexOf(':') != colon) {
        throw bad(text, "expected HOST:PORT");
      }
      host = rest.substring(0, colon);
      portText = rest.substring(colon + 1);
    }
    int port;
    try {
      port = Integer.parseInt(portText);
    } catch (NumberFormatException e) {
      throw bad(text, "port is not a number");
    }
    if (host.isEmpty() || port < 1 || port > 65535) {
      throw bad(text, "host is empty or port is not in 1..65535");
    }
    return new PeerAddress(id, host, port);
  }

  private static FerryException bad(String text, String why) {
    return new FerryException(
        ErrorCode.INVALID_ARGUMENT,
        "bad peer address '" + text + "': " + why + " ([ID@]HOST:PORT)");
  }

  /** The host and port as {@code HOST:PORT}, brackets around IPv6 literals. */
  public String hostPort() {
    return (host.indexOf(':') >= 0 ? "[" + host + "]" : host) + ":" + port;
  }

  @Override
  public String toString() {
    return expectedId.map(id -> id + "@").orElse("") + hostPort();
  }
}
