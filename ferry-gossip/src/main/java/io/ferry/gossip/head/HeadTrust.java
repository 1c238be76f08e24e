package io.ferry.gossip.head;

import io.ferry.core.Hash;
import io.ferry.core.identity.NodeId;
import java.util.Optional;

/**
 * Which signed heads a node accepts from its peers: those signed by one trusted producer, or those
 * naming one trusted root (whoever signed them), or none at all (a producer, whose heads come from
 * its own store, and a server, which follows no one). Immutable.
 *
 * @param producer accept heads this producer signed
 * @param root accept heads naming this root; a node trusting a root stays at it
 */
public record HeadTrust(Optional<NodeId> producer, Optional<Hash> root) {

  /** What {@link #judge} makes of a head. */
  public enum Verdict {
    /** Trusted and correctly signed. */
    ACCEPT,
    /** Not one this node trusts: ignored, not held against the peer that sent it. */
    FOREIGN,
    /** Claims to be trusted, but the signature does not verify: a lie. */
    FORGED
  }

  public HeadTrust {
    if (producer.isPresent() && root.isPresent()) {
      throw new IllegalArgumentException("trust a producer or a root, not both");
    }
  }

  public static HeadTrust producer(NodeId producer) {
    return new HeadTrust(Optional.of(producer), Optional.empty());
  }

  public static HeadTrust root(Hash root) {
    return new HeadTrust(Optional.empty(), Optional.of(root));
  }

  /** Accepts no head from peers. */
  public static HeadTrust none() {
    return new HeadTrust(Optional.empty(), Optional.empty());
  }

  /** Whether any head can be accepted at all. */
  public boolean acceptsAny() {
    return producer.isPresent() || root.isPresent();
  }

  public Verdict judge(SignedHead head) {
    if (!trusts(head)) {
      return Verdict.FOREIGN;
    }
    return head.verifies() ? Verdict.ACCEPT : Verdict.FORGED;
  }

  /**
   * Whether {@code head} is one this node follows, its signature aside: for a head whose signer is
   * already authenticated (it came in a gossip value its producer signed).
   */
  public boolean trusts(SignedHead head) {
    return producer.map(head.producer()::equals).orElse(false)
        || root.map(head.root()::equals).orElse(false);
  }

  @Override
  public String toString() {
    return producer
        .map(p -> "heads signed by " + p)
        .or(() -> root.map(r -> "heads naming root " + r.toHex()))
        .orElse("no heads");
  }
}
