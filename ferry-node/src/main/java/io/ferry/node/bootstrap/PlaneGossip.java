package io.ferry.node.bootstrap;

import io.ferry.core.Hash;
import io.ferry.core.archive.SnapshotHashes;
import io.ferry.core.identity.NodeId;
import io.ferry.gossip.plane.GossipPlane;
import io.ferry.gossip.value.ContactInfo;
import io.ferry.gossip.value.Result;
import io.ferry.gossip.value.SignedValue;
import io.ferry.gossip.value.SnapshotHashesCodec;
import io.ferry.gossip.value.ValueKind;
import java.util.ArrayList;
import java.util.List;
import java.util.Optional;
import java.util.function.LongFunction;

/**
 * The bootstrap's view of a {@link GossipPlane}: every other node's signed {@code SNAPSHOT_HASHES}
 * value, paired with the HTTP address of its {@code CONTACT_INFO} value. It reads only the table,
 * so it works whether the node's peers came from {@code --peer} or from discovery. Thread-safe.
 */
public final class PlaneGossip implements Bootstrap.Gossip {
  private final GossipPlane plane;
  private final LongFunction<Optional<Hash>> trustedRootAt;

  /**
   * @param trustedRootAt the root a trusted head names at a height, when the node knows one
   */
  public PlaneGossip(GossipPlane plane, LongFunction<Optional<Hash>> trustedRootAt) {
    this.plane = plane;
    this.trustedRootAt = trustedRootAt;
  }

  @Override
  public List<Advert> adverts() {
    NodeId self = plane.localId();
    List<Advert> out = new ArrayList<>();
    for (SignedValue v : plane.values(ValueKind.SNAPSHOT_HASHES)) {
      if (v.origin().equals(self)
          || !(SnapshotHashesCodec.decode(v.payload()) instanceof Result.Ok<SnapshotHashes> ok)) {
        continue;
      }
      out.add(new Advert(v.origin(), ok.value(), httpOf(v.origin())));
    }
    return out;
  }

  @Override
  public int peers() {
    NodeId self = plane.localId();
    return (int)
        plane.values(ValueKind.CONTACT_INFO).stream().filter(v -> !v.origin().equals(self)).count();
  }

  @Override
  public Optional<Hash> trustedRootAt(long height) {
    return trustedRootAt.apply(height);
  }

  private Optional<String> httpOf(NodeId origin) {
    Optional<SignedValue> contact = plane.get(origin, ValueKind.CONTACT_INFO);
    if (contact.isEmpty()
        || !(ContactInfo.decode(contact.get().payload()) instanceof Result.Ok<ContactInfo> info)) {
      return Optional.empty();
    }
    return reachable(info.value());
  }

  /**
   * The HTTP address to download from: as advertised, or, when the node advertises a wildcard host
   * (it listens on every interface), the host of its p2p address; empty when neither names a host.
   */
  static Optional<String> reachable(ContactInfo info) {
    Optional<String> http = info.httpAddress();
    if (http.isEmpty()) {
      return http;
    }
    String host = host(http.get());
    if (!isWildcard(host)) {
      return http;
    }
    String p2pHost = host(info.p2p());
    if (isWildcard(p2pHost)) {
      return Optional.empty();
    }
    return Optional.of(p2pHost + http.get().substring(http.get().lastIndexOf(':')));
  }

  private static String host(String hostPort) {
    return hostPort.substring(0, hostPort.lastIndexOf(':'));
  }

  private static boolean isWildcard(String host) {
    return host.equals("0.0.0.0") || host.equals("[::]") || host.equals("[0:0:0:0:0:0:0:0]");
  }
}
