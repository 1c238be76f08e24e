package io.ferry.gossip.value;

import com.google.protobuf.InvalidProtocolBufferException;
import io.ferry.core.Bytes;
import io.ferry.core.Limits;
import java.util.Optional;

/**
 * Where a node is reached and what it runs: the payload of a {@link ValueKind#CONTACT_INFO} value.
 *
 * @param p2p {@code host:port} of its peer protocol
 * @param http {@code host:port} of its HTTP server, or empty when it serves none
 * @param network the network it belongs to
 * @param version its software version
 */
public record ContactInfo(String p2p, String http, String network, String version) {

  public Bytes encode() {
    return Bytes.wrap(
        io.ferry.wire.v1.ContactInfo.newBuilder()
            .setP2P(p2p)
            .setHttp(http)
            .setNetwork(network)
            .setVersion(version)
            .build()
            .toByteArray());
  }

  /**
   * The contact info {@code payload} holds, or why it is not one: fields over {@link
   * Limits#MAX_CONTACT_FIELD_CHARS}, an address that is not {@code host:port}, an empty network.
   */
  public static Result<ContactInfo> decode(Bytes payload) {
    io.ferry.wire.v1.ContactInfo proto;
    try {
      proto = io.ferry.wire.v1.ContactInfo.parseFrom(payload.unsafeArray());
    } catch (InvalidProtocolBufferException e) {
      return Result.refused("a contact info that does not decode");
    }
    for (String field :
        new String[] {proto.getP2P(), proto.getHttp(), proto.getNetwork(), proto.getVersion()}) {
      if (field.length() > Limits.MAX_CONTACT_FIELD_CHARS) {
        return Result.refused("a contact info field of " + field.length() + " characters");
      }
    }
    if (proto.getNetwork().isEmpty()) {
      return Result.refused("a contact info without a network");
    }
    if (!isHostPort(proto.getP2P())) {
      return Result.refused("a contact info whose p2p address is not host:port");
    }
    if (!proto.getHttp().isEmpty() && !isHostPort(proto.getHttp())) {
      return Result.refused("a contact info whose http address is not host:port");
    }
    return Result.ok(
        new ContactInfo(proto.getP2P(), proto.getHttp(), proto.getNetwork(), proto.getVersion()));
  }

  /** The HTTP address, when the node serves one. */
  public Optional<String> httpAddress() {
    return http.isEmpty() ? Optional.empty() : Optional.of(http);
  }

  /** {@code host:port}, port 1–65535, host non-empty (an IPv6 host in brackets). */
  static boolean isHostPort(String s) {
    int colon = s.lastIndexOf(':');
    if (colon <= 0 || colon == s.length() - 1) {
      return false;
    }
    String host = s.substring(0, colon);
    if (host.contains(":") && !(host.startsWith("[") && host.endsWith("]"))) {
      return false;
    }
    String port = s.substring(colon + 1);
    if (port.length() > 5 || !port.chars().allMatch(c -> c >= '0' && c <= '9')) {
      return false;
    }
    int p = Integer.parseInt(port);
    return p >= 1 && p <= 65_535 && host.chars().noneMatch(c -> c <= ' ' || c == '/');
  }
}
