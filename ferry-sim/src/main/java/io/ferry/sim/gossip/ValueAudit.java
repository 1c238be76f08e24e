package io.ferry.sim.gossip;

import io.ferry.core.Hash;
import io.ferry.core.identity.NodeId;
import io.ferry.gossip.plane.GossipPlane;
import io.ferry.gossip.value.SignatureCheck;
import io.ferry.gossip.value.SignedValue;
import io.ferry.gossip.value.ValueKind;
import io.ferry.gossip.value.ValueRules;
import java.time.Duration;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.HashSet;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.Set;

/**
 * The invariant "no invalid value is ever stored by an honest node", checked independently of the
 * planes: every value an honest plane takes is judged again, the moment it is taken, by rules of
 * the audit's own with a real Ed25519 check (each distinct value verified once), and must not be
 * older than a value of its origin the node took before (no replay takes a node back). At the end
 * every value every honest store holds is judged again. Not thread-safe.
 */
final class ValueAudit {
  /** Violations kept word for word; later ones are only counted. */
  private static final int VIOLATIONS_KEPT = 20;

  private final ValueRules rules;
  private final Set<Hash> verified = new HashSet<>(); // lookups only
  private final Map<String, Map<NodeId, SignedValue>> newest = new HashMap<>(); // lookups only
  private final List<String> violations = new ArrayList<>();
  private long checked;
  private long broken;

  ValueAudit(String network, Duration ttl, Duration maxDrift) {
    this.rules = new ValueRules(network, ttl, maxDrift).withSignatureCheck(this::verifiesOnce);
  }

  private boolean verifiesOnce(SignedValue value, String network) {
    Hash hash = value.hash();
    if (verified.contains(hash)) {
      return true;
    }
    boolean ok = SignatureCheck.ED25519.verifies(value, network);
    if (ok) {
      verified.add(hash);
    }
    return ok;
  }

  /** {@code node} started an incarnation with an empty store. */
  void started(String node) {
    newest.remove(node);
  }

  /**
   * {@code node}'s plane took {@code value} from {@code from} at {@code nowMillis} by its clock.
   */
  void taken(String node, SignedValue value, NodeId from, long nowMillis) {
    checked++;
    rules
        .judge(value, nowMillis)
        .ifPresent(
            r ->
                violation(
                    node
                        + " stored an invalid "
                        + value
                        + " from "
                        + from.shortString()
                        + ": "
                        + r.reason()
                        + " ("
                        + r.detail()
                        + ")"));
    if (value.kind() == ValueKind.SNAPSHOT_HASHES) {
      Map<NodeId, SignedValue> held = newest.computeIfAbsent(node, n -> new HashMap<>());
      SignedValue before = held.get(value.origin());
      if (before != null && !newer(value, before)) {
        violation(node + " went back from " + before + " to " + value + " sent by " + from);
      }
      held.put(value.origin(), value);
    }
  }

  /** Judges every value {@code plane} holds at {@code nowMillis}; expiry is the plane's to do. */
  void scan(String node, GossipPlane plane, long nowMillis) {
    for (ValueKind kind : ValueKind.values()) {
      for (SignedValue v : plane.values(kind)) {
        checked++;
        Optional<ValueRules.Refusal> r = rules.judge(v, nowMillis);
        if (r.isPresent() && r.get().reason() != ValueRules.Reason.EXPIRED) {
          violation(node + " holds an invalid " + v + ": " + r.get().reason());
        }
      }
    }
  }

  private static boolean newer(SignedValue a, SignedValue b) {
    return a.wallclock() != b.wallclock()
        ? a.wallclock() > b.wallclock()
        : a.hash().compareTo(b.hash()) > 0;
  }

  private void violation(String what) {
    broken++;
    if (violations.size() < VIOLATIONS_KEPT) {
      violations.add(what);
    }
  }

  /** Values judged. */
  long checked() {
    return checked;
  }

  /** What broke, the first {@value #VIOLATIONS_KEPT} word for word, then a count. */
  List<String> violations() {
    List<String> out = new ArrayList<>(violations);
    if (broken > violations.size()) {
      out.add((broken - violations.size()) + " more invalid values stored");
    }
    return out;
  }
}
